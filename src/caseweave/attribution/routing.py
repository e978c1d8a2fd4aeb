"""Routing: the attributed country → the operation's acting agency for it; the rest to a queue.

Only lead and partner agencies that have joined act on subjects (observers read only). A subject is
- routed to the one acting agency of its country (the lead agency where several share the country);
- unallocated when its country has no acting agency, or nothing points to a country;
- held for review when its attribution is contested or weak, or several agencies (none of them the
  lead) share its country: a coordinator decides (queue.py), never the machine.
A coordinator's route by hand wins over later runs until it is cleared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import WRITING_MEMBERS
from caseweave.access.policy import joined
from caseweave.attribution.models import Attribution, SubjectRoute
from caseweave.db.base import utcnow
from caseweave.db.bulk import chunks
from caseweave.linkage.models import Subject
from caseweave.operations.models import Agency, Membership, Operation

ROUTE_STATUSES = ("routed", "unallocated", "review", "retired")
QUEUE_STATUSES = ("unallocated", "review")
REASONS = {
    "no_agency": "no lead or partner agency of the operation in the country",
    "no_evidence": "nothing points to a country",
    "contested": "contested: the top two countries are close",
    "low_confidence": "confidence below the minimum",
    "several_agencies": "several agencies of the operation in the country",
    "subject_retired": "the subject merged or split",
}
SYSTEM = "system"


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str | None
    country: str | None
    agency_id: int | None


@dataclass(frozen=True)
class RouteChange:
    subject: str  # public id
    before: str  # "routed:CA", "review:contested", "new"
    after: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def acting_agencies(
    session: Session, operation_id: int, today: date | None = None
) -> dict[str, list[Agency]]:
    """Country → the lead and partner agencies that have joined the operation, by code."""
    rows = session.scalars(
        select(Agency)
        .join(Membership, joined(Agency.id, operation_id, today))
        .where(Membership.role.in_([role.value for role in WRITING_MEMBERS]))
        .order_by(Agency.code)
    )
    found: dict[str, list[Agency]] = {}
    for agency in rows:
        found.setdefault(agency.country, []).append(agency)
    return found


def decide(attribution: Attribution, acting: Mapping[str, Sequence[Agency]], lead_agency_id: int) -> Decision:
    country = attribution.top_country
    if attribution.status == "no_evidence" or country is None:
        return Decision("unallocated", "no_evidence", None, None)
    if attribution.status in ("contested", "low_confidence"):
        return Decision("review", attribution.status, country, None)
    agencies = acting.get(country, [])
    if not agencies:
        return Decision("unallocated", "no_agency", country, None)
    if len(agencies) > 1:
        # The lead agency if it is there; else the one police force (hotlines and customs refer
        # suspects to the police, who act on them); else a person decides.
        lead = [a for a in agencies if a.id == lead_agency_id]
        chosen = lead or [a for a in agencies if a.kind == "police"]
        if len(chosen) != 1:
            return Decision("review", "several_agencies", country, None)
        agencies = chosen
    return Decision("routed", None, country, agencies[0].id)


def route(
    session: Session, operation: Operation, attributions: Mapping[int, Attribution]
) -> list[RouteChange]:
    """Bring each subject's route up to date with its attribution; say which routes changed."""
    acting = acting_agencies(session, operation.id)
    existing = routes_of(session, list(attributions))
    public = public_ids(session, list(attributions))
    codes = {agency.id: agency.code for agencies in acting.values() for agency in agencies}
    codes.update(agency_codes(session, {r.agency_id for r in existing.values() if r.agency_id}))
    changes: list[RouteChange] = []
    now = utcnow()
    for subject_id, attribution in attributions.items():
        row = existing.get(subject_id)
        if row is not None and row.method == "manual" and row.status == "routed":
            row.attribution_id = attribution.id  # the coordinator's decision stands
            continue
        decision = decide(attribution, acting, operation.lead_agency_id)
        before = describe(row, codes) if row is not None else "new"
        if row is None:
            row = SubjectRoute(operation_id=operation.id, subject_id=subject_id)
            session.add(row)
        elif (row.status, row.reason, row.country, row.agency_id, row.method) == (
            decision.status,
            decision.reason,
            decision.country,
            decision.agency_id,
            "auto",
        ):
            row.attribution_id = attribution.id
            continue
        row.attribution_id = attribution.id
        row.status, row.reason = decision.status, decision.reason
        row.country, row.agency_id = decision.country, decision.agency_id
        row.method, row.note = "auto", None
        row.decided_by, row.decided_by_user_id, row.decided_at = SYSTEM, None, now
        changes.append(RouteChange(public[subject_id], before, describe(row, codes)))
    session.flush()
    return changes


def describe(row: SubjectRoute, codes: Mapping[int, str]) -> str:
    if row.status == "routed" and row.agency_id is not None:
        return f"routed:{codes.get(row.agency_id, row.agency_id)}"
    return f"{row.status}:{row.reason}"


def routes_of(session: Session, subject_ids: Sequence[int]) -> dict[int, SubjectRoute]:
    found: dict[int, SubjectRoute] = {}
    for batch in chunks(subject_ids, 500):
        query = select(SubjectRoute).where(SubjectRoute.subject_id.in_(batch))
        found.update((row.subject_id, row) for row in session.scalars(query))
    return found


def public_ids(session: Session, subject_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for batch in chunks(subject_ids, 500):
        rows = session.execute(select(Subject.id, Subject.public_id).where(Subject.id.in_(batch)))
        found.update((subject_id, public_id) for subject_id, public_id in rows)
    return found


def agency_codes(session: Session, agency_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(agency_ids))
    if not ids:
        return {}
    rows = session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(ids)))
    return {agency_id: code for agency_id, code in rows}


def routed_subjects(
    session: Session, operation_id: int, agency_id: int
) -> list[tuple[Subject, SubjectRoute]]:
    """System view for building packages: every active subject routed to the agency, with its route.

    Not filtered by need-to-know: the caller (dissemination) decides what of each subject the
    receiving agency may see. Never return this to a user as it is.
    """
    rows = session.execute(
        select(Subject, SubjectRoute)
        .join(SubjectRoute, SubjectRoute.subject_id == Subject.id)
        .where(
            SubjectRoute.operation_id == operation_id,
            SubjectRoute.agency_id == agency_id,
            SubjectRoute.status == "routed",
            Subject.status == "active",
        )
        .order_by(Subject.id)
    )
    return [(subject, route) for subject, route in rows]


def current_attribution_of(session: Session, subject_id: int) -> Attribution | None:
    """System view: the stored attribution of a subject (all evidence), for packages and routing."""
    return session.scalar(
        select(Attribution).where(Attribution.subject_id == subject_id, Attribution.current.is_(True))
    )
