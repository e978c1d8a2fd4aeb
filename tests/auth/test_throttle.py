"""The throttle alone (no database): who waits, for how long, and what an attacker cannot do to it."""

from __future__ import annotations

from contextlib import nullcontext

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseweave.auth.throttle import Busy, HashSlots, LoginThrottle, Throttled, source_key
from caseweave.config import Settings
from tests.auth.helpers import Clock

REAL_USER, REAL_ADDRESS = "analyst.home", "192.0.2.1"
ATTACKERS = [f"203.0.113.{n}" for n in range(1, 6)]
USERNAMES = [REAL_USER, "coordinator.home", "nobody.here", "ANALYST.HOME", ""]


def throttle(
    clock: Clock, *, free: int = 3, address_failures: int = 10, entries: int = 1000
) -> LoginThrottle:
    return LoginThrottle(
        free_failures=free,
        base_seconds=60,
        max_seconds=900,
        address_failures=address_failures,
        address_window=900,
        max_entries=entries,
        clock=clock,
    )


def outcome(limits: LoginThrottle, username: str, source: str) -> int | None:
    """Try once and fail: None if let through, else the Retry-After it was refused with."""
    try:
        limits.begin(username, source)
    except Throttled as refused:
        return refused.retry_after
    return None


def test_an_address_waits_after_its_free_failures_and_the_wait_doubles_up_to_the_maximum() -> None:
    clock = Clock()
    limits = throttle(clock)
    assert [outcome(limits, REAL_USER, ATTACKERS[0]) for _ in range(3)] == [None, None, None]
    waits = []
    for _ in range(6):
        waits.append(outcome(limits, REAL_USER, ATTACKERS[0]))
        clock.advance(waits[-1] or 0)
        assert outcome(limits, REAL_USER, ATTACKERS[0]) is None, "let through once the wait is over"
    assert waits == [60, 120, 240, 480, 900, 900]


def test_the_right_password_clears_the_address_for_that_username() -> None:
    clock = Clock()
    limits = throttle(clock)
    for _ in range(2):
        limits.begin(REAL_USER, REAL_ADDRESS)
    limits.begin(REAL_USER, REAL_ADDRESS).succeeded()
    assert [outcome(limits, REAL_USER, REAL_ADDRESS) for _ in range(3)] == [None, None, None]


def test_an_attempt_abandoned_before_its_check_does_not_count() -> None:
    limits = throttle(Clock(), free=1)
    for _ in range(5):
        limits.begin(REAL_USER, REAL_ADDRESS).abandoned()
    assert outcome(limits, REAL_USER, REAL_ADDRESS) is None
    assert outcome(limits, REAL_USER, REAL_ADDRESS) == 60


def test_one_address_trying_many_usernames_waits_for_the_window() -> None:
    clock = Clock()
    limits = throttle(clock, address_failures=10)
    assert all(outcome(limits, f"user{n}", ATTACKERS[0]) is None for n in range(10))
    assert outcome(limits, "user10", ATTACKERS[0]) == 90, "one failure's worth of the 900 s window"
    assert outcome(limits, "user10", ATTACKERS[1]) is None, "another address is not held back"
    clock.advance(90)
    assert outcome(limits, "user10", ATTACKERS[0]) is None


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_client_counts_as_its_whole_64(host: str | None, key: str) -> None:
    assert source_key(host) == key


# Steps of an attack: (attacker address, username tried, seconds until the next step).
PAUSE = st.one_of(st.just(0), st.integers(0, 2000))
ATTACK = st.lists(st.tuples(st.sampled_from(ATTACKERS), st.sampled_from(USERNAMES), PAUSE), max_size=80)


@settings(deadline=None)  # no timing here: a shared machine may be slow
@given(steps=ATTACK, logins=st.sets(st.integers(0, 80)))
def test_no_attack_from_other_addresses_holds_back_the_real_user(
    steps: list[tuple[str, str, int]], logins: set[int]
) -> None:
    """The real user logs in (begin() lets them through: no Throttled) after the steps in `logins`
    and at the end, whatever the attackers did before."""
    clock = Clock()
    limits = throttle(clock, free=2, address_failures=5)
    for n, (address, username, pause) in enumerate(steps):
        outcome(limits, username, address)
        clock.advance(pause)
        if n in logins:
            limits.begin(REAL_USER, REAL_ADDRESS).succeeded()
    limits.begin(REAL_USER, REAL_ADDRESS).succeeded()


@settings(deadline=None)
@given(steps=ATTACK, renamed=st.permutations(USERNAMES))
def test_the_answers_never_depend_on_which_username_is_tried(
    steps: list[tuple[str, str, int]], renamed: list[str]
) -> None:
    """The throttle sees only strings: any renaming of the usernames gives the same answers, so it
    cannot tell a real account from an unknown one."""
    rename = dict(zip(USERNAMES, renamed, strict=True))
    first_clock, second_clock = Clock(), Clock()
    first, second = throttle(first_clock), throttle(second_clock)
    for address, username, pause in steps:
        assert outcome(first, username, address) == outcome(second, rename[username], address)
        first_clock.advance(pause)
        second_clock.advance(pause)


@settings(deadline=None)
@given(usernames=st.lists(st.text(max_size=20), min_size=1, max_size=300))
def test_memory_stays_bounded_whatever_is_sent(usernames: list[str]) -> None:
    clock = Clock()
    limits = throttle(clock, entries=50, address_failures=1000)
    for n, username in enumerate(usernames):
        outcome(limits, username, f"198.51.100.{n % 200}")
    pairs, addresses = limits.entries()
    assert pairs <= 50 and addresses <= 50


def test_password_checks_beyond_the_slots_are_refused_after_the_wait() -> None:
    slots = HashSlots(2, wait_seconds=0)

    async def scenario() -> None:
        async with slots.hold(), slots.hold():
            with pytest.raises(Busy) as busy:
                async with slots.hold():
                    pass
            assert busy.value.http_status == 503 and busy.value.retry_after >= 1
        async with slots.hold():
            pass  # both slots were given back

    anyio.run(scenario)


# --- several server processes (`http_workers`), each with its own counts ---------------------------


def processes_throttles(clock: Clock, processes: int) -> list[LoginThrottle]:
    shipped = Settings(http_workers=processes)
    return [LoginThrottle.from_settings(shipped, clock) for _ in range(processes)]


def allowed(throttles: list[LoginThrottle], landing: list[int], username: str, source: str) -> int:
    """Guesses let through when the attacker's requests land on these processes, one after another."""
    return sum(outcome(throttles[n % len(throttles)], username, source) is None for n in landing)


@given(processes=st.integers(2, 5), landing=st.lists(st.integers(0, 4), min_size=1, max_size=80))
@settings(max_examples=60, deadline=None)
def test_processes_together_allow_no_more_free_failures_than_one_wherever_the_guesses_land(
    processes: int, landing: list[int]
) -> None:
    shipped = Settings()
    throttles = processes_throttles(Clock(), processes)
    assert allowed(throttles, landing, REAL_USER, ATTACKERS[0]) <= shipped.lockout_after
    # the address's budget over every username, likewise
    sprayed = processes_throttles(Clock(), processes)
    guesses = sum(
        outcome(sprayed[n % processes], f"user{index}", ATTACKERS[1]) is None
        for index, n in enumerate(landing * 3)
    )
    assert guesses <= shipped.login_address_failures


@pytest.mark.parametrize("processes", [2, 3, 4])
def test_processes_together_allow_no_more_guesses_an_hour_than_one_in_the_long_run(processes: int) -> None:
    """An attacker who retries on every process as soon as each lets it, for twelve hours; counted over
    the last eight, where every process waits its longest. At a window's two edges each process may
    have a guess more: that is all the difference."""

    def guesses_in_the_last_eight_hours(count: int) -> int:
        clock = Clock()
        throttles = processes_throttles(clock, count)
        guesses = []
        for _ in range(12 * 360):
            guesses.append(sum(outcome(limits, REAL_USER, ATTACKERS[2]) is None for limits in throttles))
            clock.advance(10)
        return sum(guesses[-8 * 360 :])

    one = guesses_in_the_last_eight_hours(1)
    assert one == 8 * 3600 // Settings().lockout_max_seconds
    assert guesses_in_the_last_eight_hours(processes) <= one + processes - 1


@given(processes=st.integers(1, 5), landing=st.lists(st.integers(0, 4), min_size=1, max_size=300))
@settings(max_examples=40, deadline=None)
def test_processes_together_cap_one_account_at_its_hourly_failures_from_new_addresses(
    processes: int, landing: list[int]
) -> None:
    shipped = Settings()
    throttles = processes_throttles(Clock(), processes)
    let_through = 0
    for n, process in enumerate(landing):
        limits = throttles[process % processes]
        try:
            ticket = limits.begin(REAL_USER, f"198.51.{n // 250}.{n % 250}")  # a new address every time
            limits.charge_account(ticket, REAL_USER, known_source=False)
        except Throttled:
            continue
        let_through += 1
    assert let_through <= shipped.login_account_failures


def test_an_address_the_account_logged_in_from_is_not_charged_to_it() -> None:
    limits = throttle(Clock())
    for n in range(200):
        ticket = limits.begin(REAL_USER, f"198.51.100.{n}")
        with pytest.raises(Throttled) if n >= 100 else nullcontext():
            limits.charge_account(ticket, REAL_USER, known_source=False)
    ticket = limits.begin(REAL_USER, REAL_ADDRESS)
    assert limits.charge_account(ticket, REAL_USER, known_source=True) is ticket
