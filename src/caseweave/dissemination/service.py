"""`disseminate`: build each receiving agency's next package version, or none where nothing changed.

For each agency (one named, or every agency with subjects routed to it or an open package): gather
what it may see of its routed subjects (gather.py), label, rank and date it, compare with its last
version, and store a new immutable version only when the content differs — with what changed since.
All of it in the caller's transaction, with one audit entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from caseweave.access.admin import require_coordinator
from caseweave.access.labels import TLP, WRITING_MEMBERS
from caseweave.access.service import membership_of, visible_operation
from caseweave.actor import Actor
from caseweave.attribution import routing
from caseweave.attribution.models import SubjectRoute
from caseweave.audit import service as audit
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.dissemination import document
from caseweave.dissemination.changes import diff
from caseweave.dissemination.gather import gather
from caseweave.dissemination.models import Package, PackageSubject
from caseweave.dissemination.urgency import deadline, deadline_hours, most_urgent
from caseweave.errors import Invalid, NotFound
from caseweave.linkage.models import Subject
from caseweave.operations.countries import normalise_country
from caseweave.operations.models import Agency, Operation


@dataclass
class Sent:
    agency: str
    country: str
    outcome: str  # new (first version), updated (a later version), unchanged, nothing to send
    package: Package | None = None
    changes: str | None = None


@dataclass
class DisseminationRun:
    operation_id: int
    results: list[Sent] = field(default_factory=list)

    @property
    def created(self) -> list[Package]:
        return [r.package for r in self.results if r.package is not None and r.outcome in ("new", "updated")]


def disseminate(
    session: Session, actor: Actor, settings: Settings, operation_id: int, agency: str | None = None
) -> DisseminationRun:
    """Send the operation's lead packages (the lead agency's coordinators, or the CLI operator)."""
    operation = visible_operation(session, actor, operation_id)
    require_coordinator(actor, operation, "send lead packages")
    floor = TLP.parse(settings.dissemination_tlp_floor)
    targets = resolve_targets(session, operation, agency)
    now = utcnow()
    run = DisseminationRun(operation.id)
    for target in targets:
        run.results.append(_send(session, actor, settings, operation, target, floor, now))
    audit.record(
        session,
        actor,
        "package.disseminate",
        "package",
        [package.id for package in run.created],
        operation_id=operation.id,
        detail={
            "asked_for": agency,
            "results": {
                r.agency: r.outcome if r.package is None else f"{r.outcome} v{r.package.version}"
                for r in run.results
            },
        },
    )
    return run


def resolve_targets(session: Session, operation: Operation, asked: str | None) -> list[Agency]:
    """The agency named (by code, or by ISO country: the operation's acting agencies there), or all
    that have subjects routed to them or an open package that may need withdrawing."""
    if asked is None:
        routed = select(SubjectRoute.agency_id).where(
            SubjectRoute.operation_id == operation.id, SubjectRoute.status == "routed"
        )
        holding = select(Package.agency_id).where(
            Package.operation_id == operation.id, Package.superseded_at.is_(None), Package.subjects > 0
        )
        query = select(Agency).where(or_(Agency.id.in_(routed), Agency.id.in_(holding))).order_by(Agency.code)
        return list(session.scalars(query))
    code = asked.strip().upper()
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        if len(code) != 2:
            raise NotFound(
                f"agency {asked!r} not found",
                field="agency",
                hint="give an agency code or an ISO country code",
            )
        country = normalise_country(code, field="agency")  # an unknown country is refused here
        acting = routing.acting_agencies(session, operation.id).get(country, [])
        if not acting:
            raise Invalid(
                f"operation {operation.name!r} has no lead or partner agency in {country}",
                field="agency",
                hint="its subjects wait in the coordinator's queue (`caseweave attribution queue`)",
            )
        return list(acting)
    member = membership_of(session, operation.id, agency.id)
    if member is None:
        raise Invalid(
            f"agency {agency.code} is not a member of operation {operation.name!r}",
            field="agency",
            hint="packages go to the operation's lead and partner agencies",
        )
    if member.role not in {role.value for role in WRITING_MEMBERS}:
        raise Invalid(
            f"agency {agency.code} is an {member.role} of operation {operation.name!r}",
            field="agency",
            hint="observers read what is shared with them; no subjects are routed to them",
        )
    return [agency]


def latest_package(session: Session, operation_id: int, agency_id: int) -> Package | None:
    return session.scalar(
        select(Package)
        .where(Package.operation_id == operation_id, Package.agency_id == agency_id)
        .order_by(Package.version.desc())
        .limit(1)
    )


def _send(
    session: Session,
    actor: Actor,
    settings: Settings,
    operation: Operation,
    target: Agency,
    floor: TLP,
    now: datetime,
) -> Sent:
    previous = latest_package(session, operation.id, target.id)
    routed = routing.routed_subjects(session, operation.id, target.id)
    if not routed and (previous is None or previous.subjects == 0):
        return Sent(target.code, target.country, "nothing to send")
    gathered = gather(session, operation, target, routed)
    what = document.content(target, document.strictest(gathered.labels, floor), gathered.subjects)
    fingerprint = document.content_sha256(what)
    if previous is not None and previous.content_sha256 == fingerprint:
        return Sent(target.code, target.country, "unchanged", previous)
    urgency = most_urgent(s["urgency"] for s in gathered.subjects)
    due = deadline(settings, urgency, now)
    if previous is not None and previous.acknowledged_at is None:
        due = min(due, previous.deadline)  # a new version never buys time on an unanswered one
    changes = None
    if previous is not None:
        earlier = json.loads(previous.body)
        gone = {s["subject"] for s in earlier["subjects"]} - {s["subject"] for s in gathered.subjects}
        changes = diff(earlier, what, _why_removed(session, gone, gathered.subjects))
    issue = document.Issue(
        version=previous.version + 1 if previous else 1,
        issued_at=now,
        issued_by=actor.name,
        deadline=due,
        deadline_hours=deadline_hours(settings, urgency),
        previous={"reference": previous.reference, "sha256": previous.sha256} if previous else None,
    )
    body = document.build(operation, target, issue, what, floor, changes)
    package = Package(
        operation_id=operation.id,
        agency_id=target.id,
        version=issue.version,
        reference=body["reference"],
        previous_id=previous.id if previous else None,
        body=document.canonical(body).decode("utf-8"),
        sha256=document.sha256_of(body),
        content_sha256=fingerprint,
        tlp=what["tlp"],
        urgency=urgency,
        deadline=due,
        subjects=len(gathered.subjects),
        urgent_subjects=sum(1 for s in gathered.subjects if s["urgency"] != "routine"),
        created_at=now,
        created_by=actor.name,
        created_by_user_id=actor.user.id if actor.user else None,
    )
    session.add(package)
    if previous is not None:
        previous.superseded_at = now
    session.flush()
    ids = {subject.public_id: subject.id for subject, _ in routed}
    session.add_all(
        PackageSubject(
            package_id=package.id, subject_id=ids[s["subject"]], public_id=s["subject"], urgency=s["urgency"]
        )
        for s in gathered.subjects
    )
    session.flush()
    return Sent(
        target.code,
        target.country,
        "updated" if previous else "new",
        package,
        changes["summary"] if changes else None,
    )


def _why_removed(session: Session, gone: set[str], kept: Sequence[dict[str, object]]) -> dict[str, str]:
    """Why each subject left the package, in words that disclose nothing of other agencies' routes."""
    if not gone:
        return {}
    here = {str(s["subject"]) for s in kept}
    found: dict[str, str] = {}
    for subject in session.scalars(select(Subject).where(Subject.public_id.in_(sorted(gone)))):
        why = "no longer routed to your agency"
        if subject.status == "merged" and subject.merged_into_id is not None:
            survivor = session.scalar(select(Subject.public_id).where(Subject.id == subject.merged_into_id))
            why = (
                f"merged into {survivor} (in this package)"
                if survivor in here
                else "merged into another subject"
            )
        elif subject.status != "active":
            why = "split: its records now belong to other subjects"
        else:
            route = session.scalar(select(SubjectRoute).where(SubjectRoute.subject_id == subject.id))
            if route is not None and route.status == "review":
                why = "no longer routed to your agency: held for review by the coordinator"
        found[subject.public_id] = why
    return found


def packages_sent(session: Session, operation_id: int) -> dict[int, int]:
    """Agency id → how many package versions it has been sent."""
    rows = session.execute(
        select(Package.agency_id, func.count())
        .where(Package.operation_id == operation_id)
        .group_by(Package.agency_id)
    ).all()
    return {agency_id: int(count) for agency_id, count in rows}
