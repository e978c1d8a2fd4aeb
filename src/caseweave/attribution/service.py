"""Attribute subjects: gather clues, score them, store what changed, route, audit — one transaction.

A run over the whole operation (subject_ids None) also retires the routes and attributions of
subjects that merged or split since. An unchanged result keeps its row (only checked_at moves), so
the history holds one row per change and packages can tell what changed since they were sent.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseweave.access.admin import require_lead_analyst
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.attribution import routing
from caseweave.attribution.checks import find_subject
from caseweave.attribution.collect import Collector
from caseweave.attribution.evidence import Clue
from caseweave.attribution.geo import GeoProvider, open_provider
from caseweave.attribution.models import Attribution, AttributionEvidence, SubjectRoute
from caseweave.attribution.scoring import Score, score
from caseweave.attribution.weights import Weights
from caseweave.audit import service as audit
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.bulk import bulk_insert, chunks
from caseweave.errors import Invalid, NotFound
from caseweave.linkage.models import Subject
from caseweave.linkage.warninglists import build_matcher, ensure_bundled
from caseweave.operations.models import Operation

_AUDITED_CHANGES = 1000  # route changes listed in the audit entry; the total is always recorded


@dataclass
class AttributionRun:
    operation_id: int
    provider: str  # GeoProvider.stated(): who located the addresses, with what data, of when
    subjects: int
    changed: int  # subjects whose attribution changed (or was computed for the first time)
    by_status: dict[str, int] = field(default_factory=dict)
    by_country: dict[str, int] = field(default_factory=dict)  # top country of attributed subjects
    routed: dict[str, int] = field(default_factory=dict)  # agency code → subjects routed to it
    unallocated: int = 0
    review: int = 0
    retired: int = 0
    route_changes: list[routing.RouteChange] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)


def attribute_subjects(
    session: Session,
    actor: Actor,
    settings: Settings,
    operation_id: int,
    subject_ids: Sequence[str] | None = None,
    *,
    geo: GeoProvider | None = None,
) -> AttributionRun:
    """(Re)compute and route the given subjects (public ids), or every active subject of the operation."""
    operation = visible_operation(session, actor, operation_id)
    require_lead_analyst(
        actor, operation, "attribution runs", hint="ask the lead agency to run `caseweave attribute`"
    )
    subjects = _subjects(session, actor, operation, subject_ids)
    ensure_bundled(session, actor)  # warning lists: a run before any linkage still excludes Tor & co
    provider = geo or open_provider(settings)
    try:
        return _run(
            session, actor, operation, subjects, Weights.from_settings(settings), provider, subject_ids
        )
    finally:
        if geo is None:
            provider.close()


def _run(
    session: Session,
    actor: Actor,
    operation: Operation,
    subjects: Sequence[Subject],
    weights: Weights,
    geo: GeoProvider,
    asked: Sequence[str] | None,
) -> AttributionRun:
    collector = Collector(session, geo, build_matcher(session), weights)
    clues = collector.clues([s.id for s in subjects])
    stored, changed = _store(session, operation.id, subjects, clues, weights, geo)
    retired = 0 if asked is not None else _retire(session, operation.id)
    changes = routing.route(session, operation, stored)
    run = _summary(session, operation.id, geo, stored, changes, retired)
    run.changed = changed
    audit.record(
        session,
        actor,
        "attribution.run",
        "subject",
        [s.id for s in subjects] if asked is not None else [],
        operation_id=operation.id,
        detail={
            "subjects": run.subjects,
            "changed": run.changed,
            "by_status": run.by_status,
            "routed": run.routed,
            "route_changes": [c.as_dict() for c in changes[:_AUDITED_CHANGES]],
            "route_changes_total": len(changes),
            "provider": run.provider,
        },
    )
    return run


def _subjects(
    session: Session, actor: Actor, operation: Operation, public_ids: Sequence[str] | None
) -> list[Subject]:
    if public_ids is None:
        query = select(Subject).where(Subject.operation_id == operation.id, Subject.status == "active")
        return list(session.scalars(query.order_by(Subject.id)))
    if not public_ids:
        raise Invalid("name at least one subject", field="subjects", hint="or leave it out for all")
    found: dict[int, Subject] = {}
    for public_id in public_ids:
        subject = find_subject(session, actor, public_id)
        if subject.operation_id != operation.id:
            raise NotFound(f"subject {public_id} not found in operation {operation.name!r}", field="subjects")
        if subject.status == "active":  # a split subject has no records left to attribute
            found[subject.id] = subject
    return list(found.values())


def _store(
    session: Session,
    operation_id: int,
    subjects: Sequence[Subject],
    clues: dict[int, list[Clue]],
    weights: Weights,
    geo: GeoProvider,
) -> tuple[dict[int, Attribution], int]:
    """The current attribution of each subject (kept where unchanged, else a new row), and how many
    are new."""
    current = _current(session, [s.id for s in subjects])
    now, kept, fresh = utcnow(), list[int](), list[tuple[Attribution, list[Clue]]]()
    result: dict[int, Attribution] = {}
    for subject in subjects:
        found = clues.get(subject.id, [])
        outcome = score(found, weights)
        fingerprint = _fingerprint(outcome, found, weights, geo)
        old = current.get(subject.id)
        if old is not None and old.fingerprint == fingerprint:
            kept.append(old.id)
            result[subject.id] = old
            continue
        row = Attribution(
            operation_id=operation_id,
            subject_id=subject.id,
            current=True,
            status=outcome.status,
            top_country=outcome.top_country,
            confidence=outcome.confidence,
            distribution=outcome.distribution,
            total_weight=outcome.total_weight,
            provider=geo.name,
            provider_source=geo.source[:400],
            provider_data_date=geo.data_date,
            params=weights.as_params(),
            fingerprint=fingerprint,
            computed_at=now,
            checked_at=now,
        )
        if old is not None:
            old.current = False
        fresh.append((row, found))
        result[subject.id] = row
    session.add_all(row for row, _ in fresh)
    session.flush()
    for ids in chunks(kept, 500):
        session.execute(update(Attribution).where(Attribution.id.in_(ids)).values(checked_at=now))
    evidence = [_evidence_row(row.id, clue) for row, found in fresh for clue in found]
    for rows in chunks(evidence, 5000):
        bulk_insert(session, AttributionEvidence.metadata.tables[AttributionEvidence.__tablename__], rows)
    return result, len(fresh)


def _current(session: Session, subject_ids: Sequence[int]) -> dict[int, Attribution]:
    found: dict[int, Attribution] = {}
    for batch in chunks(subject_ids, 500):
        query = select(Attribution).where(Attribution.subject_id.in_(batch), Attribution.current.is_(True))
        found.update((row.subject_id, row) for row in session.scalars(query))
    return found


def _fingerprint(outcome: Score, clues: Sequence[Clue], weights: Weights, geo: GeoProvider) -> str:
    """What the answer says and rests on; the same fingerprint means nothing changed."""
    evidence = sorted(
        (
            c.person_record_id,
            c.sighting_id or 0,
            c.kind,
            c.value,
            c.country or "",
            c.weight,
            c.note,
            c.sightings,
        )
        for c in clues
    )
    body: dict[str, Any] = {
        "status": outcome.status,
        "top": outcome.top_country,
        "confidence": outcome.confidence,
        "distribution": outcome.distribution,
        "provider": [geo.name, geo.source, str(geo.data_date)],
        "params": weights.as_params(),
        "evidence": evidence,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _evidence_row(attribution_id: int, clue: Clue) -> dict[str, Any]:
    return {
        "attribution_id": attribution_id,
        "person_record_id": clue.person_record_id,
        "sighting_id": clue.sighting_id,
        "kind": clue.kind,
        "value": clue.value[:400],
        "source_key": clue.source_key[:400],
        "country": clue.country,
        "base_weight": clue.base_weight,
        "weight": clue.weight,
        "note": clue.note,
        "sightings": clue.sightings,
        "observed_from": clue.observed_from,
        "observed_to": clue.observed_to,
    }


def _retire(session: Session, operation_id: int) -> int:
    """Subjects that merged or split since: their attribution is history, their route retired."""
    inactive = select(Subject.id).where(Subject.operation_id == operation_id, Subject.status != "active")
    session.execute(
        update(Attribution)
        .where(Attribution.subject_id.in_(inactive), Attribution.current.is_(True))
        .values(current=False)
    )
    result = session.execute(
        update(SubjectRoute)
        .where(SubjectRoute.subject_id.in_(inactive), SubjectRoute.status != "retired")
        .values(status="retired", reason="subject_retired", decided_by="system", decided_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _summary(
    session: Session,
    operation_id: int,
    geo: GeoProvider,
    stored: dict[int, Attribution],
    changes: list[routing.RouteChange],
    retired: int,
) -> AttributionRun:
    rows = list(stored.values())
    routes = routing.routes_of(session, list(stored))
    codes = routing.agency_codes(session, {r.agency_id for r in routes.values() if r.agency_id})
    statuses = Counter(route.status for route in routes.values())
    return AttributionRun(
        operation_id=operation_id,
        provider=geo.stated(),
        subjects=len(rows),
        changed=0,
        by_status=dict(sorted(Counter(row.status for row in rows).items())),
        by_country=dict(
            sorted(Counter(r.top_country for r in rows if r.status == "attributed" and r.top_country).items())
        ),
        routed=dict(
            sorted(
                Counter(
                    codes[r.agency_id] for r in routes.values() if r.status == "routed" and r.agency_id
                ).items()
            )
        ),
        unallocated=statuses.get("unallocated", 0),
        review=statuses.get("review", 0),
        retired=retired,
        route_changes=changes,
        attributions=rows,
    )
