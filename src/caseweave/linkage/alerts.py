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
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.policy import Viewer, visible
from caseweave.db.base import utcnow
from caseweave.db.bulk import chunks
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Alert, Link, Subject, SubjectMember
from caseweave.operations.models import Agency

HIDDEN_MESSAGE = "another agency holds a matching record — contact the operation coordinator"
BATCH = 500  # ids per IN list
NO_USER = -1  # an agency-wide viewer: no user id matches, so RED records stay hidden


def agency_viewer(agency_id: int) -> Viewer:
    return Viewer(user_id=NO_USER, agency_id=agency_id, roles=frozenset())


@dataclass(frozen=True)
class AlertChange:
    alert_id: int
    subject_id: int
    receiver_id: int
    created: bool


def evidence_kinds(links: Iterable[Link]) -> list[str]:
    """What matched, in words an investigator reads: selector types, or the model's strong parts."""
    kinds: set[str] = set()
    for link in links:
        if link.kind == "selector" and link.selector_type:
            kinds.add(link.selector_type)
        elif link.kind == "probabilistic":
            parts = sorted(
                name
                for name, part in (link.contributions or {}).items()
                if float(part.get("match_weight", 0.0)) > 0
            )
            kinds.add("probable match: " + ", ".join(parts) if parts else "probable match")
    return sorted(kinds)


def refresh_alerts(session: Session, operation_id: int, subject_ids: Iterable[int]) -> list[AlertChange]:
    """Create or update the alerts of the given subjects; returns what changed.

    Each step is one query per chunk of subjects (members, links, what each receiver may see,
    existing alerts), not one per subject: a full run touches every subject of the operation."""
    changes: list[AlertChange] = []
    created: list[Alert] = []
    for part in chunks(sorted(set(subject_ids)), BATCH):
        holdings = _holdings(session, part)
        if not holdings:
            continue
        record_subject = {
            record_id: subject_id
            for subject_id, holders in holdings.items()
            for records in holders.values()
            for record_id in records
        }
        links = _links_within(session, record_subject)
        receivers = {agency for holders in holdings.values() for agency in holders}
        seen = {agency: _visible_to(session, agency, record_subject) for agency in receivers}
        agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(receivers)))}
        alerts = {
            (a.subject_id, a.owner_agency_id, a.holder_agency_id): a
            for a in session.scalars(select(Alert).where(Alert.subject_id.in_(list(holdings))))
        }
        for subject_id, holders in holdings.items():
            for receiver in holders:
                for holder in holders:
                    if holder == receiver:
                        continue
                    finding = _finding(
                        holders[receiver],
                        holders[holder] & seen[receiver],
                        links[subject_id],
                        agencies[holder],
                    )
                    key = (subject_id, receiver, holder)
                    alert = alerts.get(key)
                    if alert is None:
                        created.append(_new_alert(operation_id, key, finding))
                    elif _update(alert, finding):
                        changes.append(AlertChange(alert.id, subject_id, receiver, False))
    session.add_all(created)
    session.flush()  # one round trip for the new alerts' ids
    return changes + [AlertChange(a.id, a.subject_id, a.owner_agency_id, True) for a in created]


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


def _links_within(session: Session, record_subject: dict[int, int]) -> dict[int, list[Link]]:
    """Subject id → the links between two of its records."""
    within: dict[int, list[Link]] = defaultdict(list)
    for part in chunks(sorted(record_subject), BATCH):
        for link in session.scalars(select(Link).where(Link.a_id.in_(part))):
            subject_id = record_subject[link.a_id]
            if record_subject.get(link.b_id) == subject_id:
                within[subject_id].append(link)
    return within


def _visible_to(session: Session, agency_id: int, record_subject: dict[int, int]) -> set[int]:
    """Which of the records the receiving agency as a whole may see (the one access policy)."""
    viewer = agency_viewer(agency_id)
    seen: set[int] = set()
    for part in chunks(sorted(record_subject), BATCH):
        seen.update(
            session.scalars(
                select(PersonRecord.id).where(PersonRecord.id.in_(part), visible(PersonRecord, viewer))
            )
        )
    return seen


@dataclass(frozen=True)
class _Finding:
    disclosed: bool
    evidence: list[str]
    message: str


def _finding(own: set[int], seen: set[int], links: Iterable[Link], holder: Agency) -> _Finding:
    """What the receiver may be told about the holder: everything, or only that someone holds it."""
    if not seen:
        return _Finding(False, [], HIDDEN_MESSAGE)
    evidence = evidence_kinds(
        link for link in links if {link.a_id, link.b_id} & own and {link.a_id, link.b_id} & seen
    )
    message = (
        f"{holder.name} ({holder.code}) holds a record of this subject; "
        f"contact {holder.contact_point}. Matched on: {', '.join(evidence) or 'linked records'}"
    )
    return _Finding(True, evidence, message)


def _new_alert(operation_id: int, key: tuple[int, int, int], finding: _Finding) -> Alert:
    subject_id, receiver, holder = key
    return Alert(
        operation_id=operation_id,
        owner_agency_id=receiver,
        tlp=TLP.AMBER_STRICT.value,
        subject_id=subject_id,
        holder_agency_id=holder,
        disclosed=finding.disclosed,
        evidence=finding.evidence,
        message=finding.message,
        status="new",
    )


def _update(alert: Alert, finding: _Finding) -> bool:
    """Bring the alert up to date; False when nothing changed."""
    if alert.disclosed == finding.disclosed and alert.evidence == finding.evidence:
        return False
    # New evidence needs a fresh look, even on an alert that was resolved.
    alert.disclosed, alert.evidence, alert.message = finding.disclosed, finding.evidence, finding.message
    alert.status, alert.updated_at = "new", utcnow()
    return True
