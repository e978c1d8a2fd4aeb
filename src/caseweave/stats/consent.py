"""Release consent per operation and country: a coordinator of a member agency of that country agrees
to, or withdraws from, publishing the country's figures. Both are audited; the history is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from caseweave.access.labels import Role
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth.models import User
from caseweave.db.base import utcnow
from caseweave.errors import Conflict, Forbidden
from caseweave.operations.countries import normalise_country
from caseweave.operations.models import Agency
from caseweave.stats.models import ReleaseConsent
from caseweave.stats.service import figures_reader


@dataclass(frozen=True)
class ConsentView:
    country: str
    agency: str
    agreed_by: str
    agreed_at: datetime
    withdrawn_by: str | None
    withdrawn_at: datetime | None

    @property
    def current(self) -> bool:
        return self.withdrawn_at is None


def consenting_countries(session: Session, operation_id: int) -> tuple[str, ...]:
    """Countries with a current agreement, sorted."""
    rows = session.scalars(
        select(ReleaseConsent.country)
        .where(ReleaseConsent.operation_id == operation_id, ReleaseConsent.withdrawn_at.is_(None))
        .distinct()
    ).all()
    return tuple(sorted(rows))


def set_consent(
    session: Session, actor: Actor, operation_id: int, country: str, *, agree: bool
) -> ConsentView:
    """Agree (a new row) or withdraw (the current row is closed) for `country`."""
    operation, user = figures_reader(session, actor, operation_id)
    code = normalise_country(country)
    agency = session.get_one(Agency, user.agency_id)
    if not user.has_role(Role.COORDINATOR.value) or agency.country != code:
        raise Forbidden(
            f"only a coordinator of an agency of {code} in this operation agrees to release for {code}",
            field="country",
            hint=f"ask a coordinator of {code}'s agency",
        )
    current = session.scalar(
        select(ReleaseConsent).where(
            ReleaseConsent.operation_id == operation.id,
            ReleaseConsent.country == code,
            ReleaseConsent.withdrawn_at.is_(None),
        )
    )
    if agree:
        if current is not None:
            raise Conflict(f"{code} has already agreed to release figures of this operation", field="country")
        row = ReleaseConsent(
            operation_id=operation.id,
            country=code,
            agency_id=agency.id,
            agreed_by_user_id=user.id,
            agreed_at=utcnow(),
        )
        session.add(row)
    else:
        if current is None:
            raise Conflict(f"{code} has not agreed to release figures of this operation", field="country")
        row = current
        row.withdrawn_by_user_id, row.withdrawn_at = user.id, utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "stats.consent" if agree else "stats.consent_withdraw",
        "stats_release_consent",
        [row.id],
        operation_id=operation.id,
        detail={"country": code, "agency": agency.code},
    )
    return _views(session, ReleaseConsent.id == row.id)[0]


def list_consents(session: Session, actor: Actor, operation_id: int) -> list[ConsentView]:
    """Every agreement of the operation, current or withdrawn, by country then time."""
    operation, _ = figures_reader(session, actor, operation_id)
    views = _views(session, ReleaseConsent.operation_id == operation.id)
    audit.record(
        session,
        actor,
        "stats.consent_list",
        "stats_release_consent",
        [],
        operation_id=operation.id,
        detail={"consenting": list(consenting_countries(session, operation.id))},
    )
    return views


def _views(session: Session, condition: ColumnElement[bool]) -> list[ConsentView]:
    agreed, withdrawn = aliased(User), aliased(User)
    rows = session.execute(
        select(ReleaseConsent, Agency.code, agreed.username, withdrawn.username)
        .join(Agency, Agency.id == ReleaseConsent.agency_id)
        .join(agreed, agreed.id == ReleaseConsent.agreed_by_user_id)
        .outerjoin(withdrawn, withdrawn.id == ReleaseConsent.withdrawn_by_user_id)
        .where(condition)
        .order_by(ReleaseConsent.country, ReleaseConsent.agreed_at, ReleaseConsent.id)
    ).all()
    return [
        ConsentView(row.country, code, by, row.agreed_at, gone_by, row.withdrawn_at)
        for row, code, by, gone_by in rows
    ]
