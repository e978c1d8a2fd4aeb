"""A linkage run end to end: subjects across agencies, alerts within need-to-know, judgements."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import NotFound
from caseweave.intake.models import PersonRecord
from caseweave.intake.service import import_referral
from caseweave.linkage import alert_workflow
from caseweave.linkage.alerts import HIDDEN_MESSAGE
from caseweave.linkage.explain import subject_view
from caseweave.linkage.judgements import judge
from caseweave.linkage.models import Alert, LinkageRun, Subject
from caseweave.linkage.service import RunSummary, link_operation
from tests.linkage.helpers import HEADER, Row, subject_of
from tests.support.world import World, build_world

SHARED = "shared.person@example.org"


def send(
    db: Database,
    world: World,
    agency: str,
    rows: list[Row],
    *,
    label: str = "AMBER",
    released_to: tuple[str, ...] = (),
    name: str | None = None,
) -> dict[str, int]:
    """Import rows as agency's analyst; the person record id of each account."""
    data = (HEADER + "".join(row.line() for row in rows)).encode()
    with db.transaction() as session:
        actor = Actor.for_user(world.user(agency, "analyst"))
        outcome = import_referral(
            session,
            actor,
            world.operation_id,
            io.BytesIO(data),
            name or f"{agency.lower()}.csv",
            label=label,
            released_to=released_to,
        )
        refs = session.execute(
            select(PersonRecord.ref, PersonRecord.id).where(PersonRecord.referral_id == outcome.referral.id)
        )
        return {ref.partition(":")[2]: record_id for ref, record_id in refs}


def link(db: Database, settings: Settings) -> RunSummary:
    with db.transaction() as session:
        return link_operation(session, Actor.cli(), settings, 1, use_model=False)


def alerts_of(db: Database, world: World, agency: str) -> list[Alert]:
    with db.transaction() as session:
        actor = Actor.for_user(world.user(agency, "analyst"))
        return [alert for alert, _ in alert_workflow.list_alerts(session, actor, world.operation_id)]


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    built = build_world(db, settings, roles=("analyst",))
    assert built.operation_id == 1
    return built


def test_two_agencies_holding_one_person_are_told_within_need_to_know(
    db: Database, settings: Settings, world: World
) -> None:
    lead = send(db, world, "LEAD", [Row("1001", "darkfox", SHARED)], released_to=("PARTNER",))
    partner = send(db, world, "PARTNER", [Row("77", "fox_other", SHARED, platform="photoapp")])
    summary = link(db, settings)
    assert summary.selector_links == 1 and summary.events == {"created": 1}
    assert subject_of(db, lead["1001"]) == subject_of(db, partner["77"])

    # PARTNER may see LEAD's record (released to it): the alert names LEAD and what matched.
    (to_partner,) = alerts_of(db, world, "PARTNER")
    assert to_partner.disclosed and to_partner.evidence == ["email"]
    assert "LEAD" in to_partner.message and "contact" in to_partner.message
    # LEAD may not see PARTNER's AMBER record: it learns that someone holds a match, nothing more.
    (to_lead,) = alerts_of(db, world, "LEAD")
    assert not to_lead.disclosed and to_lead.evidence == []
    assert to_lead.message == HIDDEN_MESSAGE and "PARTNER" not in to_lead.message
    # Agencies that hold nothing get nothing.
    assert alerts_of(db, world, "LATE") == []


def test_a_run_records_where_its_time_went(db: Database, settings: Settings, world: World) -> None:
    send(db, world, "LEAD", [Row("1001", "darkfox", SHARED)])
    send(db, world, "PARTNER", [Row("77", "fox_other", SHARED, platform="photoapp")])
    summary = link(db, settings)
    parts = ["correlation", "model", "clustering", "alerts"]
    assert list(summary.seconds) == [*parts, "total"]
    assert all(summary.seconds[part] >= 0 for part in parts)
    # the parts follow one another: together they are the run
    assert sum(summary.seconds[part] for part in parts) == pytest.approx(summary.seconds["total"], abs=0.01)
    with db.transaction() as session:
        detail = session.scalars(select(LinkageRun.detail).where(LinkageRun.id == summary.run_id)).one()
    assert detail["seconds"] == summary.seconds


def test_a_red_record_discloses_nothing(db: Database, settings: Settings, world: World) -> None:
    send(db, world, "LEAD", [Row("1001", "darkfox", SHARED)], label="RED")
    send(db, world, "PARTNER", [Row("77", "fox", SHARED, platform="photoapp")], label="GREEN")
    link(db, settings)
    (to_partner,) = alerts_of(db, world, "PARTNER")
    assert to_partner.message == HIDDEN_MESSAGE and not to_partner.evidence
    (to_lead,) = alerts_of(db, world, "LEAD")  # LEAD sees PARTNER's GREEN record
    assert to_lead.disclosed and "PARTNER" in to_lead.message


def test_subject_view_shows_only_what_the_viewer_may_see(
    db: Database, settings: Settings, world: World
) -> None:
    lead = send(db, world, "LEAD", [Row("1001", "darkfox", SHARED)], released_to=("PARTNER",))
    send(db, world, "PARTNER", [Row("77", "fox", SHARED, platform="photoapp")])
    link(db, settings)
    public_id = subject_of(db, lead["1001"])
    with db.transaction() as session:
        partner_view = subject_view(session, Actor.for_user(world.user("PARTNER", "analyst")), public_id)
        lead_view = subject_view(session, Actor.for_user(world.user("LEAD", "analyst")), public_id)
        with pytest.raises(NotFound):
            subject_view(session, Actor.for_user(world.user("OBSERVER", "analyst")), public_id)
    assert len(partner_view.records) == 2 and len(partner_view.links) == 1
    assert partner_view.links[0].value == SHARED
    assert [r.record.id for r in lead_view.records] == [lead["1001"]]
    assert lead_view.links == [] and lead_view.hidden_note == HIDDEN_MESSAGE


def test_judgements_hold_on_later_runs_and_unseen_records_are_missing(
    db: Database, settings: Settings, world: World
) -> None:
    lead = send(db, world, "LEAD", [Row("1001", "darkfox", SHARED)], released_to=("PARTNER",))
    partner = send(db, world, "PARTNER", [Row("77", "fox", SHARED, platform="photoapp")])
    link(db, settings)
    before = subject_of(db, lead["1001"])
    # LEAD cannot see PARTNER's record: as if it did not exist
    with db.transaction() as session, pytest.raises(NotFound):
        judge(
            session,
            Actor.for_user(world.user("LEAD", "analyst")),
            lead["1001"],
            partner["77"],
            "not_same",
            "x",
        )
    with db.transaction() as session:
        actor = Actor.for_user(world.user("PARTNER", "analyst"))
        judge(
            session, actor, lead["1001"], partner["77"], "not_same", "different people, shared family email"
        )
        summary = link_operation(
            session, actor, settings, 1, seeds=[lead["1001"], partner["77"]], use_model=False
        )
    assert summary.events.get("split") == 1
    first, second = subject_of(db, lead["1001"]), subject_of(db, partner["77"])
    assert len({first, second, before}) == 3, "the split subject retires; both parts get new ids"
    # A later referral with the same e-mail does not undo the judgement.
    late = send(db, world, "PARTNER", [Row("78", "fox2", SHARED, platform="photoapp")], name="again.csv")
    link(db, settings)
    assert subject_of(db, lead["1001"]) != subject_of(db, partner["77"])
    assert subject_of(db, late["78"]) in {subject_of(db, lead["1001"]), subject_of(db, partner["77"])}
    with db.transaction() as session:
        old = session.scalars(
            select(Alert).where(Alert.subject_id == Subject.id, Subject.public_id == before)
        ).all()
    assert old and all(a.status == "resolved" and "split" in (a.resolution_note or "") for a in old)


def test_conflicting_judgements_are_reported_not_resolved(
    db: Database, settings: Settings, world: World
) -> None:
    ids = send(db, world, "LEAD", [Row("1", "a1"), Row("2", "b2"), Row("3", "c3")])
    actor = Actor.for_user(world.user("LEAD", "analyst"))
    with db.transaction() as session:
        judge(session, actor, ids["1"], ids["2"], "same", "same device seized")
        judge(session, actor, ids["2"], ids["3"], "same", "same address")
        judge(session, actor, ids["1"], ids["3"], "not_same", "different ages")
        summary = link_operation(session, actor, settings, 1, use_model=False)
    (conflict,) = summary.conflicts
    assert conflict.records == {ids["1"], ids["2"], ids["3"]}
    assert len({subject_of(db, ids["1"]), subject_of(db, ids["3"])}) == 2


def test_alert_workflow_is_audited_and_needs_the_receiver(
    db: Database, settings: Settings, world: World
) -> None:
    send(db, world, "LEAD", [Row("1001", "darkfox", SHARED)], label="GREEN")
    send(db, world, "PARTNER", [Row("77", "fox", SHARED, platform="photoapp")], label="GREEN")
    link(db, settings)
    (alert,) = alerts_of(db, world, "PARTNER")
    # LEAD cannot act on PARTNER's alert: it does not exist for it
    with db.transaction() as session, pytest.raises(NotFound):
        alert_workflow.acknowledge(session, Actor.for_user(world.user("LEAD", "analyst")), alert.id)
    with db.transaction() as session:
        actor = Actor.for_user(world.user("PARTNER", "analyst"))
        alert_workflow.acknowledge(session, actor, alert.id)
        alert_workflow.resolve(session, actor, alert.id, lead_agency="LEAD", note="GB leads; we hand over")
    (done,) = alerts_of(db, world, "PARTNER")
    assert done.status == "resolved" and done.lead_agency_id is not None
    with db.transaction() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("alert.%"))).all()
        runs = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "linkage.run")
        )
    assert {"alert.acknowledge", "alert.resolve"} <= set(actions) and runs == 1
