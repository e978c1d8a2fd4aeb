"""The bulk path (sqlite3 executemany, PostgreSQL COPY) stores exactly what the ORM reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select, text

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.bulk import bulk_insert, refresh_statistics
from caseweave.db.runtime import Database
from caseweave.intake.models import Referral, Sighting
from caseweave.intake.service import import_referral
from tests.support.world import build_world

ONE_ACCOUNT = "platform,account_id,username\nchatapp,1001,DarkFox88\n"


def _one_referral(db: Database, settings: Settings, tmp_path: Path) -> dict[str, Any]:
    """The columns every sighting of a freshly imported one-line referral shares."""
    world = build_world(db, settings, roles=("analyst",))
    path = tmp_path / "return.csv"
    path.write_text(ONE_ACCOUNT)
    actor = Actor.for_user(world.user("LEAD", "analyst"))
    with db.transaction() as session, path.open("rb") as stream:
        import_referral(session, actor, world.operation_id, stream, path.name)
    with db.transaction() as session:
        referral = session.scalars(select(Referral)).one()
        return {
            "operation_id": referral.operation_id,
            "owner_agency_id": referral.owner_agency_id,
            "tlp": referral.tlp,
            "created_by_user_id": referral.created_by_user_id,
            "referral_id": referral.id,
        }


def test_values_round_trip_through_the_engines_bulk_path(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    common = _one_referral(db, settings, tmp_path)
    seen_at = datetime(2025, 3, 2, 23, 15, 7, 123456, tzinfo=timezone(timedelta(hours=2)))
    with db.transaction() as session:
        rows = [
            {
                **common,
                "ref": f"bulk:{n}",
                "location": "bulk.csv:line 2",
                "selector_type": "username",
                "value": "ñoño_ß" if n else "plain",
                "raw_value": "Ñoño_SS",
                "flags": ["ipv4", "cgnat"] if n else [],
                "port": 443 if n else None,
                "observed_from": seen_at if n else None,
                "observed_to": None,
            }
            for n in range(2)
        ]
        table: Table = Sighting.__table__  # type: ignore[assignment]
        bulk_insert(session, table, rows)
    with db.transaction() as session:
        stored = session.scalars(
            select(Sighting).where(Sighting.ref.like("bulk:%")).order_by(Sighting.ref)
        ).all()
    assert [(s.value, s.flags, s.port, s.observed_from) for s in stored] == [
        ("plain", [], None, None),
        ("ñoño_ß", ["ipv4", "cgnat"], 443, seen_at.astimezone(UTC)),
    ]
    # Columns the rows leave out get the model's defaults, as a Core insert would give them.
    assert [s.possible_proxy for s in stored] == [False, False]
    assert all(s.created_at is not None and s.created_at.tzinfo is not None for s in stored)


def test_the_planner_sees_rows_bulk_inserted_in_the_same_transaction(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    common = _one_referral(db, settings, tmp_path)
    rows = [
        {
            **common,
            "ref": f"bulk:{n}",
            "location": "bulk.csv",
            "selector_type": "email",
            "value": f"p{n}@example.org",
            "raw_value": f"p{n}@example.org",
            "flags": [],
        }
        for n in range(3000)
    ]
    table: Table = Sighting.__table__  # type: ignore[assignment]
    with db.transaction() as session:
        bulk_insert(session, table, rows)
        refresh_statistics(session, ["sightings"])
        if session.get_bind().dialect.name == "postgresql":  # SQLite plans from its indexes alone
            estimate = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'sightings'"))
            assert estimate is not None and estimate >= 3000
