"""Finding what a victim or an outcome concerns, under the one access policy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select, true
from sqlalchemy.orm import Session

from caseweave.access.policy import visible
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.errors import NotFound
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Subject, SubjectMember


def may_see(model: Any, actor: Actor) -> ColumnElement[bool]:
    """The policy for users; the CLI operator (shell access to the database anyway) sees all."""
    return true() if actor.is_operator else visible(model, actor.viewer)


def subject_visible(actor: Actor) -> ColumnElement[bool]:
    """A subject is seen through its records: visible where the actor may see one of them."""
    return exists(
        select(SubjectMember.person_record_id)
        .join(PersonRecord, PersonRecord.id == SubjectMember.person_record_id)
        .where(SubjectMember.subject_id == Subject.id, may_see(PersonRecord, actor))
    )


def find_subject(session: Session, actor: Actor, operation_id: int, public_id: str) -> Subject:
    """The subject (a merged one leads to its survivor); one the actor may not see is missing."""
    missing = NotFound(f"subject {public_id} not found", field="subject")
    subject = session.scalar(
        select(Subject).where(
            Subject.public_id == public_id.strip().upper(),
            Subject.operation_id == operation_id,
            subject_visible(actor),
        )
    )
    if subject is None:
        raise missing
    visible_operation(session, actor, subject.operation_id)
    while subject.status == "merged" and subject.merged_into_id is not None:
        subject = session.get_one(Subject, subject.merged_into_id)
    return subject
