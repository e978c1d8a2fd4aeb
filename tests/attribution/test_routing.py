"""The coordinator's queue, routes by hand (audited, kept by later runs), and bad input that changes
nothing: an unknown country, an agency outside the operation, a user of another agency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from caseweave.attribution import queue
from caseweave.attribution.models import Attribution, SubjectRoute
from caseweave.attribution.queue import RouteEntry
from caseweave.attribution.routing import decide
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import CaseweaveError, Conflict, Forbidden, Invalid, NotFound
from caseweave.operations.models import Agency
from tests.attribution.scenario import Scenario, build, run


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scenario:
    built = build(db, settings)
    run(db, settings, built.actor("LEAD", "coordinator"), built.world.operation_id)
    return built


def call(db: Database, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with db.transaction() as session:
        return action(session, *args, **kwargs)


def snapshot(db: Database) -> tuple[list[tuple[Any, ...]], int]:
    """Every route and the length of the audit log: what a refused request must leave as it was."""
    with db.transaction() as session:
        routes = session.execute(
            select(
                SubjectRoute.subject_id, SubjectRoute.status, SubjectRoute.agency_id, SubjectRoute.method
            ).order_by(SubjectRoute.subject_id)
        ).all()
        entries = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return [tuple(row) for row in routes], entries


def test_the_queue_holds_what_no_agency_was_chosen_for(db: Database, scene: Scenario) -> None:
    coordinator = scene.actor("LEAD", "coordinator")
    op = scene.world.operation_id
    entries: list[RouteEntry] = call(db, queue.unallocated, coordinator, op)
    reasons = {e.subject: (e.status, e.reason) for e in entries}
    assert reasons == {
        scene.subjects["fr"]: ("unallocated", "no_agency"),
        scene.subjects["nl"]: ("unallocated", "no_agency"),
        scene.subjects["none"]: ("unallocated", "no_evidence"),
        scene.subjects["contested"]: ("review", "contested"),
        scene.subjects["weak"]: ("review", "low_confidence"),
    }
    contested = next(e for e in entries if e.reason == "contested")
    assert contested.distribution == {"GB": 0.5, "IE": 0.5} and contested.provider is not None
    only = call(db, queue.unallocated, coordinator, op, reason="no_agency")
    assert {e.subject for e in only} == {scene.subjects["fr"], scene.subjects["nl"]}
    with pytest.raises(Forbidden, match="lead agency's coordinators see the routing queue"):
        call(db, queue.unallocated, scene.actor("PARTNER", "coordinator"), op)
    with pytest.raises(Forbidden):
        call(db, queue.unallocated, scene.actor("LEAD", "analyst"), op)


def test_each_agency_lists_what_is_routed_to_it(db: Database, scene: Scenario) -> None:
    op = scene.world.operation_id
    partner = call(db, queue.routed_to, scene.actor("PARTNER"), op)
    assert [(e.subject, e.agency, e.country) for e in partner] == [
        (scene.subjects["shared"], "PARTNER", "CA")
    ]
    with pytest.raises(Forbidden, match="routed to your own agency"):
        call(db, queue.routed_to, scene.actor("PARTNER"), op, "LEAD")
    lead = call(db, queue.list_routes, scene.actor("LEAD", "coordinator"), op, country="gb")
    assert {(e.subject, e.status) for e in lead} == {
        (scene.subjects["gb"], "routed"),
        (scene.subjects["contested"], "review"),  # GB leads, too narrowly to route
    }  # partner_gb, routed to LEAD too, is PARTNER's AMBER alone: LEAD's queue does not show it
    with pytest.raises(Invalid, match="unknown country code 'XX'"):
        call(db, queue.list_routes, scene.actor("LEAD", "coordinator"), op, country="XX")
    with pytest.raises(Invalid, match="unknown route status"):
        call(db, queue.list_routes, scene.actor("LEAD", "coordinator"), op, statuses=("lost",))
    with pytest.raises(NotFound):
        call(db, queue.routed_to, scene.actor("OUTSIDER"), op)


def test_a_coordinator_routes_by_hand_and_later_runs_keep_it(
    db: Database, settings: Settings, scene: Scenario
) -> None:
    coordinator = scene.actor("LEAD", "coordinator")
    fr = scene.subjects["fr"]
    entry = call(
        db, queue.route_by_hand, coordinator, fr, agency="partner", reason="moved to Montreal per MLAT"
    )
    assert (entry.status, entry.agency, entry.country, entry.method) == ("routed", "PARTNER", "CA", "manual")
    assert entry.decided_by == "user:coordinator.lead" and entry.note == "moved to Montreal per MLAT"
    with db.transaction() as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "route.manual")).one()
    assert audited.detail == {
        "subject": fr,
        "before": "unallocated:no_agency",
        "agency": "PARTNER",
        "reason": "moved to Montreal per MLAT",
    }
    with pytest.raises(Conflict, match="already routed by hand to PARTNER"):
        call(db, queue.route_by_hand, coordinator, fr, country="CA", reason="again")

    rerun = run(db, settings, coordinator, scene.world.operation_id)
    assert rerun.route_changes == [] and rerun.routed["PARTNER"] == 2
    routed = call(db, queue.routed_to, scene.actor("PARTNER"), scene.world.operation_id)
    assert {e.subject for e in routed} == {scene.subjects["shared"], fr}

    back = call(db, queue.clear_manual_route, coordinator, fr, reason="MLAT answer: still in France")
    assert (back.status, back.reason, back.method, back.agency) == ("unallocated", "no_agency", "auto", None)
    contested = call(
        db, queue.route_by_hand, coordinator, scene.subjects["contested"], country="ie", reason="x"
    )
    assert (contested.agency, contested.country) == ("LATE", "IE")


BAD_ROUTES: list[tuple[tuple[str, str], dict[str, str], type[CaseweaveError], str]] = [
    (("LEAD", "coordinator"), {"country": "XX"}, Invalid, "unknown country code 'XX'"),
    (("LEAD", "coordinator"), {"country": "FR"}, Invalid, "has no lead or partner agency in FR"),
    (("LEAD", "coordinator"), {"agency": "OUTSIDER"}, Invalid, "OUTSIDER is not a member"),
    (("LEAD", "coordinator"), {"agency": "FUTURE"}, Invalid, "FUTURE is not a member"),
    (("LEAD", "coordinator"), {"agency": "OBSERVER"}, Invalid, "is an observer"),
    (("LEAD", "coordinator"), {"agency": "NOBODY"}, NotFound, "agency 'NOBODY' not found"),
    (("LEAD", "coordinator"), {"agency": "LEAD", "country": "GB"}, Invalid, "not both"),
    (("LEAD", "coordinator"), {}, Invalid, "not both"),
    (("PARTNER", "coordinator"), {"agency": "PARTNER"}, Forbidden, "lead agency's coordinators"),
    (("LEAD", "analyst"), {"agency": "LEAD"}, Forbidden, "lead agency's coordinators"),
    (("OUTSIDER", "coordinator"), {"agency": "LEAD"}, NotFound, "not found"),
]


def test_bad_routes_by_hand_change_nothing(db: Database, scene: Scenario) -> None:
    before = snapshot(db)
    for who, target, error, message in BAD_ROUTES:
        with pytest.raises(error, match=message):
            call(db, queue.route_by_hand, scene.actor(*who), scene.subjects["fr"], reason="because", **target)
        assert snapshot(db) == before, (who, target)


def test_a_route_needs_a_reason_and_an_active_subject(db: Database, scene: Scenario) -> None:
    coordinator = scene.actor("LEAD", "coordinator")
    before = snapshot(db)
    with pytest.raises(Invalid, match="say why"):
        call(db, queue.route_by_hand, coordinator, scene.subjects["fr"], agency="LEAD", reason="  ")
    with pytest.raises(NotFound):
        call(db, queue.route_by_hand, coordinator, "SUB-999999", agency="LEAD", reason="x")
    with pytest.raises(Conflict, match="is not routed by hand"):
        call(db, queue.clear_manual_route, coordinator, scene.subjects["gb"], reason="x")
    assert snapshot(db) == before


def test_a_country_with_several_agencies_goes_to_its_lead_or_its_one_police_force() -> None:
    canada = Attribution(top_country="CA", status="attributed")
    hotline, police, customs = (
        Agency(id=n, code=f"CA-{n}", kind=k) for n, k in ((2, "hotline"), (3, "police"), (4, "customs"))
    )
    routed = decide(canada, {"CA": [hotline, police, customs]}, lead_agency_id=1)
    assert (routed.status, routed.agency_id) == ("routed", 3)  # hotlines and customs refer to the police
    assert decide(canada, {"CA": [hotline, police]}, lead_agency_id=2).agency_id == 2  # the lead acts itself
    second_force = Agency(id=5, code="CA-5", kind="police")
    unclear = decide(canada, {"CA": [hotline, police, second_force]}, lead_agency_id=1)
    assert (unclear.status, unclear.reason, unclear.agency_id) == ("review", "several_agencies", None)
