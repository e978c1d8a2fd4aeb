"""Migration 0010 on a linked operation: links get their evidence label (the model's from its
parts), alert messages keep their text with the evidence joined by "; ", and it goes down and up
again with nothing changed, on both engines."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command

from caseweave.config import Settings
from caseweave.db.engine import make_engine
from caseweave.db.migrate import alembic_config, current_revision, head_revision, upgrade
from caseweave.db.runtime import Database
from tests.linkage.helpers import Row
from tests.linkage.test_service import link, send
from tests.support.world import build_world

LINKS = sa.table(
    "links",
    *(sa.column(name) for name in ("id", "operation_id", "a_id", "b_id", "kind", "match_weight")),
    sa.column("contributions", sa.JSON()),
    sa.column("created_at", sa.DateTime()),
)
SHARED = "shared.person@example.org"


def test_links_and_alerts_of_a_linked_operation_get_evidence(
    database_url: str, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    lead = send(db, world, "LEAD", [Row("1001", "darkfox", SHARED)], released_to=("PARTNER",))
    partner = send(db, world, "PARTNER", [Row("77", "darkfox", SHARED)])
    link(db, settings)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            labels = _by_id(connection, "SELECT id, evidence FROM links")
            messages = _by_id(connection, "SELECT id, message FROM alerts")
        disclosed = [text for text in messages.values() if "Matched on: " in text]
        assert len(labels) >= 2 and all(labels.values())
        assert len(disclosed) == 1 and "; " in disclosed[0]  # two kinds of evidence

        command.downgrade(alembic_config(engine), "0009")
        with engine.begin() as connection:
            older = _by_id(connection, "SELECT id, message FROM alerts")
            parts = {
                "email": {"level": "exact", "match_weight": 9.1},
                "dob": {"level": "else", "match_weight": -2.0},
            }
            a_id, b_id = sorted((lead["1001"], partner["77"]))
            connection.execute(
                sa.insert(LINKS),
                [
                    {
                        "id": 999,
                        "operation_id": world.operation_id,
                        "a_id": a_id,
                        "b_id": b_id,
                        "kind": "probabilistic",
                        "match_weight": 7.1,
                        "contributions": parts,
                        "created_at": datetime(2026, 1, 5, 10, 0),
                    }
                ],
            )
        assert older == {i: _joined_by_commas(text) for i, text in messages.items()}

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            after = _by_id(connection, "SELECT id, evidence FROM links")
            assert _by_id(connection, "SELECT id, message FROM alerts") == messages
        assert after == {**labels, 999: "probable match: email"}
    finally:
        engine.dispose()


def _joined_by_commas(message: str) -> str:
    head, found, evidence = message.partition("Matched on: ")
    return head + found + evidence.replace("; ", ", ")


def _by_id(connection: sa.Connection, query: str) -> dict[int, str]:
    return {row_id: text for row_id, text in connection.execute(sa.text(query)).all()}
