"""The one need-to-know policy: who may see a case record, expressed as a SQL condition.

| label        | visible to                                                      |
|--------------|-----------------------------------------------------------------|
| CLEAR        | every authenticated user                                        |
| GREEN        | users of any agency that is a member of the record's operation  |
| AMBER        | users of the owning agency and of agencies it is released to    |
| AMBER+STRICT | users of the owning agency only                                 |
| RED          | the author and the users it is released to by name              |

Every query that returns case data ANDs `visible(Model, viewer)` into its WHERE clause, so
nothing the viewer may not see ever leaves the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, literal, or_, select

from caseweave.access.labels import TLP
from caseweave.access.records import Release
from caseweave.operations.models import MEMBERSHIP_ACTIVE, Membership


@dataclass(frozen=True)
class Viewer:
    """Who is asking: enough to build the filter without touching the user row again."""

    user_id: int
    agency_id: int
    roles: frozenset[str]


def joined(agency_id: Any, operation_id: Any, today: date | None = None) -> ColumnElement[bool]:
    """The membership row that makes `agency_id` part of the operation: accepted, and joined on or
    before today (an invitation not yet accepted gives nothing)."""
    return and_(
        Membership.operation_id == operation_id,
        Membership.agency_id == agency_id,
        Membership.status == MEMBERSHIP_ACTIVE,
        Membership.joined_on <= (today or date.today()),
    )


def member_of_operation(agency_id: int, operation_id: Any, today: date | None = None) -> ColumnElement[bool]:
    """True where `agency_id` has joined the operation (on or before today)."""
    return exists(select(Membership.id).where(joined(agency_id, operation_id, today)))


def visible(model: Any, viewer: Viewer | None, *, member: bool | None = None) -> ColumnElement[bool]:
    """The SQL condition 'viewer may see this row of `model`' (a CaseRecord table). `member`: whether
    the viewer's agency has joined the operation, where the caller already knows it because every row
    asked about is of that one operation (the GREEN test is then a constant, not a subquery per row)."""
    if viewer is None:
        return false()
    kind, key = model.release_target()
    released = select(Release.id).where(Release.record_kind == kind, Release.record_id == key)
    owner = model.owner_agency_id == viewer.agency_id
    return or_(
        model.tlp == TLP.CLEAR.value,
        and_(
            model.tlp == TLP.GREEN.value,
            member_of_operation(viewer.agency_id, model.operation_id) if member is None else literal(member),
        ),
        and_(
            model.tlp == TLP.AMBER.value,
            or_(owner, exists(released.where(Release.agency_id == viewer.agency_id))),
        ),
        and_(model.tlp == TLP.AMBER_STRICT.value, owner),
        and_(
            model.tlp == TLP.RED.value,
            or_(
                model.created_by_user_id == viewer.user_id,
                exists(released.where(Release.user_id == viewer.user_id)),
            ),
        ),
    )
