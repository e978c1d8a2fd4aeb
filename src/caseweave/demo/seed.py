"""Load the demo operation, or refresh its users' passwords when it is already there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth import service as auth
from caseweave.auth.models import User
from caseweave.auth.passwords import generate_password, hash_password
from caseweave.config import Settings
from caseweave.demo.roster import DEMO_USERS, OPERATION_NAME, OPERATION_START, ROSTER
from caseweave.notes.service import create_note
from caseweave.operations import service as ops
from caseweave.operations.models import Agency, Operation


@dataclass
class DemoResult:
    operation: Operation
    created: bool
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # user, agency, roles, password


def seed_demo(session: Session, operator: Actor, settings: Settings) -> DemoResult:
    existing = session.scalar(select(Operation).where(Operation.name == OPERATION_NAME))
    if existing is not None:
        return DemoResult(existing, False, _refresh_passwords(session, operator, settings))
    for agency in ROSTER:
        if session.scalar(select(Agency).where(Agency.code == agency.code)) is None:
            ops.add_agency(
                session,
                operator,
                code=agency.code,
                name=agency.name,
                country=agency.country,
                kind=agency.kind,
                contact_point=agency.contact_point,
            )
    lead = ROSTER[0]
    operation = ops.create_operation(
        session, operator, name=OPERATION_NAME, lead_agency=lead.code, start_date=OPERATION_START
    )
    for agency in ROSTER[1:]:
        ops.invite(
            session,
            operator,
            operation.id,
            agency=agency.code,
            role=agency.role,
            joined_on=OPERATION_START + timedelta(days=agency.joined_after_days),
        )
    result = DemoResult(operation, True)
    for username, agency_code, roles in DEMO_USERS:
        _, password = auth.add_user(
            session, operator, settings, username=username, agency=agency_code, roles=roles
        )
        result.logins.append((username, agency_code, ", ".join(roles), password or ""))
    _seed_notes(session, operation)
    return result


def _refresh_passwords(
    session: Session, operator: Actor, settings: Settings
) -> list[tuple[str, str, str, str]]:
    logins = []
    for username, agency_code, roles in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            continue
        password = generate_password()
        user.password_hash = hash_password(password, settings.min_password_length)
        logins.append((username, agency_code, ", ".join(roles), password))
    audit.record(session, operator, "demo.passwords_reset", "user", [name for name, *_ in logins])
    return logins


def _seed_notes(session: Session, operation: Operation) -> None:
    """One note per label, so each login shows a different slice of the operation."""
    analyst = session.scalar(select(User).where(User.username == "analyst.gb"))
    assert analyst is not None
    as_analyst = Actor.for_user(analyst)
    notes = (
        ("Operation briefing for all partners", TLP.GREEN, (), ()),
        (
            "Seized chat room: first handles shared with CA, US, AU",
            TLP.AMBER,
            ("CA-HOTLINE", "US-OCPU", "AU-OCPU"),
            (),
        ),
        ("Lead-agency working theory", TLP.AMBER_STRICT, (), ()),
        ("Source handling — coordinator only", TLP.RED, (), ("coordinator.gb",)),
        ("Public line agreed with press office", TLP.CLEAR, (), ()),
    )
    for title, label, agencies, users in notes:
        create_note(
            session,
            as_analyst,
            operation.id,
            title=title,
            body=f"Synthetic demo note ({label.value}).",
            tlp=label,
            released_to=agencies,
            recipients=users,
        )
