"""Who may try a password now: failures counted per source address and per (username, address), and
at most a few password checks computed at once.

Never per account alone: a count that any caller can raise would let an anonymous attacker lock the
real user out. Keyed only on the strings a caller sends, the same history gets the same answer
whatever the username, so the throttle tells nobody which accounts exist.

The state lives in this process's memory and is bounded: each table keeps at most `max_entries` keys
and forgets the least recently failed first (to flush a pair an attacker must fail from thousands of
addresses). Several server processes (`http_workers`) each keep their own counts, so each gets a share
of the limits: of the free failures and an address's failures, 1/n each (at least one); its waits are
n times as long. Wherever an attacker's requests land, together the processes then allow no more free
failures (while each limit is at least n) and, in the long run, no more guesses an hour than one
process alone; the hash slots are shared out the same way. A user who mistypes may wait sooner.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import anyio

from caseweave.config import Settings
from caseweave.errors import CaseweaveError, Locked

# A pair idle this long starts afresh; until then it keeps its longest wait.
FORGET_PAIR_SECONDS = 24 * 3600
_POLL_SECONDS = 0.01
_Entry = TypeVar("_Entry")


class Throttled(Locked):
    """429: this address must wait. `retry_after` becomes the Retry-After header."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed logins from your address; try again in {retry_after} s",
            hint="ask an admin if you have forgotten your password",
        )
        self.retry_after = retry_after


class Busy(CaseweaveError):
    """503: every password-check slot stayed taken while this request waited."""

    code = "busy"
    http_status = 503

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("too many logins at once; try again shortly")
        self.retry_after = retry_after


def share(limit: int, processes: int) -> int:
    """One process's part of a limit that `processes` processes enforce together."""
    return max(1, limit // processes)


def source_key(host: str | None) -> str:
    """The address a client is counted by. An IPv6 client holds a whole /64, so that is one address."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass
class _Pair:
    failures: int
    last: float


@dataclass
class _Bucket:
    tokens: float
    updated: float


class LoginThrottle:
    """Per (username, address): `free_failures`, then waits from `base_seconds` doubling up to
    `max_seconds`. Per address: a bucket of `address_failures` refilled over `address_window`. Per
    username, for addresses it has never logged in from: a bucket of `account_failures` refilled over
    `account_window` (ASVS 2.2.1's cap on one account; its user's own addresses are spared, so the cap
    cannot be used to lock them out)."""

    def __init__(
        self,
        *,
        free_failures: int,
        base_seconds: float,
        max_seconds: float,
        address_failures: int,
        address_window: float,
        max_entries: int,
        account_failures: int = 100,
        account_window: float = 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free = free_failures
        self._base = base_seconds
        self._max = max_seconds
        self._capacity = float(address_failures)
        self._rate = address_failures / address_window
        self._max_entries = max_entries
        self._account_capacity = float(account_failures)
        self._account_rate = account_failures / account_window
        self._clock = clock
        self._lock = threading.Lock()
        # Keys are keyed hashes: no submitted username (perhaps a password typed in the wrong box)
        # stays in memory, and nobody can aim keys at one hash slot.
        self._salt = secrets.token_bytes(16)
        self._pairs: OrderedDict[bytes, _Pair] = OrderedDict()
        self._addresses: OrderedDict[bytes, _Bucket] = OrderedDict()
        self._accounts: OrderedDict[bytes, _Bucket] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Callable[[], float] = time.monotonic) -> LoginThrottle:
        """This process's share of the limits (see above)."""
        processes = settings.http_workers
        return cls(
            clock=clock,
            free_failures=share(settings.lockout_after, processes),
            base_seconds=settings.lockout_base_seconds * processes,
            max_seconds=settings.lockout_max_seconds * processes,
            address_failures=share(settings.login_address_failures, processes),
            address_window=settings.login_address_window_seconds,
            max_entries=settings.login_throttle_entries,
            account_failures=share(settings.login_account_failures, processes),
            account_window=settings.login_account_window_seconds,
        )

    def begin(self, username: str, source: str) -> Ticket:
        """Refuse (Throttled), or count this attempt as a failure until its ticket says otherwise:
        counted before the password is checked, so parallel guesses are all counted."""
        pair_key, address_key = self._key(b"pair", username, source), self._key(b"address", source)
        with self._lock:
            now = self._clock()
            pair = self._pair(pair_key, now)
            bucket = self._bucket(self._addresses, address_key, now, self._capacity, self._rate)
            wait = max(self._pair_wait(pair, now), (1 - bucket.tokens) / self._rate)
            if wait > 0:
                raise Throttled(max(1, math.ceil(wait)))
            pair.failures, pair.last = pair.failures + 1, now
            bucket.tokens -= 1
            self._store(self._pairs, pair_key, pair)
            self._store(self._addresses, address_key, bucket)
        return Ticket(self, pair_key, address_key)

    def charge_account(self, ticket: Ticket, username: str, *, known_source: bool) -> Ticket:
        """Count the attempt against the username's account-wide bucket too, unless it comes from an
        address the account has logged in from; Throttled when that bucket is empty. Keyed on the
        name sent, like the rest: an unknown username is counted the same way."""
        if known_source:
            return ticket
        key = self._key(b"account", username)
        with self._lock:
            now = self._clock()
            bucket = self._bucket(self._accounts, key, now, self._account_capacity, self._account_rate)
            if bucket.tokens < 1:
                raise Throttled(max(1, math.ceil((1 - bucket.tokens) / self._account_rate)))
            bucket.tokens -= 1
            self._store(self._accounts, key, bucket)
        return Ticket(self, ticket.pair_key, ticket.address_key, key)

    def _settle(
        self, pair_key: bytes, address_key: bytes, account_key: bytes | None, *, forget_pair: bool
    ) -> None:
        with self._lock:
            if account_key is not None and (account := self._accounts.get(account_key)) is not None:
                account.tokens += 1
                if account.tokens >= self._account_capacity:
                    del self._accounts[account_key]
            pair = self._pairs.get(pair_key)
            if pair is not None:
                pair.failures -= 1
                if forget_pair or pair.failures <= 0:
                    del self._pairs[pair_key]
            bucket = self._addresses.get(address_key)
            if bucket is not None:
                bucket.tokens += 1
                if bucket.tokens >= self._capacity:
                    del self._addresses[address_key]

    def _key(self, kind: bytes, *parts: str) -> bytes:
        digest = hashlib.blake2b(kind, digest_size=16, key=self._salt)
        for part in parts:
            encoded = part.encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(4, "big") + encoded)
        return digest.digest()

    def _pair(self, key: bytes, now: float) -> _Pair:
        pair = self._pairs.get(key)
        if pair is None or now - pair.last > FORGET_PAIR_SECONDS:
            return _Pair(0, now)
        return pair

    @staticmethod
    def _bucket(
        table: OrderedDict[bytes, _Bucket], key: bytes, now: float, capacity: float, rate: float
    ) -> _Bucket:
        """An address's or an account's bucket, refilled to now."""
        bucket = table.get(key)
        if bucket is None:
            return _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        return bucket

    def _pair_wait(self, pair: _Pair, now: float) -> float:
        over = pair.failures - self._free
        if over < 0:
            return 0.0
        return pair.last + min(self._base * 2.0 ** min(over, 40), self._max) - now

    def _store(self, table: OrderedDict[bytes, _Entry], key: bytes, value: _Entry) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self._max_entries:
            table.popitem(last=False)

    def entries(self) -> tuple[int, int]:
        """How many pairs and addresses are remembered (for tests and metrics)."""
        with self._lock:
            return len(self._pairs), len(self._addresses)


@dataclass(frozen=True)
class Ticket:
    """One counted attempt. A failure needs nothing more; the other outcomes settle it."""

    throttle: LoginThrottle
    pair_key: bytes
    address_key: bytes
    account_key: bytes | None = None  # set once charged to the account-wide bucket

    def succeeded(self) -> None:
        """The right password: this address starts afresh for this username; the attempt is refunded."""
        self.throttle._settle(self.pair_key, self.address_key, self.account_key, forget_pair=True)

    def abandoned(self) -> None:
        """No password was checked (no free slot, a server error): the attempt does not count."""
        self.throttle._settle(self.pair_key, self.address_key, self.account_key, forget_pair=False)


class HashSlots:
    """At most `slots` password checks at once: argon2 takes about 64 MiB and more than a core each,
    so a burst of logins would starve every other request. Waiters poll from the event loop (no
    worker thread is held while waiting) and get Busy (503) after `wait_seconds`."""

    def __init__(self, slots: int, wait_seconds: float) -> None:
        self._free = threading.BoundedSemaphore(slots)
        self._wait = wait_seconds
        self._count_lock = threading.Lock()
        self.waiting = 0  # requests waiting for a slot now

    @classmethod
    def from_settings(cls, settings: Settings) -> HashSlots:
        slots = settings.login_hash_slots or os.cpu_count() or 1
        return cls(share(slots, settings.http_workers), settings.login_hash_wait_seconds)

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        deadline = time.monotonic() + self._wait
        self._count(1)
        try:
            while not self.try_take():
                if time.monotonic() >= deadline:
                    raise Busy()
                await anyio.sleep(_POLL_SECONDS)
        finally:
            self._count(-1)
        try:
            yield
        finally:
            self.give_back()

    def _count(self, change: int) -> None:
        with self._count_lock:
            self.waiting += change

    def try_take(self) -> bool:
        """Take a slot if one is free, without waiting."""
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


@dataclass(frozen=True)
class LoginGuard:
    """What one server process keeps to protect password checks."""

    throttle: LoginThrottle
    slots: HashSlots

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginGuard:
        return cls(LoginThrottle.from_settings(settings), HashSlots.from_settings(settings))
