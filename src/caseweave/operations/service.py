"""Agencies, operations and memberships: created by admins and by the lead agency's coordinators."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseweave.access.labels import MemberRole, Role
from caseweave.access.policy import member_of_operation
from caseweave.access.service import membership_of
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import Conflict, Forbidden, Invalid, NotFound
from caseweave.operations.countries import normalise_country
from caseweave.operations.models import Agency, Membership, Operation

AGENCY_KINDS = ("police", "hotline", "customs", "prosecutor", "other")
OPERATION_STATUSES = ("active", "closed")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")


def _require_admin_or_coordinator(actor: Actor, what: str) -> None:
    if not actor.has_role(Role.PLATFORM_ADMIN.value, Role.COORDINATOR.value):
        raise Forbidden(f"only admins and coordinators may {what}")


def agency_by_code(session: Session, code: str, field: str = "agency") -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.strip().upper()))
    if agency is None:
        raise NotFound(f"agency {code!r} not found", field=field, hint="list agencies with `agency list`")
    return agency


def add_agency(
    session: Session, actor: Actor, *, code: str, name: str, country: str, kind: str, contact_point: str
) -> Agency:
    _require_admin_or_coordinator(actor, "add agencies")
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
    _require_admin_or_coordinator(actor, "create operations")
    lead = agency_by_code(session, lead_agency, "lead_agency")
    if actor.user is not None and not actor.has_role(Role.PLATFORM_ADMIN.value) and actor.user.agency_id != lead.id:
        raise Forbidden("a coordinator creates operations led by their own agency", field="lead_agency")
    if not name.strip():
        raise Invalid("an operation needs a name", field="name")
    if status not in OPERATION_STATUSES:
        raise Invalid(f"unknown status {status!r}", field="status", hint="active or closed")
    if session.scalar(select(Operation).where(Operation.name == name.strip())) is not None:
        raise Conflict(f"an operation named {name.strip()!r} already exists", field="name")
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


def operation_by_ref(session: Session, ref: str) -> Operation:
    """An operation by id or by exact name, as a user types it on the command line."""
    operation = session.get(Operation, int(ref)) if ref.isdigit() else None
    if operation is None:
        operation = session.scalar(select(Operation).where(Operation.name == ref))
    if operation is None:
        raise NotFound(
            f"operation {ref!r} not found", field="operation", hint="list them with `operation list`"
        )
    return operation


def list_operations(session: Session, actor: Actor) -> Sequence[Operation]:
    query = select(Operation).order_by(Operation.id)
    if actor.user is not None and not actor.has_role(Role.PLATFORM_ADMIN.value):
        query = query.where(member_of_operation(actor.user.agency_id, Operation.id))
    return session.scalars(query).all()


def require_operation_manager(session: Session, actor: Actor, operation: Operation) -> None:
    """Admins, and coordinators of the operation's lead agency, manage who takes part."""
    if actor.has_role(Role.PLATFORM_ADMIN.value):
        return
    user = actor.user
    if (
        user is None
        or not user.has_role(Role.COORDINATOR.value)
        or user.agency_id != operation.lead_agency_id
    ):
        raise Forbidden(
            f"only the lead agency's coordinators manage operation {operation.name!r}",
            hint="ask the lead agency's coordinator",
        )


def add_membership(
    session: Session,
    actor: Actor,
    operation_id: int,
    *,
    agency: str,
    role: str,
    joined_on: date | None = None,
) -> Membership:
    operation = session.get(Operation, operation_id)
    if operation is None:
        raise NotFound(f"operation {operation_id} not found", field="operation")
    require_operation_manager(session, actor, operation)
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
    exists = session.scalar(
        select(Membership).where(Membership.operation_id == operation.id, Membership.agency_id == member.id)
    )
    if exists is not None:
        raise Conflict(f"{member.code} is already a {exists.role} in {operation.name!r}", field="agency")
    membership = Membership(operation_id=operation.id, agency_id=member.id, role=role, joined_on=joined)
    session.add(membership)
    session.flush()
    audit.record(
        session,
        actor,
        "membership.create",
        "membership",
        [membership.id],
        operation_id=operation.id,
        detail={"agency": member.code, "role": role, "joined_on": joined.isoformat()},
    )
    return membership


def list_memberships(session: Session, operation_id: int) -> Sequence[Membership]:
    return session.scalars(
        select(Membership)
        .where(Membership.operation_id == operation_id)
        .order_by(Membership.joined_on, Membership.id)
    ).all()


def is_member(session: Session, operation_id: int, agency_id: int) -> bool:
    return membership_of(session, operation_id, agency_id) is not None
