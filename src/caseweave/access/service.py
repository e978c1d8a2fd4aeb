"""Checks shared by every service: may this actor see the operation, write case data, release it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from caseweave.access.admin import is_platform_admin
from caseweave.access.labels import CASE_WRITERS, TLP, WRITING_MEMBERS
from caseweave.access.policy import joined, visible
from caseweave.access.records import Release
from caseweave.actor import Actor
from caseweave.auth.models import User
from caseweave.db.base import MAX_ID
from caseweave.errors import Forbidden, Invalid, NotFound
from caseweave.operations.models import Agency, Membership, Operation


def may_see(model: Any, actor: Actor, *, member: bool | None = None) -> ColumnElement[bool]:
    """The policy as SQL for an actor: a user's view; the CLI operator (who holds the database) sees all.
    `member`: see policy.visible."""
    return true() if actor.is_operator else visible(model, actor.viewer, member=member)


def membership_of(session: Session, operation_id: int, agency_id: int) -> Membership | None:
    return session.scalar(select(Membership).where(joined(agency_id, operation_id)))


def visible_operation(session: Session, actor: Actor, operation_id: int) -> Operation:
    """The operation, if the actor's agency takes part in it (platform admins and the operator see all);
    otherwise NotFound, exactly as if it did not exist."""
    operation = session.get(Operation, operation_id) if 0 < operation_id <= MAX_ID else None
    if operation is None:
        raise NotFound(f"operation {operation_id} not found", field="operation_id")
    if is_platform_admin(actor):
        return operation
    assert actor.user is not None
    if membership_of(session, operation_id, actor.user.agency_id) is None:
        raise NotFound(f"operation {operation_id} not found", field="operation_id")
    return operation


def require_case_writer(session: Session, actor: Actor, operation: Operation) -> User:
    """Only analysts, investigators and coordinators of lead or partner agencies write case data."""
    user = actor.user
    if user is None:
        raise Forbidden("case data is written by a user of an agency", hint="use the API with a user's token")
    if not user.has_role(*(role.value for role in CASE_WRITERS)):
        raise Forbidden(
            "your roles do not include writing case data",
            hint="analyst, investigator or coordinator needed",
        )
    member = membership_of(session, operation.id, user.agency_id)
    if member is None or member.role not in {role.value for role in WRITING_MEMBERS}:
        raise Forbidden(
            f"your agency is not a lead or partner in operation {operation.name!r}",
            hint="observers read what is shared with them but do not write",
        )
    return user


def require_record_writer(session: Session, actor: Actor, operation: Operation, record: Any) -> User:
    """Change a shared record: a case writer of the owning agency, or of an agency the owner granted
    writing to (`Release.may_write`). Seeing a record released to you is not the right to change it."""
    user = require_case_writer(session, actor, operation)
    if user.agency_id == record.owner_agency_id:
        return user
    kind, key = type(record).record_kind, record.id
    granted = session.scalar(
        select(Release.id).where(
            Release.record_kind == kind,
            Release.record_id == key,
            Release.agency_id == user.agency_id,
            Release.may_write.is_(True),
        )
    )
    if granted is None:
        raise Forbidden(
            f"this {kind} is owned by another agency, which has not granted your agency changes to it",
            hint="ask the owning agency to record it, or to grant your agency changes",
        )
    return user


def set_releases(
    session: Session,
    operation: Operation,
    record_kind: str,
    record_id: int,
    tlp: TLP,
    agency_codes: Sequence[str],
    usernames: Sequence[str],
    writers: Sequence[str] = (),
) -> None:
    """Record who beyond the owner may see a record; only AMBER (agencies) and RED (users) allow it.
    `writers`: agencies among `agency_codes` the owner also lets change it."""
    if unknown := sorted(set(writers) - set(agency_codes)):
        raise Invalid(
            f"{', '.join(unknown)} may change the record only if it is released to them",
            field="writers",
            hint="list them in released_to too",
        )
    if agency_codes and tlp is not TLP.AMBER:
        raise Invalid(
            f"only AMBER records are released to other agencies, not {tlp.value}",
            field="released_to",
            hint="use AMBER, or GREEN to share with every member agency",
        )
    if usernames and tlp is not TLP.RED:
        raise Invalid(
            f"only RED records name individual recipients, not {tlp.value}",
            field="recipients",
        )
    for code in dict.fromkeys(agency_codes):
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None or membership_of(session, operation.id, agency.id) is None:
            raise Invalid(
                f"agency {code!r} is not a member of operation {operation.name!r}",
                field="released_to",
                hint="release only to member agencies",
            )
        session.add(
            Release(
                record_kind=record_kind, record_id=record_id, agency_id=agency.id, may_write=code in writers
            )
        )
    for name in dict.fromkeys(usernames):
        user = session.scalar(select(User).where(User.username == name))
        if user is None or membership_of(session, operation.id, user.agency_id) is None:
            raise Invalid(
                f"user {name!r} is not in an agency of operation {operation.name!r}",
                field="recipients",
            )
        session.add(Release(record_kind=record_kind, record_id=record_id, user_id=user.id))
