"""The demo's tail on a demo world built like `caseweave demo` (fewer synthetic subjects, so the test is
quick on both engines): dated outcomes in order, 31 children safeguarded, the lead country's suspects
mostly prosecuted, one indeterminate sentence; a second run adds nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseweave.access.records import Release
from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.demo.dissemination import finish_demo
from caseweave.demo.media import run_media_demo
from caseweave.demo.outcomes import HOST_SENTENCE, DemoOutcomes, record_demo_outcomes
from caseweave.demo.referrals import import_folder
from caseweave.demo.seed import seed_demo
from caseweave.dissemination.models import Package, PackageSubject
from caseweave.linkage.service import link_operation
from caseweave.operations.models import Agency, Operation
from caseweave.operations.service import agency_by_code
from caseweave.outcomes.models import OutcomeEvent
from caseweave.synth import write_operation
from caseweave.victims.models import Victim, VictimEvent, VictimLink

STEPS = ("arrested", "charged", "plea", "convicted", "sentenced")
ACQUITTED = ("arrested", "charged", "plea", "acquitted")


def build_demo(db: Database, settings: Settings, folder: Path, subjects: int) -> int:
    """What `caseweave demo` does before its tail, on `subjects` synthetic subjects in 35 countries."""
    operator = Actor.cli()
    write_operation(folder / "data", subjects=subjects, countries=35, seed=1)
    with db.transaction() as session:
        operation = seed_demo(session, operator, settings).operation
        import_folder(session, operator, operation, folder / "data", lambda _: None)
        link_operation(session, operator, settings, operation.id, full=True)
        run_media_demo(session, operator, settings, operation, agency_by_code(session, "CA-HOTLINE"))
        finish_demo(session, operator, settings, operation, folder / "packages")
        return operation.id


def record(db: Database, settings: Settings, operation_id: int) -> DemoOutcomes:
    with db.transaction() as session:
        operation = session.get_one(Operation, operation_id)
        return record_demo_outcomes(session, Actor.cli(), settings, operation)


def counts(session: Session) -> tuple[int | None, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (OutcomeEvent, Victim, VictimEvent, VictimLink, Release, AuditEntry)
    )


def test_demo_outcomes_are_dated_in_order_and_shaped_like_the_real_case(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    operation_id = build_demo(db, settings, tmp_path, subjects=240)
    first = record(db, settings, operation_id)
    assert first.created and first.packages_open > 0 and first.packages_acknowledged > first.packages_open
    assert first.victims == {"safeguarded": 31, "identified": 4, "unidentified": 5}
    assert first.indeterminate == 1

    with db.transaction() as session:
        operation = session.get_one(Operation, operation_id)
        lead = session.get_one(Agency, operation.lead_agency_id)
        events = session.scalars(select(OutcomeEvent).where(OutcomeEvent.operation_id == operation_id)).all()
        by_subject: dict[tuple[int, str], dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
        for event in events:
            assert operation.start_date <= event.occurred_on <= date.today()
            by_subject[event.subject_id, event.country][event.kind].append(event.occurred_on)
        for kinds in by_subject.values():
            assert all(len(dates) == 1 for dates in kinds.values())  # one of each per subject and country
            road = ACQUITTED if "acquitted" in kinds else STEPS
            steps = [kind for kind in road if kind in kinds]
            assert steps == list(road[: len(steps)]) and steps  # no step skipped, an arrest first
            dates = [kinds[kind][0] for kind in steps]
            assert dates == sorted(dates)  # arrest <= charge <= plea <= verdict <= sentence
            if "no_further_action" in kinds:
                assert steps == ["arrested"] and kinds["no_further_action"][0] >= dates[0]
        assert len({e.country for e in events if e.kind == "arrested"}) >= 10
        assert any(e.kind == "acquitted" for e in events) and any(
            e.kind == "no_further_action" for e in events
        )
        charges = [e for e in events if e.kind == "charged"]
        assert all(e.counts and e.offence and "counts of" in e.offence for e in charges)
        host = [e for e in events if e.indeterminate]
        assert [(e.country, e.sentence) for e in host] == [("GB", HOST_SENTENCE)]

        routed_gb = session.scalar(
            select(func.count(func.distinct(PackageSubject.subject_id)))
            .join(Package, Package.id == PackageSubject.package_id)
            .where(Package.agency_id == lead.id, Package.superseded_at.is_(None))
        )
        prosecuted_gb = {e.subject_id for e in charges if e.country == "GB"}
        assert routed_gb and len(prosecuted_gb) > routed_gb / 2

        victims = session.scalars(select(Victim).where(Victim.operation_id == operation_id)).all()
        assert all(v.pseudonym.startswith("Child ") and v.tlp == "AMBER" for v in victims)
        released = set(
            session.scalars(
                select(Release.record_id).where(Release.record_kind == "victim", Release.agency_id == lead.id)
            )
        )
        assert all(v.id in released for v in victims if v.owner_agency_id != lead.id)
        kinds_linked = session.execute(
            select(VictimLink.victim_id, VictimLink.kind).where(
                VictimLink.victim_id.in_([v.id for v in victims])
            )
        ).all()
        assert {kind for _, kind in kinds_linked} == {"series", "subject"}
        assert len(kinds_linked) == 2 * len(victims)
        safe = [v for v in victims if v.status == "safeguarded"]
        assert all(v.identified_on and v.safeguarded_on and v.identified_on <= v.safeguarded_on for v in safe)
        before = counts(session)

    second = record(db, settings, operation_id)  # `make demo` again: nothing new
    assert not second.created
    assert (second.outcomes, second.victims) == (first.outcomes, first.victims)
    with db.transaction() as session:
        assert counts(session) == before
