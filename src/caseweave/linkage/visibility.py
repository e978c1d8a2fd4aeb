"""A subject is seen through its records: under the one policy, it exists for a viewer only where they
may see one of its records (a subject of hidden records answers exactly like a missing one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, func, not_, select
from sqlalchemy.orm import Session

from caseweave.access.service import may_see, membership_of
from caseweave.actor import Actor
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Subject, SubjectEvent, SubjectMember


def subject_visible(actor: Actor, subject_id: Any = Subject.id) -> ColumnElement[bool]:
    """SQL: the actor may see one of the records of `subject_id` (by default the row's Subject.id)."""
    return exists(
        select(SubjectMember.person_record_id)
        .join(PersonRecord, PersonRecord.id == SubjectMember.person_record_id)
        .where(SubjectMember.subject_id == subject_id, may_see(PersonRecord, actor))
    )


def hidden_records(session: Session, actor: Actor, operation_id: int) -> list[int]:
    """Ids of the operation's person records the actor may not see: commonly none, so what is derived
    from records (subjects, attribution evidence) needs no per-row check at all."""
    member = actor.user is not None and membership_of(session, operation_id, actor.user.agency_id) is not None
    # coalesce: a NULL in the policy (an author-less row) must count as hidden, not drop out
    return list(
        session.scalars(
            select(PersonRecord.id).where(
                PersonRecord.operation_id == operation_id,
                not_(func.coalesce(may_see(PersonRecord, actor, member=member), false())),
            )
        )
    )


def subject_seen(session: Session, actor: Actor, subject: Subject) -> bool:
    """Whether the actor may know of `subject`: through one of its records, or, for a retired subject,
    through the subjects now holding them (the survivor of a merge, the parts of a split)."""
    if subject.status == "merged" and subject.merged_into_id is not None:
        return subject_seen(session, actor, session.get_one(Subject, subject.merged_into_id))
    if subject.status in {"split", "emptied"}:
        related = [
            public_id
            for event in session.scalars(select(SubjectEvent).where(SubjectEvent.subject_id == subject.id))
            for public_id in event.detail.get("related", [])
        ]
        holders = select(Subject.id).where(Subject.public_id.in_(related))
        return bool(session.scalar(select(exists(holders.where(subject_visible(actor))))))
    return bool(session.scalar(select(subject_visible(actor, subject.id))))
