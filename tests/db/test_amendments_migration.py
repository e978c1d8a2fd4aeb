"""Migration 0003 on a database holding quarantined records: their place and line are filled in,
and it goes down and up again with the rows in place, on both engines."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command

from caseweave.config import Settings
from caseweave.db.engine import make_engine
from caseweave.db.migrate import alembic_config, current_revision, head_revision, upgrade
from caseweave.db.runtime import Database
from tests.support.world import build_world

RAW = sa.table("raw_files", sa.column("sha256"), sa.column("size_bytes"), sa.column("chunks"))
REFERRALS = sa.table(
    "referrals",
    *(sa.column(name) for name in ("id", "format", "file_name", "sha256", "external_id", "title", "summary")),
    *(sa.column(name) for name in ("status", "tlp", "operation_id", "owner_agency_id")),
    sa.column("counts", sa.JSON()),
    sa.column("received_at", sa.DateTime()),
    sa.column("created_at", sa.DateTime()),
)
QUARANTINED = sa.table(
    "quarantined_records",
    *(
        sa.column(name)
        for name in ("id", "field", "reason", "raw", "resolved", "ref", "location", "referral_id")
    ),
    *(sa.column(name) for name in ("tlp", "operation_id", "owner_agency_id")),
    sa.column("created_at", sa.DateTime()),
    sa.column("line", sa.Integer()),
)


def test_existing_quarantined_records_get_their_place(
    database_url: str, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    engine = make_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), "0002")
        owner = {
            "tlp": "AMBER",
            "operation_id": world.operation_id,
            "owner_agency_id": world.agency_ids["LEAD"],
        }
        when = datetime(2026, 1, 5, 10, 0)
        with engine.begin() as connection:
            connection.execute(sa.insert(RAW), [{"sha256": "a" * 64, "size_bytes": 1, "chunks": 0}])
            connection.execute(
                sa.insert(REFERRALS),
                [
                    {
                        **owner,
                        **{"id": 1, "format": "platform", "file_name": "re:turn.csv", "sha256": "a" * 64},
                        **{
                            "external_id": "x",
                            "title": "t",
                            "summary": "",
                            "status": "partial",
                            "counts": {},
                        },
                        **{"received_at": when, "created_at": when},
                    }
                ],
            )
            rows = [
                ("re:turn.csv:line 12", "line 12", 12),
                ("re:turn.csv:/report/a[2]", "/report/a[2]", None),
            ]
            connection.execute(
                sa.insert(QUARANTINED),
                [
                    {
                        **owner,
                        "id": i,
                        "field": "f",
                        "reason": "r",
                        "raw": "",
                        "resolved": False,
                        "ref": location,
                    }
                    | {"location": location, "referral_id": 1, "created_at": when}
                    for i, (location, _, _) in enumerate(rows, start=1)
                ],
            )
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            found = connection.execute(
                sa.select(QUARANTINED.c.ref, QUARANTINED.c.line).order_by(QUARANTINED.c.id)
            ).all()
        assert [tuple(row) for row in found] == [(ref, line) for _, ref, line in rows]
        command.downgrade(alembic_config(engine), "0002")
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
