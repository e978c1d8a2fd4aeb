"""Changing one's own password: the current one (and code) first, then the new one's rules."""

from __future__ import annotations

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.auth.helpers import (
    PASSWORD,
    WRONG,
    Clock,
    add_users,
    at,
    code_of,
    enrol_directly,
    guarded_app,
    post,
    post_login,
    step_now,
    wire,
)

NEW = "violet anchor drifts past seven lanterns"
USERS = {"analyst.home": "analyst", "second.home": "analyst"}


def bearer(client: TestClient, username: str, otp: str | None = None) -> dict[str, str]:
    response = post_login(client, username, PASSWORD, otp=otp)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_a_password_change_ends_the_other_sessions_but_not_this_one(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock()), "192.0.2.1")
    other, mine = bearer(client, "analyst.home"), bearer(client, "analyst.home")
    api = client.post("/tokens", json={"name": "bot", "days": 1}, headers=mine).json()
    changed = post(client, "/auth/password", {"current_password": PASSWORD, "new_password": NEW}, **mine)
    assert changed.status_code == 200 and changed.json() == {"sessions_ended": 1}
    assert client.get("/auth/me", headers=mine).status_code == 200
    assert client.get("/auth/me", headers=other).status_code == 401
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {api['token']}"}).status_code == 200
    assert post_login(client, "analyst.home", PASSWORD).status_code == 401
    assert post_login(client, "analyst.home", NEW).status_code == 200


def test_a_wrong_current_password_gets_the_login_answer_and_is_throttled(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS)
    app = guarded_app(db, Clock(), free_failures=2)
    client = at(app, "192.0.2.1")
    mine = bearer(client, "analyst.home")
    body = {"current_password": WRONG, "new_password": NEW}
    answers = [post(client, "/auth/password", body, **mine) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 429]
    unknown = post_login(at(guarded_app(db, Clock()), "192.0.2.1"), "nobody.home", WRONG)
    assert wire(answers[0]) == wire(unknown)
    assert post_login(at(app, "192.0.2.2"), "analyst.home", PASSWORD).status_code == 200


def test_the_new_password_must_be_long_uncommon_and_new(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock()), "192.0.2.1")
    mine = bearer(client, "analyst.home")
    for new, reason in (
        ("short one", "shorter than 12"),
        ("password12345", "too common"),
        ("analyst.home2024", "too common"),  # the username with a year
        (PASSWORD, "is the current one"),
    ):
        refused = post(client, "/auth/password", {"current_password": PASSWORD, "new_password": new}, **mine)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "new_password", new
        assert reason in refused.json()["error"]["message"]
    too_long = post(
        client, "/auth/password", {"current_password": PASSWORD, "new_password": "x" * 257}, **mine
    )
    assert too_long.status_code == 422 and too_long.json()["error"]["field"] == "body.new_password"


def test_an_enrolled_user_needs_a_code_and_a_token_to_change_it(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    secret = enrol_directly(db, "second.home")
    step = step_now()
    client = at(guarded_app(db, Clock()), "192.0.2.1")
    mine = bearer(client, "second.home", otp=code_of(secret, step))
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert post(client, "/auth/password", body, **mine).status_code == 401
    assert (
        post(client, "/auth/password", body | {"otp": code_of(secret, step + 1)}, **mine).status_code == 200
    )
    assert post(client, "/auth/password", body).status_code == 401, "no bearer token"
