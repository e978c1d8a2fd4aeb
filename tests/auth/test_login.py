"""Login, lockout, tokens: who gets in, who is kept out, and that each refusal says why."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from caseweave.auth.models import Token
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.runtime import Database
from tests.support.world import PASSWORD, build_world


def login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = client.post("/auth/login", json={"username": username, "password": password})
    return response.status_code, response.json()


def test_login_gives_a_token_stored_only_as_a_hash(
    client: TestClient, db: Database, settings: Settings
) -> None:
    build_world(db, settings, roles=("analyst",))
    status, body = login(client, "analyst.lead", PASSWORD)
    assert status == 200
    token = str(body["token"])
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == "analyst.lead"
    with db.transaction() as session:
        stored = session.scalars(select(Token.token_hash)).all()
    assert token not in stored and all(len(digest) == 64 for digest in stored)
    assert client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, db: Database, settings: Settings
) -> None:
    build_world(db, settings, roles=("analyst",))
    wrong = login(client, "analyst.lead", "not the password")
    unknown = login(client, "nobody.here", "not the password")
    assert wrong[0] == unknown[0] == 401
    assert wrong[1]["error"] == unknown[1]["error"]


def test_repeated_failures_hold_back_only_the_address_that_failed(
    client: TestClient, db: Database, settings: Settings
) -> None:
    build_world(db, settings, roles=("analyst",))
    for _ in range(settings.lockout_after):
        assert login(client, "analyst.lead", "guess guess guess")[0] == 401
    status, body = login(client, "analyst.lead", PASSWORD)
    assert status == 429, "even the right password waits at the address that failed"
    assert "try again in" in str(body["error"])
    elsewhere = TestClient(client.app, client=("198.51.100.7", 40000))
    response = elsewhere.post("/auth/login", json={"username": "analyst.lead", "password": PASSWORD})
    assert response.status_code == 200, "the real user at another address is not locked out"


def test_bad_tokens_are_refused_with_a_reason(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst", "platform_admin"))
    cases = {
        "": "no bearer token",
        "Bearer ": "no bearer token",
        "Basic abc": "no bearer token",
        "Bearer not-a-token": "malformed token",
        "Bearer cw_" + "A" * 43: "unknown or revoked token",
    }
    for header, reason in cases.items():
        response = client.get("/auth/me", headers={"Authorization": header} if header else {})
        assert response.status_code == 401, header
        assert response.json()["error"]["message"] == reason
        assert response.headers["WWW-Authenticate"] == "Bearer"

    headers = world.headers("LEAD", "analyst")
    with db.transaction() as session:
        session.execute(update(Token).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = client.get("/auth/me", headers=headers)
    assert expired.status_code == 401 and expired.json()["error"]["message"] == "token expired"


def test_api_tokens_can_be_created_listed_and_revoked(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst", "platform_admin"))
    mine = world.headers("LEAD", "analyst")
    created = client.post("/tokens", headers=mine, json={"name": "ingest bot", "days": 30})
    assert created.status_code == 201
    bot = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/auth/me", headers=bot).json()["username"] == "analyst.lead"
    assert any(t["name"] == "ingest bot" for t in client.get("/tokens", headers=mine).json())

    other = client.post("/tokens", headers=mine, json={"username": "analyst.partner"})
    assert other.status_code == 404, "another user is not yours to manage: as if absent"
    assert client.post("/tokens", headers=mine, json={"days": 9999}).status_code == 422

    partner = world.headers("PARTNER", "analyst")
    assert client.delete(f"/tokens/{created.json()['token_id']}", headers=partner).status_code == 404
    assert client.delete(f"/tokens/{created.json()['token_id']}", headers=mine).status_code == 200
    assert client.get("/auth/me", headers=bot).status_code == 401


def test_disabling_a_user_ends_their_access(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst", "agency_admin"))
    victim = world.headers("PARTNER", "analyst")
    outsider = client.post(
        "/users/analyst.partner/disable", headers=world.headers("OUTSIDER", "agency_admin")
    )
    assert outsider.status_code == 404, "another agency's user is not the outsider's to see"
    own = client.post("/users/analyst.partner/disable", headers=world.headers("PARTNER", "agency_admin"))
    assert own.status_code == 200
    assert client.get("/auth/me", headers=victim).status_code == 401
    assert login(client, "analyst.partner", PASSWORD)[0] == 401
