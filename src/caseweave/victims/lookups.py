"""Finding what a victim or an outcome concerns, under the one access policy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.errors import NotFound
from caseweave.linkage.models import Subject
from caseweave.linkage.visibility import subject_visible


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
