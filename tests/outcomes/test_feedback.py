"""A package's "arrested" feedback is an arrest outcome of the subject, once."""

from __future__ import annotations

from sqlalchemy import select

from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.runtime import Database
from caseweave.dissemination import workflow
from caseweave.outcomes.models import OutcomeEvent
from caseweave.outcomes.service import list_outcomes
from tests.dissemination.scenario import build, send_packages

REF = "PKG-1-PARTNER-V1"


def test_arrested_feedback_becomes_an_arrest(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    send_packages(db, settings, scene.coordinator, scene.op)
    child, material = scene.subjects["child"], scene.subjects["material"]
    partner = scene.actor("PARTNER")
    with db.transaction() as session:
        workflow.report_outcome(session, partner, REF, child, "investigating")
        workflow.report_outcome(session, partner, REF, child, "arrested", "arrested at home")
        workflow.report_outcome(session, partner, REF, child, "arrested")  # said again: one arrest
        workflow.report_outcome(session, partner, REF, material, "no trace")
    with db.transaction() as session:
        events = session.scalars(select(OutcomeEvent)).all()
        assert [(e.kind, e.country, e.source, e.source_ref, e.occurred_on) for e in events] == [
            ("arrested", "CA", "package", REF, utcnow().date())
        ]
        assert events[0].owner_agency_id == scene.world.agency_ids["PARTNER"]
        assert [public_id for _, public_id in list_outcomes(session, partner, scene.op)] == [child]
