"""Re-cluster a part of an operation into subjects and store the result with stable ids.

The part ("scope") is a set of seed records (new records, or records an analyst just judged) plus
every record linked to them and every member of their subjects: clustering inside the scope then
sees all the evidence that could change those subjects, and nothing else needs to move.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from caseweave.db.base import utcnow
from caseweave.db.bulk import chunks
from caseweave.intake.models import PersonRecord
from caseweave.linkage.clustering import Conflict, Edge, JudgedPair, Refusal, cluster
from caseweave.linkage.models import Alert, Judgement, Link, LinkageRun, Subject, SubjectEvent, SubjectMember
from caseweave.linkage.stable_ids import assign

BATCH = 5000  # ids per IN list and rows per insert
SELECTOR_STRENGTH = 1000.0  # above any match weight: a shared selector is the strongest evidence


@dataclass(frozen=True)
class EvidenceRules:
    """Which links join records into one subject (the others are kept as supporting evidence)."""

    selectors: frozenset[str]  # selector types whose exact match joins
    min_shared_ips: int  # distinct IPs in overlapping windows that join
    threshold: float  # match weight at or above which a probabilistic link joins


@dataclass
class ClusterOutcome:
    scope: int = 0
    touched_subjects: set[int] = field(default_factory=set)
    events: dict[str, int] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def scope_of(session: Session, operation_id: int, seeds: Iterable[int] | None) -> list[int]:
    """Seeds, the records linked to them, and all members of their subjects (None: the operation)."""
    if seeds is None:
        return list(session.scalars(select(PersonRecord.id).where(PersonRecord.operation_id == operation_id)))
    records = set(seeds)
    frontier = set(records)
    while frontier:
        batch = list(frontier)
        linked: set[int] = set()
        for part in chunks(batch, BATCH):
            for a, b in session.execute(
                select(Link.a_id, Link.b_id).where(or_(Link.a_id.in_(part), Link.b_id.in_(part)))
            ):
                linked.update((a, b))
            subjects = select(SubjectMember.subject_id).where(SubjectMember.person_record_id.in_(part))
            linked.update(
                session.scalars(
                    select(SubjectMember.person_record_id).where(SubjectMember.subject_id.in_(subjects))
                )
            )
        frontier = linked - records
        records |= frontier
    return sorted(records)


def recluster(
    session: Session,
    run: LinkageRun,
    records: Sequence[int],
    rules: EvidenceRules,
) -> ClusterOutcome:
    """Cluster `records` (a closed scope) and store subjects, members and lineage events."""
    outcome = ClusterOutcome(scope=len(records))
    if not records:
        return outcome
    edges, judged = _evidence(session, records, rules)
    clustering = cluster(records, edges, judged)
    outcome.refused, outcome.conflicts = clustering.refused, clustering.conflicts
    previous, ages = _previous(session, records)
    new_subject = _new_subject(session, run)
    assignment = assign(previous, ages, clustering.clusters, new_subject)
    new_subject.name_them()
    wanted = sorted({*assignment.subject_of_cluster, *assignment.retired, *previous.values()})
    by_public: dict[str, Subject] = {}
    for names in chunks(wanted, BATCH):  # a full run names every subject: past any IN limit
        named = select(Subject).where(Subject.public_id.in_(names))
        by_public.update((subject.public_id, subject) for subject in session.scalars(named))
    now = utcnow()
    members: list[dict[str, int]] = []
    for index, group in enumerate(clustering.clusters):
        subject = by_public[assignment.subject_of_cluster[index]]
        members.extend(
            {"person_record_id": r, "subject_id": subject.id, "operation_id": run.operation_id} for r in group
        )
    for part in chunks(records, BATCH):
        session.execute(delete(SubjectMember).where(SubjectMember.person_record_id.in_(part)))
    for rows in chunks(members, BATCH):
        session.execute(insert(SubjectMember), rows)
    for public_id, status in assignment.retired.items():
        subject = by_public[public_id]
        subject.status, subject.updated_at = status, now
        if status != "merged":  # a merged subject's alerts follow the survivor (below)
            _close_alerts(
                session,
                subject.id,
                f"subject {status}; see its history for the subjects now holding its records",
            )
    for event in assignment.events:
        subject = by_public[event.subject]
        related = [by_public[r] for r in event.related if r in by_public]
        if event.kind == "merged" and related:
            subject.merged_into_id = related[0].id
            _move_alerts(session, subject.id, related[0].id)
        if event.kind in {"grew", "shrank", "created"}:
            subject.updated_at = now
        session.add(
            SubjectEvent(
                operation_id=run.operation_id,
                subject_id=subject.id,
                kind=event.kind,
                related_subject_id=related[0].id if related else None,
                run_id=run.id,
                detail={
                    "related": list(event.related),
                    "records_added": event.records_added,
                    "records_removed": event.records_removed,
                },
            )
        )
        outcome.events[event.kind] = outcome.events.get(event.kind, 0) + 1
        outcome.touched_subjects.add(subject.id)
    outcome.touched_subjects.update(by_public[public_id].id for public_id in assignment.subject_of_cluster)
    session.flush()
    return outcome


def _evidence(
    session: Session, records: Sequence[int], rules: EvidenceRules
) -> tuple[list[Edge], list[JudgedPair]]:
    inside = set(records)
    edges: list[Edge] = []
    judged: list[JudgedPair] = []
    shared_ips: dict[tuple[int, int], set[str]] = {}
    for part in chunks(records, BATCH):
        for link in session.execute(
            select(
                Link.a_id,
                Link.b_id,
                Link.kind,
                Link.selector_type,
                Link.value,
                Link.gap_seconds,
                Link.match_weight,
            ).where(Link.a_id.in_(part))
        ):
            if link.b_id not in inside:
                continue
            if link.kind == "probabilistic":
                if link.match_weight is not None and link.match_weight >= rules.threshold:
                    edges.append(Edge(link.a_id, link.b_id, link.match_weight, "probabilistic"))
            elif link.selector_type in rules.selectors:
                edges.append(Edge(link.a_id, link.b_id, SELECTOR_STRENGTH, "selector"))
            elif link.selector_type == "ip" and not link.gap_seconds and link.value:
                shared_ips.setdefault((link.a_id, link.b_id), set()).add(link.value)
        for judgement in session.scalars(
            select(Judgement).where(Judgement.a_id.in_(part), Judgement.active.is_(True))
        ):
            if judgement.b_id in inside:
                judged.append(JudgedPair(judgement.a_id, judgement.b_id, judgement.verdict, judgement.id))  # type: ignore[arg-type]
    edges.extend(
        Edge(a, b, SELECTOR_STRENGTH, "selector")
        for (a, b), values in shared_ips.items()
        if len(values) >= rules.min_shared_ips
    )
    return edges, judged


def _previous(session: Session, records: Sequence[int]) -> tuple[dict[int, str], dict[str, int]]:
    previous: dict[int, str] = {}
    ages: dict[str, int] = {}
    for part in chunks(records, BATCH):
        for record_id, public_id, subject_id in session.execute(
            select(SubjectMember.person_record_id, Subject.public_id, Subject.id)
            .join(Subject, Subject.id == SubjectMember.subject_id)
            .where(SubjectMember.person_record_id.in_(part))
        ):
            previous[record_id] = public_id
            ages[public_id] = subject_id
    return previous, ages


class _new_subject:  # noqa: N801 - a callable handed to stable_ids.assign
    """Each call creates a subject row; its database id makes the public id, which is never reused.

    Rows go in under a unique placeholder and are all named at once (`name_them`, before anything
    reads them): one statement per new subject instead of two ORM flushes, and no shared placeholder,
    which on PostgreSQL left one more dead unique-index entry for every later insert of the run to
    check (a full run's time grew with the square of its new subjects)."""

    def __init__(self, session: Session, run: LinkageRun) -> None:
        self._session, self._run = session, run
        self._names: list[dict[str, Any]] = []

    def __call__(self) -> str:
        placeholder = f"pending-{uuid4().hex[:12]}"  # fits public_id's 20 characters
        subject_id = self._session.execute(
            insert(Subject)
            .values(operation_id=self._run.operation_id, public_id=placeholder, status="active")
            .returning(Subject.id)
        ).scalar_one()
        public_id = f"SUB-{subject_id:06d}"
        self._names.append({"id": subject_id, "public_id": public_id})
        return public_id

    def name_them(self) -> None:
        """Give the subjects created so far their public ids (one executemany)."""
        if self._names:
            self._session.execute(update(Subject), self._names)
            self._names = []


def _move_alerts(session: Session, merged_id: int, survivor_id: int) -> None:
    """A merged subject's alerts follow the survivor, unless the survivor has the same alert already."""
    existing = {
        (receiver, holder)
        for receiver, holder in session.execute(
            select(Alert.owner_agency_id, Alert.holder_agency_id).where(Alert.subject_id == survivor_id)
        )
    }
    for alert in session.scalars(select(Alert).where(Alert.subject_id == merged_id)):
        if (alert.owner_agency_id, alert.holder_agency_id) not in existing:
            alert.subject_id = survivor_id
    _close_alerts(session, merged_id, "subject merged; see the surviving subject's alert")


def _close_alerts(session: Session, subject_id: int, note: str) -> None:
    """Alerts about a subject that no longer stands are closed, saying why (never deleted)."""
    session.execute(
        update(Alert)
        .where(Alert.subject_id == subject_id, Alert.status != "resolved")
        .values(status="resolved", resolution_note=note, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
