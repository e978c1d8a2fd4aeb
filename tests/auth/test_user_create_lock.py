"""Adding a user hashes its password with no transaction open (issue 17 point 6): an admin creating
accounts never holds the SQLite write lock, or PostgreSQL's audit-head row, while argon2 runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth import service as auth
from caseweave.auth.passwords import hash_password
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.world import build_world


def test_a_password_is_hashed_while_other_writers_write(
    client: TestClient, db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(db, settings, roles=("platform_admin",))
    connections = db.engine.pool
    seen: list[int] = []

    def hash_beside_a_writer(password: str, min_length: int, **_: object) -> str:
        seen.append(connections.checkedout())  # type: ignore[attr-defined]
        with db.transaction() as session:  # the write lock (SQLite) and the head's row lock (PostgreSQL)
            if db.engine.dialect.name == "postgresql":
                session.execute(text("SET LOCAL lock_timeout = '2s'"))
            audit.record(session, Actor.cli(), "test.write", "user", [])
        return hash_password(password, min_length)

    monkeypatch.setattr(auth, "hash_password", hash_beside_a_writer)
    created = client.post(
        "/users",
        headers=world.headers("LEAD", "platform_admin"),
        json={"username": "new.user", "agency": "PARTNER", "roles": ["analyst"]},
    )
    assert created.status_code == 201, created.text
    assert seen == [0], "no connection (so no transaction) is held while the password is hashed"
