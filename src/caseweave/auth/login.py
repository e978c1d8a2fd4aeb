"""Login, and every other request that checks a password: TOTP enrolment and confirmation, password
change.

Each runs in three steps so that no transaction is open while a password is hashed (on SQLite a
transaction holds the write lock from its first statement, and argon2 takes about 0.15 s): read the
account in one short transaction, check the password in a worker thread — at most
`login_hash_slots` at once — then record the outcome (audit entry, token, TOTP step) in a second
short transaction that checks again what it relies on.

Unknown usernames, wrong passwords, disabled accounts and wrong or replayed codes all get the same
Unauthenticated after the same work: a dummy hash is verified and an audit entry written. The
throttle (throttle.py) answers the same whatever the username. Only the right password learns more:
a token, or that the account must enrol a second factor first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Literal, TypeVar

from anyio import to_thread
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth import totp
from caseweave.auth.models import LoginSource, Token, User
from caseweave.auth.passwords import check_new_password, hash_password, verify_password
from caseweave.auth.service import IssuedToken, authenticate
from caseweave.auth.throttle import LoginGuard, Ticket
from caseweave.auth.tokens import new_token, token_digest
from caseweave.db.base import utcnow
from caseweave.db.runtime import Database
from caseweave.errors import Invalid, Unauthenticated

Factor = Literal["current", "pending"]
_T = TypeVar("_T")


def refused() -> Unauthenticated:
    """The one answer to every failed password check."""
    return Unauthenticated(
        "wrong username, password or one-time code",
        hint="if you enrolled a second factor, send its current code as 'otp'",
    )


@dataclass(frozen=True)
class Attempt:
    username: str
    password: str
    code: str | None  # a TOTP code: of the enrolled factor, or of the pending one when confirming
    source: str  # throttle.source_key of the client address
    request_id: str
    purpose: str = "login"


@dataclass(frozen=True)
class Account:
    """What a password check needs of a user, read before hashing, used after that transaction."""

    id: int
    username: str
    roles: tuple[str, ...]
    password_hash: str
    disabled: bool
    totp_secret: str | None
    pending_secret: str | None
    pending_until: datetime | None
    known_source: bool  # the attempt comes from an address this account has logged in from


@dataclass(frozen=True)
class Verified:
    """A password (and code) found right; the outcome's transaction settles it."""

    account: Account
    factor: Factor
    step: int | None  # the TOTP step of the code given, claimed when the outcome is stored
    ticket: Ticket


async def verify(db: Database, guard: LoginGuard, attempt: Attempt, factor: Factor = "current") -> Verified:
    """Check a password and, for `factor`, a code: Throttled, Busy, or refused() when wrong."""
    ticket = guard.throttle.begin(attempt.username, attempt.source)
    try:
        account = await to_thread.run_sync(_read_account, db, attempt.username, attempt.source)
        known = account is not None and account.known_source
        ticket = guard.throttle.charge_account(ticket, attempt.username, known_source=known)
        async with guard.slots.hold():
            stored = account.password_hash if account else None
            password_ok = await to_thread.run_sync(verify_password, stored, attempt.password)
    except BaseException:
        ticket.abandoned()
        raise
    step, reason = _judge(account, password_ok, attempt.code, factor, utcnow())
    if account is None or reason is not None:
        await to_thread.run_sync(_record_failure, db, attempt, account, reason or "unknown_user")
        raise refused()
    return Verified(account, factor, step, ticket)


def _judge(
    account: Account | None, password_ok: bool, code: str | None, factor: Factor, now: datetime
) -> tuple[int | None, str | None]:
    """(TOTP step of the code, reason of failure or None)."""
    if account is None:
        return None, "unknown_user"
    if not password_ok:
        return None, "password"
    if account.disabled:
        return None, "disabled"
    if factor == "pending":
        live = account.pending_until is not None and account.pending_until > now
        secret = account.pending_secret if live else None
    else:
        secret = account.totp_secret
        if secret is None:
            return None, None
    step = totp.matching_step(secret, code, now) if secret and code else None
    return step, None if step is not None else "code"


async def login(db: Database, guard: LoginGuard, attempt: Attempt) -> IssuedToken:
    """A session token for the right password (and code, once enrolled). A user whose roles need a
    second factor and who has none gets SecondFactorRequired: they can only enrol."""
    verified = await verify(db, guard, attempt)
    account = verified.account
    if account.totp_secret is None and totp.required_for(account.roles):
        verified.ticket.succeeded()
        await to_thread.run_sync(_record_no_factor, db, attempt, account)
        raise totp.SecondFactorRequired()
    return _settled(verified, await to_thread.run_sync(_open_session, db, verified, attempt))


async def enrol_totp(db: Database, guard: LoginGuard, attempt: Attempt) -> totp.Enrolment:
    """A pending TOTP secret, after the same checks as a login (the current code, if enrolled)."""
    verified = await verify(db, guard, attempt)
    return _settled(verified, await to_thread.run_sync(_begin_enrolment, db, verified, attempt))


async def confirm_totp(db: Database, guard: LoginGuard, attempt: Attempt) -> IssuedToken:
    """Activate the pending secret with a code from it; the user is then logged in."""
    verified = await verify(db, guard, attempt, factor="pending")
    return _settled(verified, await to_thread.run_sync(_activate, db, verified, attempt))


async def change_password(
    db: Database,
    guard: LoginGuard,
    bearer: str,
    *,
    current: str,
    new: str,
    code: str | None,
    source: str,
    request_id: str,
) -> int:
    """Set a new password for the bearer's own account, given the current one (and code, once
    enrolled); ends the account's other login sessions and returns how many."""
    username, token_id = await to_thread.run_sync(_bearer_holder, db, bearer)
    min_length, context = db.settings.min_password_length, (username,)
    await to_thread.run_sync(
        partial(check_new_password, new, min_length, context=context, field="new_password")
    )
    if new == current:
        raise Invalid("the new password is the current one", field="new_password")
    attempt = Attempt(username, current, code, source, request_id, purpose="password")
    verified = await verify(db, guard, attempt)
    try:
        async with guard.slots.hold():
            new_hash = await to_thread.run_sync(partial(hash_password, new, min_length, context=context))
    except BaseException:
        verified.ticket.succeeded()
        raise
    store = partial(_store_password, db, verified, attempt, token_id, new_hash)
    return _settled(verified, await to_thread.run_sync(store))


def _settled(verified: Verified, outcome: _T | None) -> _T:
    """None means the outcome's transaction found the check no longer holds (audited there)."""
    if outcome is None:
        raise refused()
    verified.ticket.succeeded()
    return outcome


# The short transactions, each run in a worker thread.


def _read_account(db: Database, username: str, source: str) -> Account | None:
    with db.read_transaction() as session:  # no write lock: on SQLite a plain BEGIN
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            return None
        known = session.scalar(
            select(LoginSource.id).where(
                LoginSource.user_id == user.id, LoginSource.source_hash == source_digest(source)
            )
        )
        return Account(
            id=user.id,
            username=user.username,
            roles=tuple(user.roles),
            password_hash=user.password_hash,
            disabled=user.disabled,
            totp_secret=user.totp_secret,
            pending_secret=user.totp_pending_secret,
            pending_until=user.totp_pending_until,
            known_source=known is not None,
        )


def _record_failure(db: Database, attempt: Attempt, account: Account | None, reason: str) -> None:
    with db.transaction() as session:
        _audit_failure(session, attempt, account, reason)


def _audit_failure(session: Session, attempt: Attempt, account: Account | None, reason: str) -> None:
    # An unknown username is not kept: it is often a password typed into the wrong box.
    name = f"login:{account.username}" if account else "login:unknown"
    audit.record(
        session,
        Actor(name=name, request_id=attempt.request_id),
        "auth.login_failed",
        "user",
        [account.id] if account else [],
        detail={"reason": reason, "purpose": attempt.purpose, "source": attempt.source},
    )


def _record_no_factor(db: Database, attempt: Attempt, account: Account) -> None:
    with db.transaction() as session:
        audit.record(
            session,
            Actor(name=f"login:{account.username}", request_id=attempt.request_id),
            "auth.login_refused",
            "user",
            [account.id],
            detail={"reason": "second factor not enrolled", "source": attempt.source},
        )


def _recheck(session: Session, verified: Verified, attempt: Attempt) -> User | None:
    """The user again, inside the outcome's transaction: still enabled, same password, the code
    not used meanwhile. None (audited) if any of that changed since the password was checked."""
    user = session.get(User, verified.account.id)
    if user is None or user.disabled or user.password_hash != verified.account.password_hash:
        reason = "changed meanwhile"
    elif (
        verified.factor == "current"
        and verified.step is not None
        and not totp.claim_step(session, user.id, verified.step)
    ):
        reason = "code replayed"
    else:
        return user
    _audit_failure(session, attempt, verified.account, reason)
    return None


def _in_transaction(
    db: Database, work: Callable[[Session, User], _T], verified: Verified, attempt: Attempt
) -> _T | None:
    with db.transaction() as session:
        user = _recheck(session, verified, attempt)
        return None if user is None else work(session, user)


def _new_session(session: Session, user: User, attempt: Attempt, hours: float) -> IssuedToken:
    secret = new_token()
    token = Token(
        user_id=user.id,
        kind="session",
        name="login",
        token_hash=token_digest(secret),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(token)
    session.flush()
    _remember_source(session, user.id, attempt.source)
    actor = Actor.for_user(user, attempt.request_id)
    audit.record(session, actor, "auth.login", "token", [token.id], detail={"source": attempt.source})
    return IssuedToken(token, secret)


def source_digest(source: str) -> str:
    return hashlib.sha256(b"caseweave login source\0" + source.encode("utf-8", "surrogatepass")).hexdigest()


def _remember_source(session: Session, user_id: int, source: str) -> None:
    """The account-wide limit spares this address from now on (one row per user and address; two
    logins at once from it must not collide, hence the upsert)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(LoginSource).values(
        user_id=user_id, source_hash=source_digest(source), last_login_at=utcnow()
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "source_hash"],
            set_={"last_login_at": statement.excluded.last_login_at},
        )
    )


def _open_session(db: Database, verified: Verified, attempt: Attempt) -> IssuedToken | None:
    def work(session: Session, user: User) -> IssuedToken:
        return _new_session(session, user, attempt, db.settings.session_hours)

    return _in_transaction(db, work, verified, attempt)


def _begin_enrolment(db: Database, verified: Verified, attempt: Attempt) -> totp.Enrolment | None:
    def work(session: Session, user: User) -> totp.Enrolment:
        enrolment = totp.begin_enrolment(session, user.id, user.username, db.settings.totp_issuer, utcnow())
        actor = Actor.for_user(user, attempt.request_id)
        audit.record(session, actor, "auth.second_factor_enrol", "user", [user.id])
        return enrolment

    return _in_transaction(db, work, verified, attempt)


def _activate(db: Database, verified: Verified, attempt: Attempt) -> IssuedToken | None:
    secret, step = verified.account.pending_secret, verified.step
    assert secret is not None and step is not None, "verify() checked a code of the pending secret"

    def work(session: Session, user: User) -> IssuedToken | None:
        if not totp.activate(session, user.id, secret, step, utcnow()):
            _audit_failure(session, attempt, verified.account, "enrolment replaced or expired")
            return None
        audit.record(
            session, Actor.for_user(user, attempt.request_id), "auth.second_factor_confirm", "user", [user.id]
        )
        return _new_session(session, user, attempt, db.settings.session_hours)

    return _in_transaction(db, work, verified, attempt)


def _bearer_holder(db: Database, bearer: str) -> tuple[str, int]:
    """(username, token id) of a bearer token, or Unauthenticated saying why."""
    with db.transaction() as session:
        user, token = authenticate(session, bearer)
        return user.username, token.id


def _store_password(
    db: Database, verified: Verified, attempt: Attempt, token_id: int, new_hash: str
) -> int | None:
    def work(session: Session, user: User) -> int:
        user.password_hash = new_hash
        others = session.scalars(
            select(Token).where(
                Token.user_id == user.id,
                Token.kind == "session",
                Token.revoked_at.is_(None),
                Token.id != token_id,
            )
        ).all()
        now = utcnow()
        for token in others:
            token.revoked_at = now
        actor = Actor.for_user(user, attempt.request_id)
        audit.record(
            session, actor, "auth.password_change", "user", [user.id], detail={"sessions_ended": len(others)}
        )
        return len(others)

    return _in_transaction(db, work, verified, attempt)
