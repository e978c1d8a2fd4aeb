"""Bounds a login request meets before any password is hashed, and what it holds while it waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy.pool import QueuePool

from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth import service as auth
from caseweave.auth.throttle import LoginGuard
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.auth.helpers import PASSWORD, WRONG, Clock, add_users, at, guarded_app, post_login

USERS = {"analyst.home": "analyst", "admin.home": "platform_admin"}
ADDRESS = "192.0.2.44"


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def test_overlong_fields_are_refused_without_a_hash_or_a_count(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock(), free_failures=1), ADDRESS)
    for password in ("x" * 257, "x" * 500_000):
        refused = post_login(client, "analyst.home", password)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "body.password"
    assert post_login(client, "u" * 121, WRONG).json()["error"]["field"] == "body.username"
    for code in ("12345", "1234567", "１２３４５６", "12345a"):
        assert post_login(client, "analyst.home", PASSWORD, otp=code).status_code == 422, code
    assert post_login(client, "analyst.home", PASSWORD).status_code == 200, "none of that was counted"


def test_a_new_users_password_is_checked_where_it_is_set(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    with db.transaction() as session:
        admin = auth.create_api_token(session, Actor.cli(), settings, username="admin.home", name="t", days=1)
    client = at(guarded_app(db, Clock()), ADDRESS)
    headers = {"Authorization": f"Bearer {admin.secret}"}
    for password, reason in (("x" * 300, "longer than 256"), ("password12345", "too common")):
        user = {"username": "new.home", "agency": "HOME", "roles": ["analyst"], "password": password}
        refused = client.post("/users", json=user, headers=headers)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "password"
        assert reason in refused.json()["error"]["message"]


def test_a_login_finding_every_slot_taken_gets_503_and_is_not_counted(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS)
    app = guarded_app(db, Clock(), free_failures=1, slots=1, wait_seconds=0)
    slots = app.state.login_guard.slots
    assert slots.try_take()
    client = at(app, ADDRESS)
    for _ in range(3):
        busy = post_login(client, "analyst.home", WRONG)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert busy.json()["error"]["code"] == "busy"
    slots.give_back()
    assert post_login(client, "analyst.home", PASSWORD).status_code == 200


def test_a_login_waiting_to_hash_holds_no_connection_and_blocks_no_writer(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS)
    app = guarded_app(db, Clock(), slots=1, wait_seconds=60)
    guard: LoginGuard = app.state.login_guard
    assert guard.slots.try_take()
    with TestClient(app, client=(ADDRESS, 40_000)) as client, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(post_login, client, "analyst.home", PASSWORD)
        wait_until(lambda: guard.slots.waiting == 1, "the login to wait for a hash slot")
        connections = db.engine.pool
        assert isinstance(connections, QueuePool)
        assert connections.checkedout() == 0, "no transaction is open while it waits"
        with db.transaction() as session:  # on SQLite this needs the write lock
            audit.record(session, Actor.cli(), "test.write", "user", [])
        assert not pending.done()
        guard.slots.give_back()
        assert pending.result(timeout=60).status_code == 200


def test_a_burst_of_wrong_passwords_leaves_other_users_answered(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    with db.transaction() as session:
        issued = auth.create_api_token(
            session, Actor.cli(), settings, username="analyst.home", name="t", days=1
        )
    app = guarded_app(db, Clock(), slots=1, wait_seconds=0.2)
    attackers = [at(app, f"203.0.113.{n}") for n in range(20)]
    with TestClient(app) as user, ThreadPoolExecutor(len(attackers)) as pool:
        burst = [pool.submit(post_login, attacker, "admin.home", WRONG) for attacker in attackers]
        answers = [
            user.get("/auth/me", headers={"Authorization": f"Bearer {issued.secret}"}) for _ in range(10)
        ]
        refused = {future.result(timeout=120).status_code for future in burst}
    assert [answer.status_code for answer in answers] == [200] * 10
    assert refused <= {401, 503}, "each attempt refused as wrong, or quickly as busy: nothing else"
