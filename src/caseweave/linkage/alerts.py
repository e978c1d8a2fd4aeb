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
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Alert, Link, Subject, SubjectMember
from caseweave.operations.models import Agency

HIDDEN_MESSAGE = "another agency holds a matching record — contact the operation coordinator"
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
    """Create or update the alerts of the given subjects; returns what changed."""
    changes: list[AlertChange] = []
    for subject_id in sorted(set(subject_ids)):
        subject = session.get(Subject, subject_id)
        if subject is None or subject.status != "active":
            continue
        members = session.execute(
            select(PersonRecord.id, PersonRecord.owner_agency_id)
            .join(SubjectMember, SubjectMember.person_record_id == PersonRecord.id)
            .where(SubjectMember.subject_id == subject_id)
        ).all()
        holders: dict[int, set[int]] = defaultdict(set)
        for record_id, agency_id in members:
            holders[agency_id].add(record_id)
        if len(holders) < 2:
            continue
        record_ids = [record_id for record_id, _ in members]
        links = session.scalars(
            select(Link).where(Link.a_id.in_(record_ids), Link.b_id.in_(record_ids))
        ).all()
        for receiver in holders:
            for holder in holders:
                if holder != receiver:
                    change = _upsert(session, subject, receiver, holder, holders, links)
                    if change is not None:
                        changes.append(change)
    return changes


def _upsert(
    session: Session,
    subject: Subject,
    receiver: int,
    holder: int,
    holders: dict[int, set[int]],
    links: Iterable[Link],
) -> AlertChange | None:
    seen = set(
        session.scalars(
            select(PersonRecord.id).where(
                PersonRecord.id.in_(holders[holder]), visible(PersonRecord, agency_viewer(receiver))
            )
        )
    )
    disclosed = bool(seen)
    if disclosed:
        between = [
            link
            for link in links
            if {link.a_id, link.b_id} & holders[receiver] and {link.a_id, link.b_id} & seen
        ]
        evidence = evidence_kinds(between)
        agency = session.get_one(Agency, holder)
        message = (
            f"{agency.name} ({agency.code}) holds a record of this subject; "
            f"contact {agency.contact_point}. Matched on: {', '.join(evidence) or 'linked records'}"
        )
    else:
        evidence, message = [], HIDDEN_MESSAGE
    alert = session.scalar(
        select(Alert).where(
            Alert.subject_id == subject.id,
            Alert.owner_agency_id == receiver,
            Alert.holder_agency_id == holder,
        )
    )
    if alert is None:
        alert = Alert(
            operation_id=subject.operation_id,
            owner_agency_id=receiver,
            tlp=TLP.AMBER_STRICT.value,
            subject_id=subject.id,
            holder_agency_id=holder,
            disclosed=disclosed,
            evidence=evidence,
            message=message,
            status="new",
        )
        session.add(alert)
        session.flush()
        return AlertChange(alert.id, subject.id, receiver, True)
    if alert.disclosed == disclosed and alert.evidence == evidence:
        return None
    # New evidence needs a fresh look, even on an alert that was resolved.
    alert.disclosed, alert.evidence, alert.message = disclosed, evidence, message
    alert.status, alert.updated_at = "new", utcnow()
    return AlertChange(alert.id, subject.id, receiver, False)
