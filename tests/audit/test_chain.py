"""The audit chain records every write and read, and any edit, deletion, reordering or truncation
made directly in the database is found by verify, on both engines."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from caseweave.audit.models import AuditEntry
from caseweave.audit.service import verify
from caseweave.config import Settings
from caseweave.db.migrations.protect import unprotect_audit_tables
from caseweave.db.runtime import Database
from tests.support.world import World, build_world


def busy_world(client: TestClient, db: Database, settings: Settings) -> World:
    world = build_world(db, settings, roles=("analyst", "auditor"))
    headers = world.headers("LEAD", "analyst")
    for label in ("GREEN", "AMBER", "RED"):
        client.post(
            f"/operations/{world.operation_id}/notes", headers=headers, json={"title": label, "tlp": label}
        )
    client.get(f"/operations/{world.operation_id}/notes", headers=headers)
    return world


def test_reads_and_writes_are_chained_and_verify(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = busy_world(client, db, settings)
    with db.transaction() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        listed = session.scalars(select(AuditEntry).where(AuditEntry.action == "note.list")).one()
        result = verify(session)
    assert actions.count("note.create") == 3
    assert listed.object_ids and listed.actor == "user:analyst.lead"
    assert listed.actor_agency_id == world.agency_ids["LEAD"]
    assert result.ok and result.entries == len(actions) == result.head_seq

    response = client.get("/audit/verify", headers=world.headers("LEAD", "auditor"))
    assert response.status_code == 200 and response.json()["ok"] is True
    assert client.get("/audit/verify", headers=world.headers("LEAD", "analyst")).status_code == 403
    entries = client.get("/audit/entries?limit=3", headers=world.headers("LEAD", "auditor")).json()
    # an agency's auditor reads what its own users did (the world was set up by the operator), in order
    assert [entry["action"] for entry in entries] == ["note.create"] * 3
    assert {entry["actor_agency_id"] for entry in entries} == {world.agency_ids["LEAD"]}
    assert [entry["seq"] for entry in entries] == sorted(entry["seq"] for entry in entries)


def test_request_id_ties_entries_to_the_request(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    response = client.get(
        f"/operations/{world.operation_id}/notes",
        headers={**world.headers("LEAD", "analyst"), "X-Request-ID": "req-42"},
    )
    assert response.headers["X-Request-ID"] == "req-42"
    with db.transaction() as session:
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.request_id == "req-42")).all() == [
            "note.list"
        ]


def test_the_database_refuses_to_change_audit_rows(
    client: TestClient, db: Database, settings: Settings
) -> None:
    busy_world(client, db, settings)
    for statement in (
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
        "UPDATE audit_head SET last_seq = 1",
        "DELETE FROM audit_head",
    ):
        with (
            pytest.raises(DBAPIError, match=r"append-only|only moves forward|cannot be deleted"),
            db.engine.begin() as c,
        ):
            c.execute(text(statement))
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as c:
            c.execute(text("TRUNCATE audit_log"))


def _edit(c: Connection) -> None:
    c.execute(text('UPDATE audit_log SET detail = \'{"tlp": "CLEAR"}\' WHERE seq = 5'))


def _delete(c: Connection) -> None:
    c.execute(text("DELETE FROM audit_log WHERE seq = 5"))


def _reorder(c: Connection) -> None:
    c.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = 5"))
    c.execute(text("UPDATE audit_log SET seq = 5 WHERE seq = 6"))
    c.execute(text("UPDATE audit_log SET seq = 6 WHERE seq = -1"))


def _rehash_edit(c: Connection) -> None:
    """Rewrite an entry and recompute its own hash: the next entry's link still gives it away."""
    from caseweave.audit.chain import HASHED_FIELDS, entry_hash

    row = c.execute(select(AuditEntry.__table__).where(AuditEntry.seq == 5)).mappings().one()
    fields = {name: row[name] for name in HASHED_FIELDS}
    fields["actor"] = "cli:nobody"
    from caseweave.db.base import UTCDateTime

    fields["at"] = UTCDateTime().process_result_value(fields["at"], c.dialect)
    c.execute(
        text("UPDATE audit_log SET actor = :actor, entry_hash = :h WHERE seq = 5"),
        {"actor": "cli:nobody", "h": entry_hash(row["prev_hash"], fields)},
    )


def _truncate_tail(c: Connection) -> None:
    last = c.execute(select(func.max(AuditEntry.seq))).scalar_one()
    c.execute(text("DELETE FROM audit_log WHERE seq > :keep"), {"keep": last - 2})


def _truncate_all(c: Connection) -> None:
    c.execute(text("DELETE FROM audit_log"))


@pytest.mark.parametrize(
    ("tamper", "broken_at", "reason"),
    [
        (_edit, 5, "altered"),
        (_delete, 5, "missing"),
        (_reorder, 5, "link"),
        (_rehash_edit, 6, "link"),
        (_truncate_tail, None, "removed from the end"),
        (_truncate_all, 1, "removed from the end"),
    ],
    ids=["edit", "delete", "reorder", "edit-and-rehash", "truncate-tail", "truncate-all"],
)
def test_verify_finds_tampering(
    client: TestClient,
    db: Database,
    settings: Settings,
    tamper: Callable[[Connection], None],
    broken_at: int | None,
    reason: str,
) -> None:
    busy_world(client, db, settings)
    with db.transaction() as session:
        total = verify(session).entries
    with db.engine.begin() as connection:
        unprotect_audit_tables(connection)
        tamper(connection)
    with db.transaction() as session:
        result = verify(session)
    assert not result.ok
    assert result.broken_at == (broken_at or total - 1)
    assert reason in (result.reason or "")
