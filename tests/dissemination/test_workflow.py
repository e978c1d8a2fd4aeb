"""The receiving agency lists, receives, acknowledges and answers its packages; the coordinator follows
them and sees the overdue ones; nobody else finds them. Every step is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.runtime import Database
from caseweave.dissemination import workflow
from caseweave.dissemination.documents import read_document
from caseweave.dissemination.models import PackageOutcome
from caseweave.errors import Conflict, Forbidden, Invalid, NotFound
from tests.dissemination.scenario import Scenario, build, send_packages

REF = "PKG-1-PARTNER-V1"


def _audited(db: Database, action: str) -> int:
    with db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))
            or 0
        )


def _sent(db: Database, settings: Settings) -> Scenario:
    scene = build(db, settings)
    send_packages(db, settings, scene.coordinator, scene.op)
    return scene


def test_receipt_acknowledgement_and_outcomes(db: Database, settings: Settings) -> None:
    scene = _sent(db, settings)
    analyst, coordinator = scene.actor("PARTNER"), scene.actor("PARTNER", "coordinator")
    with db.transaction() as session:
        listed = workflow.list_packages(session, analyst, scene.op)
        assert [(i.reference, i.status, i.urgency, i.subjects, i.urgent_subjects) for i in listed] == [
            (REF, "sent", "immediate", 3, 2)
        ]
        received = workflow.mark_received(session, analyst, REF)
        assert (received.status, received.received_by) == ("received", "analyst.partner")
    with db.transaction() as session:
        again = workflow.mark_received(
            session, coordinator, listed[0].id
        )  # by id too; the first receipt stays
        assert again.received_by == "analyst.partner"
        done = workflow.acknowledge(session, coordinator, REF, "taken on by the duty desk")
        assert (done.status, done.acknowledged_by, done.acknowledgement_note) == (
            "acknowledged",
            "coordinator.partner",
            "taken on by the duty desk",
        )
    with db.transaction() as session, pytest.raises(Conflict, match="already acknowledged"):
        workflow.acknowledge(session, analyst, REF)

    child = scene.subjects["child"]
    with db.transaction() as session:
        workflow.report_outcome(session, analyst, REF, child, "investigating")
        reported = workflow.report_outcome(
            session, analyst, REF, child.lower(), "Arrested", "arrested at home"
        )
        assert (reported.outcome, reported.reported_by) == ("arrested", "analyst.partner")
    with db.transaction() as session:
        for subject, outcome, error in (
            (child, "released on bail", Invalid),
            (scene.subjects["gb"], "no_trace", NotFound),  # not in this package
        ):
            with pytest.raises(error):
                workflow.report_outcome(session, analyst, REF, subject, outcome)
    with db.transaction() as session:
        status = workflow.package_status(session, scene.coordinator, REF)  # the coordinator follows it
        assert [(s.subject, s.outcome) for s in status.subjects] == [
            (child, "arrested"),
            (scene.subjects["material"], None),
            (scene.subjects["suspect"], None),
        ]
        assert session.scalar(select(func.count()).select_from(PackageOutcome)) == 2  # the history stays
    assert [_audited(db, a) for a in ("package.receive", "package.acknowledge", "package.outcome")] == [
        2,
        1,
        2,
    ]


def test_the_coordinator_sees_overdue_packages_until_they_are_acknowledged(
    db: Database, settings: Settings
) -> None:
    scene = _sent(db, settings)
    later = utcnow() + timedelta(hours=25)  # past the immediate package's 24 hours, before 30 days
    with db.transaction() as session:
        assert workflow.overdue(session, scene.coordinator, scene.op) == []
        assert [i.reference for i in workflow.overdue(session, scene.coordinator, scene.op, later)] == [REF]
        everyone = workflow.list_packages(session, scene.coordinator, scene.op)
        assert [i.agency for i in everyone] == ["PARTNER", "LATE", "LEAD"]  # most urgent first
        with pytest.raises(Forbidden, match="only the lead agency's coordinators follow overdue packages"):
            workflow.overdue(session, scene.actor("PARTNER", "coordinator"), scene.op)
    with db.transaction() as session:
        workflow.acknowledge(session, scene.actor("PARTNER"), REF)
    with db.transaction() as session:
        assert workflow.overdue(session, scene.coordinator, scene.op, later) == []
    assert _audited(db, "package.overdue") == 3


def test_another_agencys_package_is_not_found_and_nothing_changes(db: Database, settings: Settings) -> None:
    scene = _sent(db, settings)
    late = scene.actor("LATE")
    with db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        with pytest.raises(NotFound) as nope:
            workflow.find_package(session, late, "PKG-1-NOPE-V9")
        missing = str(nope.value)
    calls: list[Callable[[Session], object]] = [
        lambda s: workflow.package_status(s, late, REF),
        lambda s: workflow.mark_received(s, late, REF),
        lambda s: workflow.acknowledge(s, late, REF),
        lambda s: workflow.report_outcome(s, late, REF, scene.subjects["child"], "arrested"),
        lambda s: read_document(s, late, REF, "pdf"),
        lambda s: read_document(s, scene.coordinator, REF, "json"),  # the coordinator tracks, never reads
        lambda s: read_document(s, scene.actor("OUTSIDER"), REF, "json"),
    ]
    for call in calls:
        with db.transaction() as session, pytest.raises(NotFound) as raised:
            call(session)
        assert str(raised.value) == missing.replace("PKG-1-NOPE-V9", REF)
    with db.transaction() as session:
        with pytest.raises(Forbidden, match="your own agency's packages"):
            workflow.list_packages(session, late, scene.op, agency="PARTNER")
        with pytest.raises(Forbidden, match="come from a user of the receiving agency"):
            workflow.mark_received(session, Actor.cli(), REF)
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert workflow.package_status(session, scene.actor("PARTNER"), REF).info.status == "sent"
