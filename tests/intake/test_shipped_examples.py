"""Every example a format ships (its contract test reads it with the parser alone) also imports
through the whole pipeline, normalisation and storage included, on both engines: what the example
declares is what is stored, and only what it declares is quarantined."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.base import Example
from caseweave.intake.models import QuarantinedRecord
from caseweave.intake.records import RECORD_KINDS
from caseweave.intake.registry import IMPORTERS
from caseweave.intake.service import ImportRejected, import_referral
from tests.support.world import build_world

READABLE = [
    (fmt, example)
    for fmt, importer in sorted(IMPORTERS.items())
    for example in importer.examples()
    if not example.rejected
]


@pytest.mark.parametrize(
    "fmt, example", READABLE, ids=[f"{fmt}: {example.name}" for fmt, example in READABLE]
)
def test_a_shipped_example_imports_as_it_declares(
    fmt: str, example: Example, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    actor = Actor.for_user(world.user("LEAD", "analyst"))
    bad = len(example.error_fields) + example.quarantined
    file_name = f"example.{fmt}"

    def import_it(partial: bool) -> dict[str, int]:
        with db.transaction() as session:
            content = io.BytesIO(example.content)
            outcome = import_referral(
                session, actor, world.operation_id, content, file_name, fmt=fmt, partial=partial
            )
            return outcome.counts

    if bad:
        with pytest.raises(ImportRejected):
            import_it(partial=False)
    counts = import_it(partial=bool(bad))
    stored = example.persons + example.sightings + example.media_hashes - example.quarantined
    assert counts["quarantined"] == bad
    records = sum(counts[key] for key in RECORD_KINDS.values() if key in counts)
    assert records + counts["sightings"] + counts["media_hashes"] == stored
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(QuarantinedRecord)) == bad
