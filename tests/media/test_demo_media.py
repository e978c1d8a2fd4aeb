"""The demo's media triage on generated benign images: copies and altered copies are known material."""

from __future__ import annotations

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.demo import media
from caseweave.media.matching import KNOWN, NEW_MATERIAL
from caseweave.operations.models import Agency, Operation
from tests.support.world import build_world


def test_the_demo_finds_every_copy_and_the_rest_is_new_material(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    for run in (1, 2):
        with db.transaction() as session:
            operation = session.get_one(Operation, world.operation_id)
            seizing = session.get_one(Agency, world.agency_ids["PARTNER"])
            result = media.run_media_demo(session, Actor.cli(), settings, operation, seizing)
        report = result.report
        assert result.bank_entries == media.KNOWN
        assert report.counts[KNOWN] == media.EXACT + media.ALTERED
        assert report.counts[NEW_MATERIAL] == media.NEW
        assert report.created == (run == 1)  # the same images again: nothing new stored
        altered = [f for f in report.files if f.status == KNOWN and f.matches[0].algorithm == "pdq"]
        assert altered and all(0 < f.matches[0].distance <= 31 for f in altered)
