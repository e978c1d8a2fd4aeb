"""An incremental run reads what clustering needs of the scope it knows while the model scores,
and afterwards only what the model's links changed: together exactly what a fresh read gives."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.demo.referrals import import_folder
from caseweave.linkage import alerts, cluster_inputs, service
from caseweave.linkage.cluster_inputs import Inputs
from caseweave.linkage.models import Link, SubjectMember
from caseweave.linkage.service import link_operation
from caseweave.linkage.subjects import scope_of
from caseweave.operations.models import Operation
from caseweave.synth import write_operation
from tests.support.roundtrip import demo_operation

LABEL = "probable match: family_name, given_name"


def _as_read(inputs: Inputs) -> tuple[Any, ...]:
    links = sorted(
        (
            row.a_id,
            row.b_id,
            row.kind,
            row.selector_type,
            row.value,
            row.gap_seconds,
            round(row.match_weight or 0, 6),
            row.evidence,
        )
        for row in inputs.links.values()
        if row.a_id in inputs.scope and row.b_id in inputs.scope
    )
    return inputs.scope, links, sorted(inputs.judged.values()), inputs.previous, inputs.ages


def test_inputs_widened_after_the_model_equal_a_fresh_read(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_operation(tmp_path / "first", subjects=50, countries=5, seed=9)
    (tmp_path / "later").mkdir()
    for name in sorted(p.name for p in (tmp_path / "first").iterdir())[-3:]:
        shutil.move(tmp_path / "first" / name, tmp_path / "later" / name)
    settings = settings.model_copy(update={"linkage_cache_dir": str(tmp_path / "features")})
    with db.transaction() as session:
        operation = demo_operation(session)
        import_folder(session, Actor.cli(), operation, tmp_path / "first", lambda name: None)
        link_operation(session, Actor.cli(), settings, operation.id, full=True)
        operation_id = operation.id
    compared: list[int] = []
    widened = cluster_inputs.widened

    def checked(session: Session, inputs: Inputs, records: Any, seeds: Any, model_links: Any) -> Inputs:
        records = list(records)
        result = widened(session, inputs, records, seeds, model_links)
        assert model_links is not None and len(model_links) > 0
        assert _as_read(result) == _as_read(cluster_inputs.read(session, records))
        compared.append(len(records))
        return result

    refresh = alerts.refresh_alerts

    def alerts_checked(session: Session, operation_id: int, subjects: Any, within: Any) -> Any:
        # the links within each subject, known from clustering, are those alerts would read
        read = alerts._links_within(session, sorted(within))
        assert {s: sorted(links) for s, links in within.items() if links} == {
            s: sorted(links) for s, links in read.items()
        }
        compared.append(-len(within))
        return refresh(session, operation_id, subjects, within)

    monkeypatch.setattr(cluster_inputs, "widened", checked)
    monkeypatch.setattr(service, "refresh_alerts", alerts_checked)
    with db.transaction() as session:
        stored = session.get(Operation, operation_id)
        assert stored is not None
        import_folder(session, Actor.cli(), stored, tmp_path / "later", lambda name: None)
        link_operation(session, Actor.cli(), settings, operation_id)
        # records linked before, linked again (as after a judgement): their model links are replaced
        again = list(session.scalars(select(Link.a_id).where(Link.kind == "probabilistic").limit(20)))
        link_operation(session, Actor.cli(), settings, operation_id, seeds=again)
    assert len(compared) == 4 and min(compared) < 0


def test_a_model_link_to_a_record_outside_the_scope_brings_in_it_and_its_subject(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    write_operation(tmp_path / "ops", subjects=50, countries=5, seed=9)
    settings = settings.model_copy(update={"linkage_cache_dir": str(tmp_path / "features")})
    with db.transaction() as session:
        operation = demo_operation(session)
        import_folder(session, Actor.cli(), operation, tmp_path / "ops", lambda name: None)
        link_operation(session, Actor.cli(), settings, operation.id, full=True, use_model=False)
        members = session.execute(select(SubjectMember.subject_id, SubjectMember.person_record_id)).all()
        by_subject: dict[int, set[int]] = {}
        for subject_id, record_id in members:
            by_subject.setdefault(subject_id, set()).add(record_id)
        seed = min(record for _, record in members)
        known = scope_of(session, operation.id, [seed])
        inputs = cluster_inputs.read(session, known)
        outside = [group for group in by_subject.values() if len(group) > 1 and not group & set(known)]
        a_id, b_id = sorted((seed, min(outside[0])))
        session.add(
            Link(
                operation_id=operation.id,
                a_id=a_id,
                b_id=b_id,
                kind="probabilistic",
                match_weight=9.5,
                evidence=LABEL,
            )
        )
        session.flush()
        scope = scope_of(session, operation.id, [a_id, b_id], closed=known)
        result = cluster_inputs.widened(session, inputs, scope, [seed], [(a_id, b_id, 9.5, LABEL)])
        assert outside[0] <= result.scope == set(scope)
        assert _as_read(result) == _as_read(cluster_inputs.read(session, scope))
        session.rollback()
