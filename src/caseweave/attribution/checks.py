"""Finding a subject by its public id, as the attribution views and routes do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.errors import Invalid, NotFound
from caseweave.linkage.models import Subject
from caseweave.linkage.visibility import subject_seen


def find_subject(session: Session, actor: Actor, public_id: str, *, follow: bool = True) -> Subject:
    """The subject (a merged one leads to its survivor when follow), if the actor's agency takes part
    in its operation and may see one of its records; otherwise NotFound, exactly like a missing one."""
    wanted = public_id.strip().upper()
    subject = session.scalar(select(Subject).where(Subject.public_id == wanted))
    missing = NotFound(f"subject {public_id} not found", field="subject_id")
    if subject is None:
        raise missing
    try:
        visible_operation(session, actor, subject.operation_id)
    except NotFound:
        raise missing from None
    if not subject_seen(session, actor, subject):
        raise missing
    while follow and subject.status == "merged" and subject.merged_into_id is not None:
        subject = session.get_one(Subject, subject.merged_into_id)
    return subject


def require_active(subject: Subject, asked_for: str) -> None:
    if subject.status != "active":
        raise Invalid(
            f"subject {asked_for} is {subject.status}",
            field="subject_id",
            hint="route the subject that now holds its records (see `caseweave subject show`)",
        )
