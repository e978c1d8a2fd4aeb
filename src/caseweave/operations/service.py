"""Agencies, operations and memberships: created by admins and by the lead agency's coordinators."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from caseweave.access import admin
from caseweave.access.labels import MemberRole
from caseweave.access.policy import member_of_operation
from caseweave.access.service import membership_of, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.db.base import utcnow
from caseweave.errors import Conflict, Invalid, NotFound
from caseweave.operations.countries import normalise_country
from caseweave.operations.models import (
    MEMBERSHIP_ACTIVE,
    MEMBERSHIP_DECLINED,
    MEMBERSHIP_INVITED,
    Agency,
    Membership,
    Operation,
)

AGENCY_KINDS = ("police", "hotline", "customs", "prosecutor", "other")
OPERATION_STATUSES = ("active", "closed")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")


def agency_by_code(session: Session, code: str, field: str = "agency") -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.strip().upper()))
    if agency is None:
        raise NotFound(f"agency {code!r} not found", field=field, hint="list agencies with `agency list`")
    return agency


def add_agency(
    session: Session, actor: Actor, *, code: str, name: str, country: str, kind: str, contact_point: str
) -> Agency:
    admin.require_platform_admin(actor, "add agencies")
    code = code.strip().upper()
    if not _CODE.match(code):
        raise Invalid(f"agency code {code!r} is not valid", field="code", hint="2-40 of A-Z, 0-9 and '-'")
    if not name.strip():
        raise Invalid("an agency needs a name", field="name")
    if kind not in AGENCY_KINDS:
        raise Invalid(
            f"unknown agency kind {kind!r}", field="kind", hint=f"use one of {', '.join(AGENCY_KINDS)}"
        )
    if not contact_point.strip():
        raise Invalid(
            "an agency needs a contact point", field="contact_point", hint="e.g. a duty desk e-mail"
        )
    country = normalise_country(country)
    if session.scalar(select(Agency).where(Agency.code == code)) is not None:
        raise Conflict(f"an agency with code {code!r} already exists", field="code")
    if session.scalar(select(Agency).where(func.lower(Agency.name) == name.strip().lower())) is not None:
        raise Conflict(f"an agency named {name.strip()!r} already exists", field="name")
    agency = Agency(
        code=code, name=name.strip(), country=country, kind=kind, contact_point=contact_point.strip()
    )
    session.add(agency)
    session.flush()
    audit.record(session, actor, "agency.create", "agency", [agency.id], detail={"code": code})
    return agency


def list_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(select(Agency).order_by(Agency.code)).all()


def create_operation(
    session: Session, actor: Actor, *, name: str, lead_agency: str, start_date: date, status: str = "active"
) -> Operation:
    lead = agency_by_code(session, lead_agency, "lead_agency")
    admin.require_operation_creator(actor, lead.id)
    if not name.strip():
        raise Invalid("an operation needs a name", field="name")
    if status not in OPERATION_STATUSES:
        raise Invalid(f"unknown status {status!r}", field="status", hint="active or closed")
    taken = select(Operation.id).where(Operation.lead_agency_id == lead.id, Operation.name == name.strip())
    if session.scalar(taken) is not None:
        raise Conflict(f"{lead.code} already leads an operation named {name.strip()!r}", field="name")
    operation = Operation(name=name.strip(), lead_agency_id=lead.id, start_date=start_date, status=status)
    session.add(operation)
    session.flush()
    session.add(
        Membership(
            operation_id=operation.id, agency_id=lead.id, role=MemberRole.LEAD.value, joined_on=start_date
        )
    )
    audit.record(
        session,
        actor,
        "operation.create",
        "operation",
        [operation.id],
        operation_id=operation.id,
        detail={"name": operation.name, "lead": lead.code},
    )
    return operation


def operation_by_ref(session: Session, actor: Actor, ref: str) -> Operation:
    """An operation the actor may see, by id or by exact name, as a user types it on the command line."""
    missing = NotFound(
        f"operation {ref!r} not found", field="operation", hint="list them with `operation list`"
    )
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        if len(ref) > 18:
            raise missing
        found = session.scalar(visible_operations(actor).where(Operation.id == int(ref)))
        if found is None:
            raise missing
        return found
    named = session.scalars(visible_operations(actor).where(Operation.name == ref)).all()
    if not named:
        raise missing
    if len(named) > 1:
        raise Invalid(
            f"{len(named)} operations are named {ref!r}", field="operation", hint="give the operation's id"
        )
    return named[0]


def visible_operations(actor: Actor) -> Select[Operation]:
    """Operations the actor's agency has joined (platform admins and the operator see all)."""
    query = select(Operation)
    if admin.is_platform_admin(actor):
        return query
    assert actor.user is not None
    return query.where(member_of_operation(actor.user.agency_id, Operation.id))


def list_operations(session: Session, actor: Actor) -> Sequence[Operation]:
    return session.scalars(visible_operations(actor).order_by(Operation.id)).all()


def invite(
    session: Session,
    actor: Actor,
    operation_id: int,
    *,
    agency: str,
    role: str,
    joined_on: date | None = None,
) -> Membership:
    """Invite an agency into an operation. It takes part only once its admin or a coordinator accepts;
    the CLI operator's additions take effect at once (they hold the database anyway)."""
    operation = visible_operation(session, actor, operation_id)
    admin.require_operation_manager(actor, operation)
    member = agency_by_code(session, agency)
    if role not in (MemberRole.PARTNER.value, MemberRole.OBSERVER.value):
        raise Invalid(
            f"role {role!r} cannot be added",
            field="role",
            hint="partner or observer; the lead is set when the operation is created",
        )
    joined = joined_on or date.today()
    if joined < operation.start_date:
        raise Invalid(
            f"joined on {joined} is before the operation started ({operation.start_date})", field="joined_on"
        )
    membership = session.scalar(
        select(Membership).where(Membership.operation_id == operation.id, Membership.agency_id == member.id)
    )
    if membership is not None and membership.status != MEMBERSHIP_DECLINED:
        raise Conflict(f"{member.code} is already {membership.status} in {operation.name!r}", field="agency")
    if membership is None:
        membership = Membership(operation_id=operation.id, agency_id=member.id)
        session.add(membership)
    at_once = actor.is_operator
    membership.role, membership.joined_on = role, joined
    membership.status = MEMBERSHIP_ACTIVE if at_once else MEMBERSHIP_INVITED
    membership.invited_by_user_id = actor.user.id if actor.user else None
    membership.answered_by_user_id, membership.answered_at = None, utcnow() if at_once else None
    session.flush()
    audit.record(
        session,
        actor,
        "membership.create" if at_once else "membership.invite",
        "membership",
        [membership.id],
        operation_id=operation.id,
        detail={"agency": member.code, "role": role, "joined_on": joined.isoformat()},
    )
    return membership


def list_invitations(session: Session, actor: Actor) -> Sequence[Membership]:
    """Open invitations addressed to the actor's agency (for its admins and coordinators)."""
    if actor.user is None or not admin.answers_for_agency(actor, actor.user.agency_id):
        return []
    return session.scalars(
        select(Membership)
        .where(Membership.agency_id == actor.user.agency_id, Membership.status == MEMBERSHIP_INVITED)
        .order_by(Membership.id)
    ).all()


def answer_invitation(session: Session, actor: Actor, membership_id: int, *, accept: bool) -> Membership:
    """The invited agency accepts (it takes part from `joined_on`) or declines."""
    membership = session.get(Membership, membership_id)
    if (
        membership is None
        or membership.status != MEMBERSHIP_INVITED
        or not admin.answers_for_agency(actor, membership.agency_id)
    ):
        raise NotFound(f"invitation {membership_id} not found", field="membership_id")
    _settle(membership, actor, MEMBERSHIP_ACTIVE if accept else MEMBERSHIP_DECLINED)
    audit.record(
        session,
        actor,
        "membership.accept" if accept else "membership.decline",
        "membership",
        [membership.id],
        operation_id=membership.operation_id,
    )
    return membership


def withdraw_invitation(session: Session, actor: Actor, operation_id: int, membership_id: int) -> Membership:
    """The lead's coordinators take back an invitation not yet answered."""
    operation = visible_operation(session, actor, operation_id)
    admin.require_operation_manager(actor, operation)
    membership = session.get(Membership, membership_id)
    if membership is None or membership.operation_id != operation.id:
        raise NotFound(f"membership {membership_id} not found", field="membership_id")
    if membership.status != MEMBERSHIP_INVITED:
        raise Conflict(f"membership {membership_id} is {membership.status}, not an open invitation")
    _settle(membership, actor, MEMBERSHIP_DECLINED)
    audit.record(
        session, actor, "membership.withdraw", "membership", [membership.id], operation_id=operation.id
    )
    return membership


def _settle(membership: Membership, actor: Actor, status: str) -> None:
    membership.status = status
    membership.answered_by_user_id = actor.user.id if actor.user else None
    membership.answered_at = utcnow()


def list_memberships(session: Session, actor: Actor, operation_id: int) -> Sequence[Membership]:
    visible_operation(session, actor, operation_id)
    return session.scalars(
        select(Membership)
        .where(Membership.operation_id == operation_id)
        .order_by(Membership.joined_on, Membership.id)
    ).all()


def is_member(session: Session, operation_id: int, agency_id: int) -> bool:
    return membership_of(session, operation_id, agency_id) is not None
