"""Alerts: when a subject is held by two or more agencies, every holder is told about the others.

An alert belongs to its receiving agency (owner, AMBER+STRICT: nobody else sees it). It names the
other agency, its contact point and the kinds of evidence that matched only where the receiver's
agency may see at least one of that agency's records in the subject; otherwise it says no more than
"another agency holds a matching record — contact the operation coordinator". The check is the one
access policy, asked for the receiving agency as a whole (so RED records, released to named users
only, never disclose anything).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.policy import Viewer, visible
from caseweave.db.base import utcnow
from caseweave.db.bulk import bulk_insert, chunks
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Alert, Link, Subject, SubjectMember
from caseweave.operations.models import Agency

HIDDEN_MESSAGE = "another agency holds a matching record — contact the operation coordinator"
BATCH = 2000  # subject ids per IN list: few round trips, inside every engine's parameter limit
NO_USER = -1  # an agency-wide viewer: no user id matches, so RED records stay hidden


def agency_viewer(agency_id: int) -> Viewer:
    return Viewer(user_id=NO_USER, agency_id=agency_id, roles=frozenset())


@dataclass
class AlertCounts:
    created: int = 0
    updated: int = 0


_Within = tuple[int, int, str]  # a link between two records of one subject: a_id, b_id, its kind


def refresh_alerts(
    session: Session,
    operation_id: int,
    subject_ids: Iterable[int],
    within: Mapping[int, list[_Within]] | None = None,
) -> AlertCounts:
    """Create or update the alerts of the given subjects; returns how many of each.

    A few Core queries per chunk of subjects (members, links, what each receiver may see, existing
    alerts); new alerts go in with one bulk insert, and an alert whose finding is unchanged costs
    no write. `within`: the links between two records of a subject, where the caller knows them
    (re-clustering read them), instead of reading them again."""
    within = within or {}
    counts = AlertCounts()
    agencies: dict[int, Agency] = {}
    for part in chunks(sorted(set(subject_ids)), BATCH):
        holdings = _holdings(session, part)
        if not holdings:
            continue
        held = sorted(holdings)
        unknown = [subject_id for subject_id in held if subject_id not in within]
        links = {**within, **_links_within(session, unknown)} if unknown else within
        receivers = {agency for holders in holdings.values() for agency in holders}
        missing = receivers - agencies.keys()
        if missing:
            agencies.update((a.id, a) for a in session.scalars(select(Agency).where(Agency.id.in_(missing))))
        seen = {agency: _visible_to(session, agency, held) for agency in sorted(receivers)}
        existing = {
            (row.subject_id, row.owner_agency_id, row.holder_agency_id): row
            for row in session.execute(
                select(
                    Alert.id,
                    Alert.subject_id,
                    Alert.owner_agency_id,
                    Alert.holder_agency_id,
                    Alert.message,
                ).where(Alert.subject_id.in_(held))
            )
        }
        created: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for subject_id in held:
            holders = holdings[subject_id]
            for receiver in sorted(holders):
                for holder in sorted(holders):
                    if holder == receiver:
                        continue
                    finding = _finding(
                        holders[receiver],
                        holders[holder] & seen[receiver],
                        links.get(subject_id, ()),
                        agencies[holder],
                    )
                    alert = existing.get((subject_id, receiver, holder))
                    if alert is None:
                        created.append(_new_alert(operation_id, (subject_id, receiver, holder), finding))
                    elif alert.message != finding.message:  # it states disclosure and evidence
                        # New evidence needs a fresh look, even on an alert that was resolved.
                        changed.append(
                            {"id": alert.id, **_fields(finding), "status": "new", "updated_at": utcnow()}
                        )
        bulk_insert(session, Alert.__table__, created)  # type: ignore[arg-type]
        if changed:
            session.execute(update(Alert).execution_options(synchronize_session=False), changed)
        counts.created += len(created)
        counts.updated += len(changed)
    return counts


def _holdings(session: Session, subject_ids: list[int]) -> dict[int, dict[int, set[int]]]:
    """Active subjects held by two or more agencies → agency → its person record ids."""
    active = select(Subject.id).where(Subject.id.in_(subject_ids), Subject.status == "active")
    rows = session.execute(
        select(SubjectMember.subject_id, PersonRecord.owner_agency_id, PersonRecord.id)
        .join(PersonRecord, SubjectMember.person_record_id == PersonRecord.id)
        .where(SubjectMember.subject_id.in_(active))
    )
    held: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for subject_id, agency_id, record_id in rows:
        held[subject_id][agency_id].add(record_id)
    return {subject_id: holders for subject_id, holders in held.items() if len(holders) >= 2}


def _links_within(session: Session, subject_ids: list[int]) -> dict[int, list[_Within]]:
    """Subject id → the links between two of its records, with their kind of evidence."""
    other = SubjectMember.__table__.alias("other")
    query = (
        select(SubjectMember.subject_id, Link.a_id, Link.b_id, Link.evidence)
        .join(Link, Link.a_id == SubjectMember.person_record_id)
        .join(
            other, (other.c.person_record_id == Link.b_id) & (other.c.subject_id == SubjectMember.subject_id)
        )
        .where(SubjectMember.subject_id.in_(subject_ids))
    )
    within: dict[int, list[_Within]] = defaultdict(list)
    for subject_id, a_id, b_id, label in session.execute(query):
        if label:
            within[subject_id].append((a_id, b_id, label))
    return within


def _visible_to(session: Session, agency_id: int, subject_ids: list[int]) -> set[int]:
    """Which records of the subjects the receiving agency as a whole may see (the one access policy)."""
    viewer = agency_viewer(agency_id)
    query = (
        select(PersonRecord.id)
        .join(SubjectMember, SubjectMember.person_record_id == PersonRecord.id)
        .where(SubjectMember.subject_id.in_(subject_ids), visible(PersonRecord, viewer))
    )
    return set(session.scalars(query))


@dataclass(frozen=True)
class _Finding:
    disclosed: bool
    evidence: list[str]
    message: str


def _finding(own: set[int], seen: set[int], links: Iterable[_Within], holder: Agency) -> _Finding:
    """What the receiver may be told about the holder: everything, or only that someone holds it."""
    if not seen:
        return _Finding(False, [], HIDDEN_MESSAGE)
    matched = sorted(
        {
            kind
            for a_id, b_id, kind in links
            if (a_id in own or b_id in own) and (a_id in seen or b_id in seen)
        }
    )
    message = (
        f"{holder.name} ({holder.code}) holds a record of this subject; "
        f"contact {holder.contact_point}. Matched on: {'; '.join(matched) or 'linked records'}"
    )
    return _Finding(True, matched, message)


def _fields(finding: _Finding) -> dict[str, Any]:
    return {"disclosed": finding.disclosed, "evidence": finding.evidence, "message": finding.message}


def _new_alert(operation_id: int, key: tuple[int, int, int], finding: _Finding) -> dict[str, Any]:
    subject_id, receiver, holder = key
    return {
        "operation_id": operation_id,
        "owner_agency_id": receiver,
        "tlp": TLP.AMBER_STRICT.value,
        "subject_id": subject_id,
        "holder_agency_id": holder,
        **_fields(finding),
        "status": "new",
    }
