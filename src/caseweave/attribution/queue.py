"""What people do with routes: the coordinator's queue, routing by hand, each agency's list.

A route says which country and agency a subject goes to, with the system's distribution and
confidence, but no evidence: it is shown to the lead agency's coordinators (who allocate) and to
the agency it is routed to. Evidence is shown only through views.py, record by record.
Every list and change is audited; a change is audited in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from caseweave.access.admin import is_coordinator, require_coordinator
from caseweave.access.labels import WRITING_MEMBERS
from caseweave.access.service import membership_of, visible_operation
from caseweave.actor import Actor
from caseweave.attribution.checks import find_subject, require_active
from caseweave.attribution.models import Attribution, SubjectRoute
from caseweave.attribution.routing import (
    QUEUE_STATUSES,
    REASONS,
    ROUTE_STATUSES,
    acting_agencies,
    decide,
    describe,
)
from caseweave.attribution.scoring import Score
from caseweave.attribution.visible_evidence import rescored
from caseweave.audit import service as audit
from caseweave.db.base import utcnow
from caseweave.errors import Conflict, Forbidden, Invalid
from caseweave.linkage.models import Subject
from caseweave.linkage.visibility import hidden_records, subject_visible
from caseweave.operations.countries import normalise_country
from caseweave.operations.models import Agency, Operation
from caseweave.operations.service import agency_by_code


@dataclass(frozen=True)
class RouteEntry:
    subject: str
    status: str
    reason: str | None
    reason_text: str | None
    country: str | None
    agency: str | None
    method: str
    note: str | None
    decided_by: str
    decided_at: datetime
    attribution_status: str | None
    top_country: str | None
    confidence: float | None
    distribution: dict[str, float]
    provider: str | None
    provider_data_date: date | None
    computed_at: datetime | None


def list_routes(
    session: Session,
    actor: Actor,
    operation_id: int,
    *,
    statuses: tuple[str, ...] | None = None,
    country: str | None = None,
    agency: str | None = None,
    reason: str | None = None,
    limit: int = 10000,
) -> list[RouteEntry]:
    """Routes of the operation's active subjects. Coordinators see all; anyone else only the subjects
    routed to their own agency (asking for another agency's is refused)."""
    operation = visible_operation(session, actor, operation_id)
    conditions: list[ColumnElement[bool]] = [
        SubjectRoute.operation_id == operation.id,
        Subject.status == "active",
    ]
    if hidden_records(session, actor, operation.id):  # else every subject is seen: no check per row
        conditions.append(subject_visible(actor))
    for status in statuses or ():
        if status not in ROUTE_STATUSES:
            raise Invalid(f"unknown route status {status!r}", field="status", hint=" / ".join(ROUTE_STATUSES))
    if statuses:
        conditions.append(SubjectRoute.status.in_(statuses))
    if reason is not None:
        if reason not in REASONS:
            raise Invalid(f"unknown reason {reason!r}", field="reason", hint=" / ".join(REASONS))
        conditions.append(SubjectRoute.reason == reason)
    if country is not None:
        conditions.append(SubjectRoute.country == normalise_country(country))
    wanted = agency_by_code(session, agency) if agency is not None else None
    if not is_coordinator(actor, operation):
        assert actor.user is not None
        if wanted is not None and wanted.id != actor.user.agency_id:
            raise Forbidden(
                "you see the subjects routed to your own agency", field="agency", hint="ask the coordinator"
            )
        wanted = session.get_one(Agency, actor.user.agency_id)
        conditions.append(SubjectRoute.status == "routed")
    if wanted is not None:
        conditions.append(SubjectRoute.agency_id == wanted.id)
    entries = route_entries(session, actor, and_(*conditions), limit)
    audit.record(
        session,
        actor,
        "route.list",
        "subject",
        [entry.subject for entry in entries],
        operation_id=operation.id,
        detail={"statuses": list(statuses or ()), "country": country, "agency": agency, "reason": reason},
    )
    return entries


def unallocated(
    session: Session, actor: Actor, operation_id: int, *, reason: str | None = None
) -> list[RouteEntry]:
    """The coordinator's queue: subjects with no acting agency, no evidence, or held for review."""
    operation = visible_operation(session, actor, operation_id)
    require_coordinator(actor, operation, "see the routing queue")
    return list_routes(session, actor, operation_id, statuses=QUEUE_STATUSES, reason=reason)


def routed_to(
    session: Session, actor: Actor, operation_id: int, agency: str | None = None
) -> list[RouteEntry]:
    """Subjects routed to an agency (default: the actor's own)."""
    return list_routes(session, actor, operation_id, statuses=("routed",), agency=agency)


def route_by_hand(
    session: Session,
    actor: Actor,
    subject_id: str,
    *,
    agency: str | None = None,
    country: str | None = None,
    reason: str,
) -> RouteEntry:
    """A coordinator sends a subject to an acting agency, named or found by country. Audited."""
    subject = find_subject(session, actor, subject_id, follow=False)
    operation = session.get_one(Operation, subject.operation_id)
    require_coordinator(actor, operation, "route subjects by hand")
    require_active(subject, subject_id)
    if (agency is None) == (country is None):
        raise Invalid(
            "name an agency or a country, not both", field="agency", hint="--agency CA-RCMP or --country CA"
        )
    if not reason.strip():
        raise Invalid(
            "say why the subject goes there", field="reason", hint="e.g. the suspect's address is confirmed"
        )
    target = _target(session, operation, agency, country)
    row = session.scalar(select(SubjectRoute).where(SubjectRoute.subject_id == subject.id))
    if row is not None and row.method == "manual" and row.agency_id == target.id and row.status == "routed":
        raise Conflict(f"{subject.public_id} is already routed by hand to {target.code}", field="agency")
    before = describe(row, {target.id: target.code}) if row is not None else "new"
    if row is None:
        row = SubjectRoute(operation_id=operation.id, subject_id=subject.id)
        session.add(row)
    row.attribution_id = _current_attribution_id(session, subject.id)
    row.status, row.reason, row.country, row.agency_id = "routed", None, target.country, target.id
    row.method, row.note = "manual", reason.strip()
    _decided(row, actor)
    session.flush()
    audit.record(
        session,
        actor,
        "route.manual",
        "subject",
        [subject.id],
        operation_id=operation.id,
        detail={"subject": subject.public_id, "before": before, "agency": target.code, "reason": row.note},
    )
    return route_entries(session, actor, SubjectRoute.id == row.id, 1)[0]


def clear_manual_route(session: Session, actor: Actor, subject_id: str, *, reason: str) -> RouteEntry:
    """Hand a subject back to the machine: its route follows its attribution again. Audited."""
    subject = find_subject(session, actor, subject_id, follow=False)
    operation = session.get_one(Operation, subject.operation_id)
    require_coordinator(actor, operation, "change routes")
    require_active(subject, subject_id)
    if not reason.strip():
        raise Invalid("say why the route by hand no longer holds", field="reason")
    row = session.scalar(select(SubjectRoute).where(SubjectRoute.subject_id == subject.id))
    if row is None or row.method != "manual":
        raise Conflict(f"{subject.public_id} is not routed by hand", field="subject_id")
    attribution = session.scalar(
        select(Attribution).where(Attribution.subject_id == subject.id, Attribution.current.is_(True))
    )
    if attribution is None:
        row.status, row.reason, row.country, row.agency_id = "unallocated", "no_evidence", None, None
    else:
        decision = decide(attribution, acting_agencies(session, operation.id), operation.lead_agency_id)
        row.status, row.reason = decision.status, decision.reason
        row.country, row.agency_id = decision.country, decision.agency_id
    row.method, row.note = "auto", None
    _decided(row, actor)
    session.flush()
    audit.record(
        session,
        actor,
        "route.automatic",
        "subject",
        [subject.id],
        operation_id=operation.id,
        detail={"subject": subject.public_id, "reason": reason.strip(), "now": f"{row.status}:{row.reason}"},
    )
    return route_entries(session, actor, SubjectRoute.id == row.id, 1)[0]


def _target(session: Session, operation: Operation, agency: str | None, country: str | None) -> Agency:
    if country is not None:
        code = normalise_country(country)
        agencies = acting_agencies(session, operation.id).get(code, [])
        if not agencies:
            raise Invalid(
                f"operation {operation.name!r} has no lead or partner agency in {code}",
                field="country",
                hint="add the country's agency as a partner first, or leave the subject unallocated",
            )
        if len(agencies) > 1:
            codes = ", ".join(a.code for a in agencies)
            raise Invalid(
                f"several agencies act in {code}: {codes}", field="country", hint="name one with --agency"
            )
        return agencies[0]
    assert agency is not None
    target = agency_by_code(session, agency)
    member = membership_of(session, operation.id, target.id)
    if member is None:
        raise Invalid(
            f"agency {target.code} is not a member of operation {operation.name!r}",
            field="agency",
            hint="route only to agencies that have joined the operation",
        )
    if member.role not in {role.value for role in WRITING_MEMBERS}:
        raise Invalid(
            f"agency {target.code} is an {member.role} of operation {operation.name!r}",
            field="agency",
            hint="observers read what is shared with them but do not act on subjects",
        )
    return target


def _decided(row: SubjectRoute, actor: Actor) -> None:
    row.decided_by = actor.name
    row.decided_by_user_id = actor.user.id if actor.user else None
    row.decided_at = utcnow()


def _current_attribution_id(session: Session, subject_id: int) -> int | None:
    return session.scalar(
        select(Attribution.id).where(Attribution.subject_id == subject_id, Attribution.current.is_(True))
    )


def route_entries(
    session: Session, actor: Actor, condition: ColumnElement[bool], limit: int
) -> list[RouteEntry]:
    """Routes with the attribution figures scored from the evidence the actor may see."""
    rows = session.execute(
        select(SubjectRoute, Subject.public_id, Agency.code, Attribution)
        .join(Subject, Subject.id == SubjectRoute.subject_id)
        .outerjoin(Agency, Agency.id == SubjectRoute.agency_id)
        .outerjoin(Attribution, Attribution.id == SubjectRoute.attribution_id)
        .where(condition)
        .order_by(Subject.id)
        .limit(limit)
    ).all()
    scores = rescored(session, actor, [attribution for *_, attribution in rows if attribution])
    return [
        _entry(route, public_id, code, attribution, scores) for route, public_id, code, attribution in rows
    ]


def _entry(
    route: SubjectRoute,
    public_id: str,
    code: str | None,
    attribution: Attribution | None,
    scores: dict[int, Score],
) -> RouteEntry:
    figures = (scores.get(attribution.id) or attribution) if attribution else None
    return RouteEntry(
        subject=public_id,
        status=route.status,
        reason=route.reason,
        reason_text=REASONS.get(route.reason) if route.reason else None,
        country=route.country,
        agency=code,
        method=route.method,
        note=route.note,
        decided_by=route.decided_by,
        decided_at=route.decided_at,
        attribution_status=figures.status if figures else None,
        top_country=figures.top_country if figures else None,
        confidence=figures.confidence if figures else None,
        distribution=dict(figures.distribution) if figures else {},
        provider=f"{attribution.provider}: {attribution.provider_source}" if attribution else None,
        provider_data_date=attribution.provider_data_date if attribution else None,
        computed_at=attribution.computed_at if attribution else None,
    )
