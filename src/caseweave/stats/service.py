"""Counting an operation's figures, per country and per month, as one user may see them.

Every measure is one SQL query under the same need-to-know condition the listing of that kind of
record uses (docs/victims.md, "Operation figures"):

- subjects investigated: current routes to an agency (`subject_routes`, status routed); the lead
  agency's coordinators see all, anyone else those routed to their own agency (attribution/queue.py);
- packages sent / acknowledged: issued packages, every version; the lead agency's coordinators see
  all, anyone else their own agency's (dissemination/workflow.py);
- arrests, charges, prosecutions, convictions: outcome events under `visible(OutcomeEvent, viewer)`;
- children identified / safeguarded: victim events of victims under `visible(Victim, viewer)`.

Each counted thing falls in exactly one country and one month (a CASE over the month boundaries, in
SQL, then one GROUP BY), so a measure's total is both the sum of its countries and of its months.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from caseweave.access.admin import is_coordinator
from caseweave.access.policy import joined, visible
from caseweave.access.service import membership_of, visible_operation
from caseweave.actor import Actor
from caseweave.attribution.models import SubjectRoute
from caseweave.audit import service as audit
from caseweave.auth.models import User
from caseweave.db.base import utcnow
from caseweave.dissemination.models import Package
from caseweave.errors import Forbidden, Invalid
from caseweave.linkage.models import Subject
from caseweave.operations.models import Agency, Membership, Operation
from caseweave.outcomes.models import OutcomeEvent
from caseweave.stats.figures import MEASURES, Counts, Figures
from caseweave.victims.models import Victim, VictimEvent


@dataclass(frozen=True)
class Months:
    """The months counted: keys "YYYY-MM" from the operation's start month to as_of's month, and the
    first day of each (the last one ends the day after as_of)."""

    keys: tuple[str, ...]
    starts: tuple[date, ...]
    end: date  # exclusive: the day after as_of

    @classmethod
    def between(cls, started_on: date, as_of: date) -> Months:
        first = started_on.replace(day=1)
        keys: list[str] = []
        starts: list[date] = []
        while first <= as_of:
            keys.append(f"{first.year:04d}-{first.month:02d}")
            starts.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return cls(tuple(keys), tuple(starts), as_of + timedelta(days=1))

    def uppers(self) -> list[date]:
        """The exclusive end of each month (the last one: the day after as_of)."""
        return [*self.starts[1:], self.end]

    def bucket(self, column: Any, moments: bool) -> tuple[ColumnElement[Any], ColumnElement[bool]]:
        """The month index of `column` (a Date, or a UTC timestamp when `moments`) and the condition
        that it falls in the counted months. Indexes are literal SQL so both engines group alike."""
        low: date | datetime = self.starts[0]
        uppers: Sequence[date | datetime] = self.uppers()
        if moments:
            low = _midnight(self.starts[0])
            uppers = [_midnight(day) for day in self.uppers()]
        whens: list[tuple[ColumnElement[bool], ColumnElement[Any]]] = [
            (column < upper, literal_column(str(index))) for index, upper in enumerate(uppers)
        ]
        return case(*whens), and_(column >= low, column < uppers[-1])


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def figures_reader(session: Session, actor: Actor, operation_id: int) -> tuple[Operation, User]:
    """Figures are a user's own need-to-know view: any user of an agency that has joined the
    operation. An operation the user cannot see is missing, as everywhere else."""
    if actor.user is None:
        raise Invalid(
            "figures are counted as one user may see them",
            field="user",
            hint="name the user with --user (the operator alone sees no case data here)",
        )
    operation = visible_operation(session, actor, operation_id)
    if membership_of(session, operation.id, actor.user.agency_id) is None:
        raise Forbidden(
            f"figures of operation {operation.name!r} are read by users of the agencies taking part",
            field="operation_id",
        )
    return operation, actor.user


def check_as_of(operation: Operation, as_of: date | None) -> date:
    today = date.today()
    when = as_of or today
    if when > today:
        raise Invalid(f"as-of date {when} is in the future", field="as_of", hint=f"today is {today}")
    if when < operation.start_date:
        raise Invalid(
            f"as-of date {when} is before the operation began on {operation.start_date}",
            field="as_of",
        )
    return when


def operation_figures(
    session: Session, actor: Actor, operation_id: int, as_of: date | None = None
) -> Figures:
    """The internal figures of one operation as the actor may see them; the read is audited."""
    operation, user = figures_reader(session, actor, operation_id)
    figures = count_figures(session, actor, operation, user, check_as_of(operation, as_of))
    audit.record(
        session,
        actor,
        "stats.read",
        "operation",
        [operation.id],
        operation_id=operation.id,
        detail={"as_of": figures.as_of.isoformat(), "totals": figures.totals},
    )
    return figures


def count_figures(session: Session, actor: Actor, operation: Operation, user: User, as_of: date) -> Figures:
    """Count without checks or audit: callers have done both (operation_figures, release)."""
    months = Months.between(operation.start_date, as_of)
    agency = session.get_one(Agency, user.agency_id)
    cells: dict[tuple[str, str], Counts] = {}

    def add(measure: str, rows: Sequence[Any]) -> None:
        for country, index, number in rows:
            key = (country, months.keys[int(index)])
            cells.setdefault(key, _zeros())[measure] += int(number or 0)

    coordinator = is_coordinator(actor, operation)
    add("subjects_investigated", session.execute(_routes(operation, user, coordinator, months)).all())
    add("packages_sent", session.execute(_packages(operation, user, coordinator, months, False)).all())
    add("packages_acknowledged", session.execute(_packages(operation, user, coordinator, months, True)).all())
    for measure, query in _outcomes(operation, actor, months).items():
        add(measure, session.execute(query).all())
    for measure, query in _children(operation, actor, months).items():
        add(measure, session.execute(query).all())

    members = session.scalars(
        select(Agency.country).join(Membership, joined(Agency.id, operation.id, as_of)).distinct()
    ).all()
    countries = {country: _zeros() for country in sorted({*members, *(c for c, _ in cells)})}
    by_month = {key: _zeros() for key in months.keys}
    totals = _zeros()
    for (country, month), counts in cells.items():
        for measure, number in counts.items():
            countries[country][measure] += number
            by_month[month][measure] += number
            totals[measure] += number
    return Figures(
        operation_id=operation.id,
        operation_name=operation.name,
        started_on=operation.start_date,
        as_of=as_of,
        generated_at=utcnow(),
        viewer=f"{actor.name} ({agency.code})",
        countries=countries,
        months=by_month,
        totals=totals,
    )


def _zeros() -> Counts:
    return dict.fromkeys(MEASURES, 0)


def _grouped(country: Any, month: Any, weight: Any, *conditions: ColumnElement[bool]) -> Select[Any]:
    """(country, month index, sum of weight) of the rows meeting the conditions."""
    inner = (
        select(country.label("country"), month.label("month"), weight.label("weight"))
        .where(*conditions)
        .subquery()
    )
    return select(inner.c.country, inner.c.month, func.sum(inner.c.weight)).group_by(
        inner.c.country, inner.c.month
    )


def _one() -> ColumnElement[Any]:
    return literal_column("1")


def _routes(operation: Operation, user: User, coordinator: bool, months: Months) -> Select[Any]:
    """Subjects with a current route to an agency: its country, the month it was routed there."""
    month, within = months.bucket(SubjectRoute.decided_at, moments=True)
    conditions = [
        SubjectRoute.operation_id == operation.id,
        SubjectRoute.status == "routed",
        Agency.id == SubjectRoute.agency_id,
        Subject.id == SubjectRoute.subject_id,
        Subject.status == "active",
        within,
    ]
    if not coordinator:
        conditions.append(SubjectRoute.agency_id == user.agency_id)
    return _grouped(Agency.country, month, _one(), *conditions)


def _packages(
    operation: Operation, user: User, coordinator: bool, months: Months, acknowledged: bool
) -> Select[Any]:
    """Issued packages (every version): the receiving agency's country; created or acknowledged month."""
    column = Package.acknowledged_at if acknowledged else Package.created_at
    month, within = months.bucket(column, moments=True)
    conditions = [Package.operation_id == operation.id, Agency.id == Package.agency_id, within]
    if acknowledged:
        conditions.append(Package.acknowledged_at.is_not(None))
    if not coordinator:
        conditions.append(Package.agency_id == user.agency_id)
    return _grouped(Agency.country, month, _one(), *conditions)


def _outcomes(operation: Operation, actor: Actor, months: Months) -> dict[str, Select[Any]]:
    """Arrests, prosecutions and convictions: distinct (subject, country), month of the first event;
    charges: the counts charged (an event without counts is one), month of the event."""
    seen = [OutcomeEvent.operation_id == operation.id, visible(OutcomeEvent, actor.viewer)]
    queries: dict[str, Select[Any]] = {}
    for measure, kind in (("arrests", "arrested"), ("prosecutions", "charged"), ("convictions", "convicted")):
        first = (
            select(
                OutcomeEvent.country.label("country"),
                func.min(OutcomeEvent.occurred_on).label("first"),
            )
            .where(*seen, OutcomeEvent.kind == kind)
            .group_by(OutcomeEvent.subject_id, OutcomeEvent.country)
            .subquery()
        )
        month, within = months.bucket(first.c.first, moments=False)
        queries[measure] = _grouped(first.c.country, month, _one(), within)
    month, within = months.bucket(OutcomeEvent.occurred_on, moments=False)
    charged = func.coalesce(OutcomeEvent.counts, 1)
    queries["charges"] = _grouped(
        OutcomeEvent.country, month, charged, *seen, OutcomeEvent.kind == "charged", within
    )
    return queries


def _children(operation: Operation, actor: Actor, months: Months) -> dict[str, Select[Any]]:
    """Victims the actor may see, by the country and month of their identified / safeguarded event; a
    victim safeguarded without an identified event counts as identified on that date."""
    month, within = months.bucket(VictimEvent.occurred_on, moments=False)
    seen = [
        VictimEvent.operation_id == operation.id,
        Victim.id == VictimEvent.victim_id,
        Victim.operation_id == operation.id,
        visible(Victim, actor.viewer),
        within,
    ]
    earlier = aliased(VictimEvent)
    identified = or_(
        VictimEvent.status == "identified",
        and_(
            VictimEvent.status == "safeguarded",
            ~exists(
                select(earlier.id).where(
                    earlier.victim_id == VictimEvent.victim_id, earlier.status == "identified"
                )
            ),
        ),
    )
    return {
        "children_identified": _grouped(VictimEvent.country, month, _one(), *seen, identified),
        "children_safeguarded": _grouped(
            VictimEvent.country, month, _one(), *seen, VictimEvent.status == "safeguarded"
        ),
    }
