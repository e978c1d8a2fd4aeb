"""Need-to-know: evidence only from records the viewer may see, the system's decision only for the
coordinator and the receiving agency, nothing at all for anyone else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.attribution.explain import explain_lines
from caseweave.attribution.views import HIDDEN_EVIDENCE, AttributionView, current_attribution
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import NotFound
from caseweave.linkage.judgements import judge
from caseweave.linkage.models import Subject, SubjectMember
from caseweave.linkage.service import link_operation
from tests.attribution.helpers import IPS
from tests.attribution.scenario import Scenario, build, run


def view(db: Database, actor: Actor, public_id: str) -> AttributionView:
    with db.transaction() as session:
        return current_attribution(session, actor, public_id)


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scenario:
    built = build(db, settings)
    run(db, settings, built.actor("LEAD", "coordinator"), built.world.operation_id)
    return built


def test_a_holder_sees_only_its_evidence_and_is_told_more_exists(db: Database, scene: Scenario) -> None:
    shown = view(db, scene.actor("LEAD"), scene.subjects["shared"])
    assert sorted(e.value for e in shown.evidence) == sorted([IPS["CA"], IPS["GB2"], "185.220.101.1"])
    assert (shown.status, shown.top_country, shown.distribution) == (
        "attributed",
        "CA",
        {"CA": 0.8, "GB": 0.2},
    )
    assert shown.confidence == 0.4444  # 1 / (1.25 + 1), from LEAD's evidence alone
    assert not shown.complete and shown.hidden_note == HIDDEN_EVIDENCE
    assert shown.decision is None  # routed to PARTNER, and LEAD's analyst does not allocate


def test_the_receiving_agency_sees_everything_it_may_and_the_route(db: Database, scene: Scenario) -> None:
    shown = view(db, scene.actor("PARTNER"), scene.subjects["shared"])
    assert shown.complete and shown.hidden_note is None  # LEAD's referral is GREEN
    assert shown.distribution == {"CA": 0.9524, "GB": 0.0476}
    assert shown.decision is not None and shown.decision.route is not None
    assert (shown.decision.route.agency, shown.decision.route.method) == ("PARTNER", "auto")
    counted = {e.value: e.counted for e in shown.evidence}
    assert counted["185.220.101.1"] is False and counted[IPS["CA"]] is True


def test_the_coordinator_sees_the_decision_the_visible_evidence_supports(
    db: Database, scene: Scenario
) -> None:
    shown = view(db, scene.actor("LEAD", "coordinator"), scene.subjects["gb"])
    assert shown.complete and shown.decision is not None and shown.decision.top_country == "GB"
    assert shown.decision.route is not None and shown.decision.route.agency == "LEAD"


def test_the_decision_counts_only_what_its_reader_may_see(db: Database, scene: Scenario) -> None:
    # "shared" is routed to PARTNER on its AMBER evidence too: LEAD's coordinator sees the route,
    # with figures from LEAD's evidence alone (the system's would tell of PARTNER's +1 phone).
    shown = view(db, scene.actor("LEAD", "coordinator"), scene.subjects["shared"])
    assert shown.decision is not None and shown.decision.route is not None
    assert shown.decision.route.agency == "PARTNER"
    assert shown.decision.distribution == shown.distribution == {"CA": 0.8, "GB": 0.2}


def test_a_subject_of_hidden_records_is_absent_even_to_its_coordinator_and_receiver(
    db: Database, scene: Scenario
) -> None:
    # partner_gb is held only by PARTNER (AMBER, not released) and routed to LEAD: that it exists, and
    # its country, are PARTNER's to tell.
    for actor in (scene.actor("LEAD"), scene.actor("LEAD", "coordinator")):
        with pytest.raises(NotFound, match="not found"):
            view(db, actor, scene.subjects["partner_gb"])


def test_others_are_told_nothing(db: Database, scene: Scenario) -> None:
    for actor in (
        scene.actor("LATE"),
        scene.actor("OBSERVER"),
        scene.actor("OUTSIDER"),
        scene.actor("FUTURE"),
    ):
        with pytest.raises(NotFound, match="not found"):
            view(db, actor, scene.subjects["partner_gb"])
    with pytest.raises(NotFound):
        view(db, scene.actor("OUTSIDER"), scene.subjects["gb"])  # GREEN, but FR is no member


def test_an_observer_sees_green_evidence_but_neither_decision_nor_hint(db: Database, scene: Scenario) -> None:
    shown = view(db, scene.actor("OBSERVER"), scene.subjects["shared"])
    assert len(shown.evidence) == 3 and not shown.complete
    assert shown.hidden_note is None and shown.decision is None


def test_reading_is_audited_with_the_records_shown(db: Database, scene: Scenario) -> None:
    shown = view(db, scene.actor("LEAD"), scene.subjects["shared"])
    with db.transaction() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "attribution.read").order_by(AuditEntry.seq.desc())
        ).first()
    assert entry is not None and entry.detail["subject"] == scene.subjects["shared"]
    assert entry.detail["records"] == sorted({e.person_record_id for e in shown.evidence})


def test_explain_lines_state_provider_weights_and_evidence(db: Database, scene: Scenario) -> None:
    lines = explain_lines_for(db, scene.actor("PARTNER"), scene.subjects["shared"])
    assert lines[0] == "attribution: CA, confidence 0.80, attributed — CA 95%, GB 5%"
    assert (
        lines[1].startswith("  IP geolocation by geoip2fast: GeoLite2-Country") and "data of 20" in lines[1]
    )
    assert "weights: stated 3, platform 2" in lines[2]
    assert any("+2.00 CA country stated by the platform CA" in line for line in lines)
    assert any("+0.25 GB IP address 81.2.69.160 — possible proxy ×0.25" in line for line in lines)
    assert any(
        " 0.00 -- IP address 185.220.101.1 — on warning list 'tor-exits' (tor)" in line for line in lines
    )
    assert any("route: routed to PARTNER (CA) automatically" in line for line in lines)


def test_a_subject_not_attributed_yet_says_how(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    lines = explain_lines_for(db, scene.actor("LEAD"), scene.subjects["gb"])
    assert lines == [
        f"attribution: none yet — run `caseweave attribute --operation {scene.world.operation_id}`"
    ]
    with pytest.raises(NotFound):
        explain_lines_for(db, scene.actor("OUTSIDER"), scene.subjects["gb"])


def explain_lines_for(db: Database, actor: Actor, public_id: str) -> list[str]:
    with db.transaction() as session:
        return explain_lines(session, actor, public_id)


def test_a_split_subject_points_to_the_subjects_holding_its_records(
    db: Database, settings: Settings, scene: Scenario
) -> None:
    shared = scene.subjects["shared"]
    partner = scene.actor("PARTNER")
    with db.transaction() as session:
        records = sorted(
            session.scalars(
                select(SubjectMember.person_record_id)
                .join(Subject, Subject.id == SubjectMember.subject_id)
                .where(Subject.public_id == shared)
            )
        )
        judged = judge(session, partner, records[0], records[1], "not_same", "different birth dates")
        link_operation(session, partner, settings, judged.operation_id, seeds=records, use_model=False)
    lines = explain_lines_for(db, partner, shared)
    assert len(lines) == 1 and lines[0].startswith(
        f"attribution: none — subject {shared} was split; its records"
    )
    with pytest.raises(NotFound):
        explain_lines_for(db, scene.actor("OUTSIDER"), shared)
