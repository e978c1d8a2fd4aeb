"""Who may run attribution, who coordinates routing, and finding a subject by its public id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import Role
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.errors import Forbidden, Invalid, NotFound
from caseweave.linkage.models import Subject
from caseweave.linkage.visibility import subject_seen
from caseweave.operations.models import Operation


def require_attributor(actor: Actor, operation: Operation) -> None:
    """Runs on demand: the CLI operator, admins, the lead agency's coordinators and analysts."""
    if actor.is_operator or actor.has_role(Role.PLATFORM_ADMIN.value):
        return
    assert actor.user is not None
    if actor.user.agency_id != operation.lead_agency_id or not actor.user.has_role(
        Role.COORDINATOR.value, Role.ANALYST.value
    ):
        raise Forbidden(
            "attribution runs are started by the lead agency's coordinators and analysts",
            hint="ask the lead agency to run `caseweave attribute`",
        )


def is_coordinator(actor: Actor, operation: Operation) -> bool:
    """The lead agency's coordinators hold the routing queue (and the CLI operator, who has the database)."""
    if actor.is_operator:
        return True
    user = actor.user
    assert user is not None
    return user.agency_id == operation.lead_agency_id and user.has_role(Role.COORDINATOR.value)


def require_coordinator(actor: Actor, operation: Operation, what: str) -> None:
    if not is_coordinator(actor, operation):
        raise Forbidden(
            f"only the lead agency's coordinators {what}",
            hint=f"ask a coordinator of the lead agency of operation {operation.name!r}",
        )


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
