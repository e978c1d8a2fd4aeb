"""Re-cluster a part of an operation into subjects and store the result with stable ids.

The part ("scope") is a set of seed records (new records, or records an analyst just judged) plus
every record linked to them and every member of their subjects: clustering inside the scope then
sees all the evidence that could change those subjects, and nothing else needs to move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any
from uuid import uuid4

from sqlalchemy import String, case, cast, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from caseweave.db.base import utcnow
from caseweave.db.bulk import bulk_insert, chunks
from caseweave.intake.models import PersonRecord
from caseweave.linkage import cluster_inputs
from caseweave.linkage.clustering import Conflict, Edge, JudgedPair, Refusal, cluster
from caseweave.linkage.hard_evidence import conflicting
from caseweave.linkage.models import Alert, Link, LinkageRun, Subject, SubjectEvent, SubjectMember
from caseweave.linkage.stable_ids import LineageEvent, assign

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
    flagged: int = 0  # subjects whose records state conflicting dates of birth: for review
    # subject id -> the links between two of its records with their evidence (alerts say what
    # matched), for the scope's subjects: read with the scope, they need no second read
    within: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)


def scope_of(
    session: Session, operation_id: int, seeds: Iterable[int] | None, *, closed: Collection[int] = ()
) -> list[int]:
    """Seeds, the records linked to them, and all members of their subjects (None: the operation).

    `closed`: records already known to form such a scope (all their links and subjects lead
    inside it), as before the seeds' newest links were stored; the walk starts from the seeds
    outside it."""
    if seeds is None:
        return list(session.scalars(select(PersonRecord.id).where(PersonRecord.operation_id == operation_id)))
    records = set(closed)
    frontier = set(seeds) - records
    records |= frontier
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
    seeds: Collection[int] | None = None,
    inputs: cluster_inputs.Inputs | None = None,
    model_links: Iterable[tuple[int, int, float, str]] | None = None,
) -> ClusterOutcome:
    """Cluster `records` (a closed scope) and store subjects, members and lineage events. `inputs`:
    what cluster_inputs read for part of the scope before the seeds' probabilistic links were
    replaced by `model_links`, if the caller read it meanwhile.

    Only what changed is written: members that moved, subjects that were created, grew, shrank or
    retired. touched_subjects (whose alerts to refresh) are those with an event and, since only
    the seeds' links changed, those holding a seed (seeds None: every subject of the scope)."""
    outcome = ClusterOutcome(scope=len(records))
    if not records:
        return outcome
    if inputs is None:
        inputs = cluster_inputs.read(session, records)
    else:
        inputs = cluster_inputs.widened(session, inputs, records, seeds or (), model_links)
    edges, judged = _evidence(inputs, rules)
    clustering = cluster(records, edges, judged)
    outcome.flagged = _flagged(session, clustering.clusters)
    outcome.refused, outcome.conflicts = clustering.refused, clustering.conflicts
    previous, ages = inputs.previous, inputs.ages
    pending = _Pending()
    assignment = assign(previous, ages, clustering.clusters, pending)
    now = utcnow()
    ids = {**ages, **_create(session, run.operation_id, pending.names, now)}
    public = {placeholder: f"SUB-{ids[placeholder]:06d}" for placeholder in pending.names}
    subject_ids = [ids[name] for name in assignment.subject_of_cluster]
    _store_members(session, run.operation_id, clustering.clusters, subject_ids, previous, ages)
    outcome.within = _within(inputs, clustering.clusters, subject_ids)
    changes: dict[int, dict[str, Any]] = {}
    for event in assignment.events:
        subject_id = ids[event.subject]
        related = [ids[r] for r in event.related]
        if event.kind in {"grew", "shrank"}:
            changes.setdefault(subject_id, {"id": subject_id})["updated_at"] = now
        elif event.kind in {"merged", "split", "emptied"}:
            change = changes.setdefault(subject_id, {"id": subject_id})
            change.update(status=event.kind, updated_at=now)
            if event.kind == "merged":
                change["merged_into_id"] = related[0]
        outcome.events[event.kind] = outcome.events.get(event.kind, 0) + 1
        outcome.touched_subjects.add(subject_id)
    if changes:
        for keys in {tuple(change) for change in changes.values()}:  # one executemany per shape
            rows = [change for change in changes.values() if tuple(change) == keys]
            session.execute(update(Subject).execution_options(synchronize_session=False), rows)
    # Alerts after the statuses, as the retired subjects say why.
    _move_alerts(
        session, [(ids[e.subject], ids[e.related[0]]) for e in assignment.events if e.kind == "merged"]
    )
    for kind in ("split", "emptied"):
        gone = [ids[e.subject] for e in assignment.events if e.kind == kind]
        _close_alerts(
            session, gone, f"subject {kind}; see its history for the subjects now holding its records"
        )
    _store_events(session, run, assignment.events, ids, public)
    if seeds is None:
        outcome.touched_subjects.update(subject_ids)
    else:
        seeds = set(seeds)
        outcome.touched_subjects.update(
            subject_ids[i] for i, group in enumerate(clustering.clusters) if not group.isdisjoint(seeds)
        )
    _expire(session)
    return outcome


def _evidence(inputs: cluster_inputs.Inputs, rules: EvidenceRules) -> tuple[list[Edge], list[JudgedPair]]:
    inside = inputs.scope
    edges: list[Edge] = []
    shared_ips: dict[tuple[int, int], set[str]] = {}
    for link in inputs.links.values():
        if link.a_id not in inside or link.b_id not in inside:
            continue
        if link.kind == "probabilistic":
            if link.match_weight is not None and link.match_weight >= rules.threshold:
                edges.append(Edge(link.a_id, link.b_id, link.match_weight, "probabilistic"))
        elif link.selector_type in rules.selectors:
            edges.append(Edge(link.a_id, link.b_id, SELECTOR_STRENGTH, "selector"))
        elif link.selector_type == "ip" and not link.gap_seconds and link.value:
            shared_ips.setdefault((link.a_id, link.b_id), set()).add(link.value)
    edges.extend(
        Edge(a, b, SELECTOR_STRENGTH, "selector")
        for (a, b), values in shared_ips.items()
        if len(values) >= rules.min_shared_ips
    )
    judged = [pair for pair in inputs.judged.values() if pair.a in inside and pair.b in inside]
    return edges, judged


def _flagged(session: Session, clusters: Sequence[frozenset[int]]) -> int:
    """How many multi-record clusters hold records with conflicting dates of birth (linkage.hard_evidence);
    only their records are read."""
    groups = [group for group in clusters if len(group) > 1]
    if not groups:
        return 0
    born = cluster_inputs.born(session, [record for group in groups for record in group])
    return sum(1 for group in groups if conflicting(born[r] for r in group if r in born))


def _within(
    inputs: cluster_inputs.Inputs, clusters: Sequence[frozenset[int]], subject_ids: Sequence[int]
) -> dict[int, list[tuple[int, int, str]]]:
    subject_of = {
        record: subject for group, subject in zip(clusters, subject_ids, strict=True) for record in group
    }
    within: dict[int, list[tuple[int, int, str]]] = {subject: [] for subject in subject_ids}
    for link in inputs.links.values():
        subject = subject_of.get(link.a_id)
        if link.evidence and subject is not None and subject_of.get(link.b_id) == subject:
            within[subject].append((link.a_id, link.b_id, link.evidence))
    return within


class _Pending:
    """The new_id handed to stable_ids.assign: a placeholder per new subject, in call order; the
    rows are created afterwards in one bulk insert (`_create`), not one statement each."""

    def __init__(self) -> None:
        self._prefix = f"new-{uuid4().hex[:8]}-"  # never a stored public id, nor another run's
        self.names: list[str] = []

    def __call__(self) -> str:
        self.names.append(f"{self._prefix}{len(self.names)}")
        return self.names[-1]


def _create(session: Session, operation_id: int, names: list[str], now: datetime) -> dict[str, int]:
    """Insert a subject per placeholder and name each SUB-<its id>: placeholder -> subject id.

    The rows are alike, so the ids (ascending) go to the placeholders in call order, as one
    statement per call gave them; the names are set in SQL, a statement per batch, not per row."""
    if not names:
        return {}
    row = {"operation_id": operation_id, "status": "active", "created_at": now, "updated_at": now}
    bulk_insert(session, Subject.__table__, [{**row, "public_id": name} for name in names])  # type: ignore[arg-type]
    created: list[int] = []
    for part in chunks(names, BATCH):
        created.extend(session.scalars(select(Subject.id).where(Subject.public_id.in_(part))))
    created.sort()
    for ids in chunks(created, BATCH):
        session.execute(
            update(Subject)
            .where(Subject.id.in_(ids))
            .values(public_id=_public_id(Subject.id))
            .execution_options(synchronize_session=False)
        )
    return dict(zip(names, created, strict=True))


def _public_id(column: Any) -> Any:
    """f"SUB-{id:06d}" in portable SQL (SQLite has no lpad, PostgreSQL's truncates)."""
    zeros = case(*((column < 10**width, "0" * (6 - width)) for width in range(1, 6)), else_="")
    return literal("SUB-") + zeros + cast(column, String)


def _store_members(
    session: Session,
    operation_id: int,
    clusters: Sequence[frozenset[int]],
    subject_ids: Sequence[int],
    previous: dict[int, str],
    ages: dict[str, int],
) -> None:
    """Rewrite only the members whose subject changed."""
    moved: list[dict[str, int]] = []
    for group, subject_id in zip(clusters, subject_ids, strict=True):
        for record in group:
            before = previous.get(record)
            if before is None or ages[before] != subject_id:
                moved.append(
                    {"person_record_id": record, "subject_id": subject_id, "operation_id": operation_id}
                )
    moved.sort(key=itemgetter("person_record_id"))
    for rows in chunks(moved, BATCH):
        ids = [row["person_record_id"] for row in rows]
        session.execute(delete(SubjectMember).where(SubjectMember.person_record_id.in_(ids)))
        bulk_insert(session, SubjectMember.__table__, rows)  # type: ignore[arg-type]


def _store_events(
    session: Session,
    run: LinkageRun,
    events: Sequence[LineageEvent],
    ids: dict[str, int],
    public: dict[str, str],
) -> None:
    rows = [
        {
            "operation_id": run.operation_id,
            "subject_id": ids[event.subject],
            "kind": event.kind,
            "related_subject_id": ids[event.related[0]] if event.related else None,
            "run_id": run.id,
            "detail": {
                "related": [public.get(r, r) for r in event.related],
                "records_added": event.records_added,
                "records_removed": event.records_removed,
            },
        }
        for event in events
    ]
    for part in chunks(rows, BATCH):
        bulk_insert(session, SubjectEvent.__table__, part)  # type: ignore[arg-type]


def _expire(session: Session) -> None:
    """Core writes bypass the identity map: loaded subjects, members and alerts are read again."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Subject | SubjectMember | Alert):
            session.expire(instance)


def _move_alerts(session: Session, merges: list[tuple[int, int]]) -> None:
    """A merged subject's alerts follow the survivor, unless the survivor has the same alert already.
    merges: (merged, survivor) in event order; a few statements for all of them, not a few each."""
    if not merges:
        return
    pairs = (Alert.owner_agency_id, Alert.holder_agency_id)
    held: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for part in chunks(sorted({survivor for _, survivor in merges}), BATCH):
        for subject_id, receiver, holder in session.execute(
            select(Alert.subject_id, *pairs).where(Alert.subject_id.in_(part))
        ):
            held[subject_id].add((receiver, holder))
    theirs: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for part in chunks(sorted({merged for merged, _ in merges}), BATCH):
        query = select(Alert.subject_id, Alert.id, *pairs).where(Alert.subject_id.in_(part))
        for subject_id, alert_id, receiver, holder in session.execute(query.order_by(Alert.id)):
            theirs[subject_id].append((alert_id, receiver, holder))
    moves: list[dict[str, int]] = []
    for merged, survivor in merges:
        for alert_id, receiver, holder in theirs[merged]:
            if (receiver, holder) not in held[survivor]:
                held[survivor].add((receiver, holder))
                moves.append({"id": alert_id, "subject_id": survivor})
    if moves:
        session.execute(update(Alert).execution_options(synchronize_session=False), moves)
    _close_alerts(
        session, [merged for merged, _ in merges], "subject merged; see the surviving subject's alert"
    )


def _close_alerts(session: Session, subject_ids: list[int], note: str) -> None:
    """Alerts about subjects that no longer stand are closed, saying why (never deleted)."""
    for part in chunks(subject_ids, BATCH):
        session.execute(
            update(Alert)
            .where(Alert.subject_id.in_(part), Alert.status != "resolved")
            .values(status="resolved", resolution_note=note, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
