"""What login tells a caller: the same answer for every failure in every throttle state, and a
throttle that holds back only the address that failed."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from caseweave.audit.models import AuditEntry
from caseweave.auth.models import User
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.auth.helpers import (
    PASSWORD,
    WRONG,
    Clock,
    add_users,
    at,
    enrol_directly,
    guarded_app,
    post_login,
    wire,
    wrong_code,
)

FEW = hypothesis_settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
USERS = {"analyst.home": "analyst", "gone.home": "analyst", "second.home": "analyst"}
REAL_ADDRESS = "192.0.2.200"


def test_every_kind_of_failure_gets_the_same_bytes(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS, disabled=("gone.home",))
    secret = enrol_directly(db, "second.home")
    app = guarded_app(db, Clock())
    attempts = {
        "unknown username": ("nobody.home", WRONG, None),
        "unknown username, right password": ("nobody.home", PASSWORD, None),
        "wrong password": ("analyst.home", WRONG, None),
        "disabled, right password": ("gone.home", PASSWORD, None),
        "enrolled, no code": ("second.home", PASSWORD, None),
        "enrolled, wrong code": ("second.home", PASSWORD, wrong_code(secret)),
        "enrolled, wrong password": ("second.home", WRONG, None),
    }
    answers = {
        name: wire(post_login(at(app, f"198.51.100.{n}"), *attempt))
        for n, (name, attempt) in enumerate(attempts.items())
    }
    reference = answers["unknown username"]
    assert reference[0] == 401
    for name, answer in answers.items():
        assert answer == reference, name


def test_known_unknown_and_disabled_answer_alike_in_every_throttle_state(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS, disabled=("gone.home",))
    # Each variant tries from its own network; address n of each network lives through the same
    # history, so any difference could only come from the username.
    variants = {
        "198.51.100": ("analyst.home", WRONG),
        "203.0.113": ("nobody.home", WRONG),
        "192.0.2": ("gone.home", PASSWORD),
    }

    @FEW
    @given(
        steps=st.lists(
            st.tuples(st.integers(1, 2), st.sampled_from([0, 30, 61, 400])), min_size=1, max_size=5
        )
    )
    def run(steps: list[tuple[int, int]]) -> None:
        clock = Clock()
        app = guarded_app(db, clock, free_failures=1)
        seen = set()
        for address, pause in steps:
            answers = [
                wire(post_login(at(app, f"{network}.{address}"), username, password))
                for network, (username, password) in variants.items()
            ]
            assert answers[0] == answers[1] == answers[2]
            seen.add(answers[0][0])
            assert seen <= {401, 429}
            clock.advance(pause)

    run()


def test_no_attack_from_other_addresses_keeps_the_real_user_out(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    attackers = [f"203.0.113.{n}" for n in range(1, 4)]

    @FEW
    @given(
        steps=st.lists(
            st.tuples(
                st.sampled_from(attackers),
                st.sampled_from(["analyst.home", "nobody.home", "second.home"]),
                st.sampled_from([0, 0, 61, 1000]),
            ),
            max_size=8,
        )
    )
    def run(steps: list[tuple[str, str, int]]) -> None:
        clock = Clock()
        app = guarded_app(db, clock, free_failures=2, address_failures=3)
        for address, username, pause in steps:
            assert post_login(at(app, address), username, WRONG).status_code in (401, 429)
            clock.advance(pause)
        assert post_login(at(app, REAL_ADDRESS), "analyst.home", PASSWORD).status_code == 200

    run()


def test_one_address_trying_many_usernames_is_held_back(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    app = guarded_app(db, Clock(), address_failures=3)
    stuffing = at(app, "203.0.113.9")
    assert [post_login(stuffing, f"user{n}.home", WRONG).status_code for n in range(3)] == [401, 401, 401]
    refused = post_login(stuffing, "analyst.home", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "300"
    assert refused.json()["error"]["code"] == "locked"
    assert post_login(at(app, REAL_ADDRESS), "analyst.home", PASSWORD).status_code == 200


def test_the_right_password_starts_its_address_afresh(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    clock = Clock()
    app = guarded_app(db, clock, free_failures=2)
    user = at(app, REAL_ADDRESS)
    assert [post_login(user, "analyst.home", WRONG).status_code for _ in range(3)] == [401, 401, 429]
    clock.advance(60)
    assert post_login(user, "analyst.home", PASSWORD).status_code == 200
    assert [post_login(user, "analyst.home", WRONG).status_code for _ in range(2)] == [401, 401]


def test_failed_logins_are_audited_without_keeping_unknown_usernames(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS)
    app = guarded_app(db, Clock())
    post_login(at(app, "198.51.100.1"), "analyst.home", WRONG)
    post_login(at(app, "198.51.100.2"), "my secret passphrase", WRONG)  # a password in the wrong box
    with db.transaction() as session:
        analyst = session.scalars(select(User.id).where(User.username == "analyst.home")).one()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_failed")).all()
        recorded = [(entry.actor, entry.object_ids, entry.detail) for entry in entries]
        stored = json.dumps([(e.actor, e.object_ids, e.detail, e.request_id) for e in entries])
    assert recorded == [
        (
            "login:analyst.home",
            [analyst],
            {"reason": "password", "purpose": "login", "source": "198.51.100.1"},
        ),
        ("login:unknown", [], {"reason": "unknown_user", "purpose": "login", "source": "198.51.100.2"}),
    ]
    assert "my secret passphrase" not in stored
