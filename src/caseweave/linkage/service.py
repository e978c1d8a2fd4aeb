"""One linkage run: exact correlation, probabilistic links, clustering into subjects, alerts.

Incremental (the default) links the person records that belong to no subject yet — or the given
seeds, a new referral's — against everything stored, then re-clusters only the subjects they touch.
`full`
re-runs everything (and retrains the probabilistic model). Each run is recorded (linkage_runs)
and audited; it reports over-correlating values and conflicting judgements instead of hiding them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseweave.access.admin import require_lead_analyst
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.bulk import refresh_statistics
from caseweave.db.gc_pause import fewer_collections
from caseweave.intake.models import PersonRecord
from caseweave.linkage import cluster_inputs, probabilistic
from caseweave.linkage.alerts import refresh_alerts
from caseweave.linkage.clustering import Conflict
from caseweave.linkage.correlation import CorrelationResult, OverCorrelating, correlate, store_links
from caseweave.linkage.models import Alert, Link, LinkageRun, Subject, SubjectMember
from caseweave.linkage.subjects import EvidenceRules, recluster, scope_of
from caseweave.linkage.warninglists import build_matcher, ensure_bundled

BULK_SCOPE = 10_000  # re-clustered records from which the run refreshes the planner's statistics


@dataclass
class RunSummary:
    run_id: int
    mode: str
    records: int  # person records linked in this run (new ones, or all for a full run)
    selector_links: int
    probabilistic_links: int
    scope: int  # person records re-clustered
    events: dict[str, int] = field(default_factory=dict)
    # Active subjects in the operation after the run; None on a seeded run (an import's), where
    # counting millions of subjects would cost more than the run itself.
    subjects: int | None = None
    alerts_new: int = 0
    alerts_updated: int = 0
    over_correlating: list[OverCorrelating] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    flagged: int = 0  # subjects whose records state conflicting dates of birth: for review
    uncorroborated: int = 0  # model pairs above the threshold not linked: weak shared tokens only
    model_note: str | None = None
    # wall-clock seconds of each part (correlation, model, clustering, alerts) and the total: where a
    # long run at national scale spent its time. With the model, correlation runs while it scores and
    # "model" is the time of both together.
    seconds: dict[str, float] = field(default_factory=dict)


def run_linkage(
    session: Session,
    actor: Actor,
    settings: Settings,
    operation_id: int,
    *,
    full: bool = False,
    engine: str = "duckdb",
    use_model: bool = True,
) -> RunSummary:
    operation = visible_operation(session, actor, operation_id)
    require_lead_analyst(
        actor, operation, "linkage runs", hint="new referrals are linked when they are imported"
    )
    return link_operation(
        session, actor, settings, operation.id, full=full, engine=engine, use_model=use_model
    )


def link_operation(
    session: Session,
    actor: Actor,
    settings: Settings,
    operation_id: int,
    *,
    full: bool = False,
    engine: str = "duckdb",
    use_model: bool = True,
    seeds: Sequence[int] | None = None,
    retrain: bool | None = None,
) -> RunSummary:
    """The run itself, without the permission check (imports and judgements call it). A full run
    retrains the model unless retrain is False (score with the stored one, trained elsewhere)."""
    with fewer_collections():
        retrain = full if retrain is None else retrain
        return _run(session, actor, settings, operation_id, full, engine, use_model, seeds, retrain)


def _run(
    session: Session,
    actor: Actor,
    settings: Settings,
    operation_id: int,
    full: bool,
    engine: str,
    use_model: bool,
    seeds: Sequence[int] | None,
    retrain: bool,
) -> RunSummary:
    seconds: dict[str, float] = {}
    started = lap = time.perf_counter()

    def took(part: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        seconds[part], lap = round(now - lap, 3), now

    ensure_bundled(session, actor)
    run = LinkageRun(operation_id=operation_id, mode="full" if full else "incremental", detail={})
    session.add(run)
    session.flush()
    records = None if full else list(seeds) if seeds is not None else _unlinked(session, operation_id)
    exact: list[tuple[CorrelationResult, int]] = []  # the result and the selector links stored
    # the scope before the model's links, and what clustering reads of it, if worked out meanwhile
    scoped: list[tuple[list[int], cluster_inputs.Inputs]] = []

    def correlate_exactly() -> None:
        begun = time.perf_counter()
        result = correlate(
            session,
            operation_id,
            records,
            matcher=build_matcher(session),
            tolerance=timedelta(hours=settings.link_ip_tolerance_hours),
            max_persons=settings.link_max_persons_per_value,
        )
        exact.append((result, store_links(session, run.id, result)))
        seconds["correlation"] = round(time.perf_counter() - begun, 3)
        if use_model and records is not None:  # while the model still scores: the scope so far
            known = scope_of(session, operation_id, records)
            scoped.append((known, cluster_inputs.read(session, known)))

    predicted = probabilistic.NO_PREDICTION
    if use_model:  # exact correlation runs while the model scores: "model" includes its time
        predicted = probabilistic.predict_links(
            session,
            settings,
            operation_id,
            records,
            run_id=run.id,
            engine=engine,
            retrain=retrain,
            alongside=correlate_exactly,
        )
    else:
        correlate_exactly()
        took("correlation")  # one after the other: the parts add up to the run
        if full:  # a full run without the model starts again from exact evidence alone
            session.execute(
                delete(Link).where(Link.operation_id == operation_id, Link.kind == "probabilistic")
            )
            predicted = probabilistic.Prediction(0, "not used: earlier probabilistic links were removed")
    [(correlation, selector_links)] = exact
    took("model")
    inputs = None
    if scoped:  # only the records the model's new links reach can widen it
        known, inputs = scoped[0]
        scope = scope_of(session, operation_id, predicted.linked, closed=known)
    else:
        scope = scope_of(session, operation_id, records)
    outcome = recluster(
        session,
        run,
        scope,
        evidence_rules(settings),
        seeds=records,
        inputs=inputs,
        model_links=predicted.pairs,
    )
    if len(scope) >= BULK_SCOPE:
        refresh_statistics(session, [m.__tablename__ for m in (Link, Subject, SubjectMember, Alert)])
    took("clustering")
    alerts = refresh_alerts(session, operation_id, outcome.touched_subjects, outcome.within)
    took("alerts")
    seconds["total"] = round(time.perf_counter() - started, 3)
    summary = RunSummary(
        run_id=run.id,
        mode=run.mode,
        records=len(scope) if records is None else len(records),
        selector_links=selector_links,
        probabilistic_links=predicted.links,
        scope=outcome.scope,
        events=outcome.events,
        subjects=None if seeds is not None else _active_subjects(session, operation_id),
        alerts_new=alerts.created,
        alerts_updated=alerts.updated,
        over_correlating=correlation.over_correlating,
        conflicts=outcome.conflicts,
        flagged=outcome.flagged,
        uncorroborated=predicted.uncorroborated,
        model_note=predicted.note,
        seconds=seconds,
    )
    run.finished_at = utcnow()
    run.detail = {
        "records": summary.records,
        "selector_links": selector_links,
        "probabilistic_links": predicted.links,
        "scope": outcome.scope,
        "events": outcome.events,
        "alerts_new": summary.alerts_new,
        "over_correlating": len(correlation.over_correlating),
        "conflicts": [sorted(c.same_judgements + c.not_same_judgements) for c in outcome.conflicts],
        "flagged": outcome.flagged,
        "uncorroborated": predicted.uncorroborated,
        "model": predicted.note,
        "seconds": seconds,
    }
    audit.record(
        session, actor, "linkage.run", "linkage_run", [run.id], operation_id=operation_id, detail=run.detail
    )
    return summary


def evidence_rules(settings: Settings) -> EvidenceRules:
    return EvidenceRules(
        frozenset(settings.link_cluster_selectors),
        settings.link_ip_min_shared,
        settings.link_match_weight_threshold,
    )


def _unlinked(session: Session, operation_id: int) -> list[int]:
    """Person records of the operation that belong to no subject yet."""
    linked = select(SubjectMember.person_record_id).where(SubjectMember.operation_id == operation_id)
    return list(
        session.scalars(
            select(PersonRecord.id).where(
                PersonRecord.operation_id == operation_id, PersonRecord.id.not_in(linked)
            )
        )
    )


def _active_subjects(session: Session, operation_id: int) -> int:
    active = select(func.count()).select_from(Subject)
    return session.scalar(active.where(Subject.operation_id == operation_id, Subject.status == "active")) or 0
