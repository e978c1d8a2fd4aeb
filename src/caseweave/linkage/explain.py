"""A subject as one viewer may see it: its records, the links between them and why each holds.

Only records the viewer may see are shown, and only links and judgements between two of them; a
subject with no record the viewer may see does not exist for them (404). Where the viewer's agency
holds records of the subject and other records are hidden from it, the view says so the way an
alert does, naming nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.policy import visible
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import NotFound
from caseweave.intake.models import PersonRecord, Referral, Sighting
from caseweave.linkage.alerts import HIDDEN_MESSAGE
from caseweave.linkage.hard_evidence import conflicting
from caseweave.linkage.models import Judgement, Link, Subject, SubjectEvent, SubjectMember
from caseweave.operations.models import Agency


@dataclass
class RecordView:
    record: PersonRecord
    agency: str
    file_name: str
    sightings: Sequence[Sighting]


@dataclass
class SubjectView:
    subject: Subject
    merged_into: str | None
    records: list[RecordView]
    links: Sequence[Link]
    judgements: Sequence[Judgement]
    events: Sequence[SubjectEvent]
    hidden_note: str | None = None
    agencies: list[str] = field(default_factory=list)
    # why an analyst should check that the records are one person, from what the viewer may see
    review: list[str] = field(default_factory=list)


def _review(views: Sequence[RecordView]) -> list[str]:
    """Conflicting dates of birth among the records shown, with whose record states each."""
    stated: dict[date, list[str]] = {}
    for view in views:
        if view.record.date_of_birth is not None:
            stated.setdefault(view.record.date_of_birth, []).append(f"{view.agency} record {view.record.id}")
    pairs = conflicting(stated)
    if not pairs:
        return []
    dates = sorted({day for pair in pairs for day in pair})
    listed = "; ".join(f"{day.isoformat()} ({', '.join(stated[day])})" for day in dates)
    return [f"its records state different dates of birth: {listed}. Judge whether they are one person."]


def find_subject(session: Session, public_id: str) -> Subject | None:
    return session.scalar(select(Subject).where(Subject.public_id == public_id.strip().upper()))


def subject_view(session: Session, actor: Actor, public_id: str, *, sightings: int = 200) -> SubjectView:
    subject = find_subject(session, public_id)
    missing = NotFound(f"subject {public_id} not found", field="subject_id")
    if subject is None:
        raise missing
    while subject.status == "merged" and subject.merged_into_id is not None:
        subject = session.get_one(Subject, subject.merged_into_id)  # an old id leads to its survivor
    holders = [subject.id]
    if subject.status in {"split", "emptied"}:  # retired: seen through the subjects now holding its records
        successors = [
            public_id
            for event in session.scalars(select(SubjectEvent).where(SubjectEvent.subject_id == subject.id))
            for public_id in event.detail.get("related", [])
        ]
        holders = list(session.scalars(select(Subject.id).where(Subject.public_id.in_(successors))))
    member_ids = select(SubjectMember.person_record_id).where(SubjectMember.subject_id.in_(holders))
    rows = session.execute(
        select(PersonRecord, Referral.file_name, Agency.code)
        .join(Referral, Referral.id == PersonRecord.referral_id)
        .join(Agency, Agency.id == PersonRecord.owner_agency_id)
        .where(PersonRecord.id.in_(member_ids), visible(PersonRecord, actor.viewer))
        .order_by(PersonRecord.id)
    ).all()
    if not rows:
        raise missing
    if subject.id not in holders:
        rows = []  # a retired subject shows its history, not the records of its successors
    shown = [row[0].id for row in rows]
    views = [
        RecordView(
            record,
            agency,
            file_name,
            session.scalars(
                select(Sighting)
                .where(Sighting.person_record_id == record.id, visible(Sighting, actor.viewer))
                .order_by(Sighting.id)
                .limit(sightings)
            ).all(),
        )
        for record, file_name, agency in rows
    ]
    links = session.scalars(
        select(Link).where(Link.a_id.in_(shown), Link.b_id.in_(shown)).order_by(Link.a_id, Link.b_id, Link.id)
    ).all()
    judgements = session.scalars(
        select(Judgement)
        .where(
            Judgement.a_id.in_(shown),
            Judgement.b_id.in_(shown),
            Judgement.active.is_(True),
            visible(Judgement, actor.viewer),
        )
        .order_by(Judgement.id)
    ).all()
    hidden = session.scalar(
        select(SubjectMember.person_record_id)
        .where(SubjectMember.subject_id == subject.id, SubjectMember.person_record_id.not_in(shown))
        .limit(1)
    )
    # A subject's history tells when records joined and how many: shown only to a viewer who may see
    # every record, or it would date another agency's hidden import.
    events = (
        session.scalars(
            select(SubjectEvent).where(SubjectEvent.subject_id == subject.id).order_by(SubjectEvent.id)
        ).all()
        if hidden is None
        else []
    )
    view = SubjectView(
        subject=subject,
        merged_into=subject.public_id if subject.public_id != public_id.strip().upper() else None,
        records=views,
        links=links,
        judgements=judgements,
        events=events,
        agencies=sorted({v.agency for v in views}),
        review=_review(views),
    )
    own_agency = actor.user.agency_id if actor.user else None
    if hidden is not None and any(v.record.owner_agency_id == own_agency for v in views):
        view.hidden_note = HIDDEN_MESSAGE
    audit.record(
        session,
        actor,
        "subject.read",
        "person_record",
        shown,
        operation_id=subject.operation_id,
        detail={"subject": subject.public_id},
    )
    return view


def explain_link(link: Link) -> str:
    """One line saying why a link holds."""
    if link.kind == "selector":
        window = ""
        if link.selector_type == "ip":
            window = (
                " in overlapping windows" if not link.gap_seconds else f" {link.gap_seconds // 3600} h apart"
            )
        return f"shared {link.selector_type} {link.value}{window}"
    parts = ", ".join(
        f"{name} {part.get('level', '?')} ({float(part.get('match_weight', 0.0)):+.1f})"
        for name, part in sorted((link.contributions or {}).items())
    )
    return f"probable match, weight {link.match_weight or 0.0:.1f}: {parts}"


@dataclass(frozen=True)
class SubjectSummary:
    public_id: str
    records: int  # records the viewer may see
    agencies: tuple[str, ...]


def list_subjects(
    session: Session, actor: Actor, operation_id: int, *, limit: int = 1000
) -> list[SubjectSummary]:
    """Active subjects with at least one record the viewer may see, largest first."""
    visible_operation(session, actor, operation_id)
    rows = session.execute(
        select(Subject.public_id, PersonRecord.id, Agency.code)
        .join(SubjectMember, SubjectMember.subject_id == Subject.id)
        .join(PersonRecord, PersonRecord.id == SubjectMember.person_record_id)
        .join(Agency, Agency.id == PersonRecord.owner_agency_id)
        .where(
            Subject.operation_id == operation_id,
            Subject.status == "active",
            visible(PersonRecord, actor.viewer),
        )
    ).all()
    records: dict[str, list[int]] = {}
    agencies: dict[str, set[str]] = {}
    for public_id, record_id, agency in rows:
        records.setdefault(public_id, []).append(record_id)
        agencies.setdefault(public_id, set()).add(agency)
    ordered = sorted(records, key=lambda p: (-len(records[p]), p))[:limit]
    audit.record(
        session,
        actor,
        "subject.list",
        "person_record",
        [r for p in ordered for r in records[p]],
        operation_id=operation_id,
    )
    return [SubjectSummary(p, len(records[p]), tuple(sorted(agencies[p]))) for p in ordered]
