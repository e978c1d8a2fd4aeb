"""Reads take no write lock; a busy database or a full server answers 503 with Retry-After and
recovers by itself; a read never answers without its audit entry.

Each test holds the write lock from a second unit of work, as a long import would: on SQLite its
BEGIN IMMEDIATE, on PostgreSQL the audit head's row lock (taken by its audit entry)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.audit.service import verify
from caseweave.auth.models import Token, User
from caseweave.config import Settings
from caseweave.db.engine import READ_ONLY
from caseweave.db.runtime import Database
from caseweave.notes.service import create_note
from tests.api.conftest import LimitedClient, database_of
from tests.support.world import World, build_world

WAIT = 60  # seconds: only a guard against hanging when something is broken, never a measured time


@contextmanager
def write_lock_held(db: Database, world: World) -> Iterator[Session]:
    """A second writer, mid-way through an audited note, until the block ends (then it commits)."""
    session = db.sessions()
    try:
        author = session.get(User, world.user("PARTNER", "analyst").id)
        assert author is not None
        actor = Actor.for_user(author)
        create_note(session, actor, world.operation_id, title="written meanwhile", body="", tlp=TLP.GREEN)
        yield session
        session.commit()
    finally:
        session.close()


@contextmanager
def on_write_begin(db: Database) -> Iterator[threading.Event]:
    """Set when a unit of work that may write takes its connection (before it waits for the lock)."""
    began = threading.Event()

    def connected(connection: Any) -> None:
        if not connection.get_execution_options().get(READ_ONLY, False):
            began.set()

    event.listen(db.engine, "engine_connect", connected)
    try:
        yield began
    finally:
        event.remove(db.engine, "engine_connect", connected)


def actions(db: Database) -> list[tuple[str, Any]]:
    with db.transaction() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.seq))
        return [(action, detail) for action, detail in rows]


def test_a_read_runs_while_another_writer_holds_the_lock(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    headers = world.headers("LEAD", "analyst")
    notes = f"/operations/{world.operation_id}/notes"
    assert client.post(notes, headers=headers, json={"title": "before", "tlp": "GREEN"}).status_code == 201

    with ThreadPoolExecutor(1) as pool:
        with write_lock_held(db, world), on_write_begin(db) as appending:
            read = pool.submit(client.get, notes, headers=headers)
            # The read has read and now appends its audit entry, which waits for the writer to finish.
            assert appending.wait(WAIT), "the read never got to its audit entry"
            assert not read.done()
        response: Response = read.result(WAIT)

    assert response.status_code == 200
    assert [note["title"] for note in response.json()] == ["before"], "it read without waiting"
    log = [action for action, _ in actions(db)]
    assert log[-3:] == ["note.create", "note.create", "note.list"], "its entry follows the writer's"
    with db.transaction() as session:
        assert verify(session).ok


def test_a_read_whose_audit_entry_cannot_be_written_answers_503_not_data(
    db: Database, settings: Settings, limited_client: LimitedClient
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    client = limited_client(db_lock_timeout_seconds=0.2, http_retry_after_seconds=3)
    headers = world.headers("LEAD", "analyst")
    notes = f"/operations/{world.operation_id}/notes"
    with write_lock_held(db, world):
        refused = client.get(notes, headers=headers)
        refused_write = client.post(notes, headers=headers, json={"title": "refused", "tlp": "GREEN"})
    for response in (refused, refused_write):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "3"
        assert response.json()["error"]["code"] == "unavailable"
        assert response.json()["request_id"] == response.headers["X-Request-ID"]
    assert "note.list" not in [action for action, _ in actions(db)]

    assert client.get(notes, headers=headers).status_code == 200, "it recovers once the lock is free"
    assert client.post(notes, headers=headers, json={"title": "later", "tlp": "GREEN"}).status_code == 201
    titles = [note["title"] for note in client.get(notes, headers=headers).json()]
    assert titles == ["later", "written meanwhile"]  # newest first


def test_a_read_records_its_token_use_after_reading(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    with db.transaction() as session:
        token = session.scalars(select(Token).where(Token.user_id == world.user("LEAD", "analyst").id)).one()
        assert token.last_used_at is None
        token_id = token.id
    response = client.get(f"/operations/{world.operation_id}/notes", headers=world.headers("LEAD", "analyst"))
    assert response.status_code == 200
    with db.transaction() as session:
        used = session.get(Token, token_id)
        assert used is not None and used.last_used_at is not None


def test_overload_is_refused_with_503_and_the_server_recovers(
    db: Database, settings: Settings, limited_client: LimitedClient
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    for queued in (0, 2):
        client = limited_client(
            http_max_concurrent_requests=1,
            http_max_queued_requests=queued,
            http_queue_timeout_seconds=0.05,
            http_retry_after_seconds=2,
        )
        headers = world.headers("LEAD", "analyst")
        notes = f"/operations/{world.operation_id}/notes"
        with ThreadPoolExecutor(1) as pool:
            with write_lock_held(db, world), on_write_begin(database_of(client)) as began:
                slow = {"title": "slow", "tlp": "GREEN"}
                first = pool.submit(client.post, notes, headers=headers, json=slow)
                assert began.wait(WAIT), "the first request holds the only slot, waiting for the lock"
                refused = client.get(notes, headers=headers)
                health = client.get("/health")
            assert first.result(WAIT).status_code == 201
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "2"
        assert refused.json()["error"]["code"] == "unavailable"
        assert refused.headers["Content-Security-Policy"]
        assert health.status_code == 200, "liveness is never queued"
        assert client.get(notes, headers=headers).status_code == 200, "free again once the slot is"
