"""What the receiving agency does with its packages — list, read, mark received, acknowledge, report
outcomes per subject — and what the coordinator follows: every package's status and the overdue ones.

Who sees what: a package's content only the users of its receiving agency (and the CLI operator);
its status (urgency, deadline, receipt, outcomes) also the lead agency's coordinators, who sent it.
Anyone else is told the package does not exist, exactly as for a missing one. Every step is audited
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.admin import is_coordinator, require_coordinator
from caseweave.access.service import require_case_writer, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth.models import User
from caseweave.bounds import ascii_int
from caseweave.db.base import utcnow
from caseweave.dissemination.models import Package, PackageOutcome, PackageSubject
from caseweave.dissemination.urgency import rank
from caseweave.errors import Conflict, Forbidden, Invalid, NotFound
from caseweave.operations.models import Agency, Operation
from caseweave.operations.service import agency_by_code
from caseweave.outcomes.service import arrest_from_feedback

OUTCOMES = {
    "no_action": "no action taken",
    "investigating": "investigation opened",
    "arrested": "subject arrested",
    "no_trace": "no trace of the subject",
}


@dataclass
class PackageInfo:
    """A package's status, for lists: no content."""

    id: int
    reference: str
    operation_id: int
    agency: str
    version: int
    status: str
    tlp: str
    urgency: str
    deadline: datetime
    overdue: bool
    subjects: int
    urgent_subjects: int
    sha256: str
    created_at: datetime
    created_by: str
    received_at: datetime | None
    received_by: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement_note: str | None
    superseded_at: datetime | None


@dataclass
class SubjectStatus:
    subject: str
    urgency: str
    outcome: str | None
    note: str | None
    reported_by: str | None
    reported_at: datetime | None


@dataclass
class PackageStatus:
    info: PackageInfo
    subjects: list[SubjectStatus] = field(default_factory=list)


def lookup(session: Session, ref: str | int) -> Package | None:
    text = str(ref).strip()
    number = ascii_int(text)
    if number is not None:
        return session.get(Package, number)
    return session.scalar(select(Package).where(Package.reference == text.upper()))


def find_package(session: Session, actor: Actor, ref: str | int, *, tracking: bool = False) -> Package:
    """The package for a user of its receiving agency (or the CLI operator); with `tracking`, also for
    the lead agency's coordinators. Anyone else: NotFound, like a package that does not exist."""
    package = lookup(session, ref)
    missing = NotFound(
        f"package {ref} not found", field="package", hint="list yours with `caseweave package list`"
    )
    if package is None:
        raise missing
    if actor.is_operator:
        return package
    assert actor.user is not None
    if actor.user.agency_id == package.agency_id:
        return package
    if tracking and is_coordinator(actor, session.get_one(Operation, package.operation_id)):
        return package
    raise missing


def list_packages(
    session: Session, actor: Actor, operation_id: int, *, agency: str | None = None, history: bool = False
) -> list[PackageInfo]:
    """Current versions (all versions with history), most urgent and soonest due first. Coordinators
    see every agency's; anyone else their own agency's."""
    operation = visible_operation(session, actor, operation_id)
    wanted = agency_by_code(session, agency) if agency is not None else None
    if not is_coordinator(actor, operation):
        assert actor.user is not None
        if wanted is not None and wanted.id != actor.user.agency_id:
            raise Forbidden("you see your own agency's packages", field="agency", hint="ask the coordinator")
        wanted = actor.user.agency
    query = select(Package).where(Package.operation_id == operation.id)
    if wanted is not None:
        query = query.where(Package.agency_id == wanted.id)
    if not history:
        query = query.where(Package.superseded_at.is_(None))
    infos = describe(session, list(session.scalars(query)))
    infos.sort(key=lambda i: (i.status == "superseded", rank(i.urgency), i.deadline, i.agency, -i.version))
    audit.record(
        session,
        actor,
        "package.list",
        "package",
        [i.id for i in infos],
        operation_id=operation.id,
        detail={"agency": agency, "history": history},
    )
    return infos


def overdue(
    session: Session, actor: Actor, operation_id: int, now: datetime | None = None
) -> list[PackageInfo]:
    """The coordinator's list: current packages past their deadline without acknowledgement."""
    operation = visible_operation(session, actor, operation_id)
    require_coordinator(actor, operation, "follow overdue packages")
    query = select(Package).where(
        Package.operation_id == operation.id,
        Package.superseded_at.is_(None),
        Package.acknowledged_at.is_(None),
        Package.deadline < (now or utcnow()),
    )
    infos = sorted(describe(session, list(session.scalars(query))), key=lambda i: (i.deadline, i.agency))
    audit.record(
        session, actor, "package.overdue", "package", [i.id for i in infos], operation_id=operation.id
    )
    return infos


def package_status(session: Session, actor: Actor, ref: str | int) -> PackageStatus:
    """A package's status with each subject's latest outcome (receiving agency and coordinators)."""
    package = find_package(session, actor, ref, tracking=True)
    rows = session.scalars(
        select(PackageSubject).where(PackageSubject.package_id == package.id).order_by(PackageSubject.id)
    ).all()
    latest = latest_outcomes(session, package.agency_id, [row.subject_id for row in rows])
    names = _usernames(session, {o.reported_by_user_id for o in latest.values()})
    subjects = [
        SubjectStatus(
            row.public_id,
            row.urgency,
            latest[row.subject_id].outcome if row.subject_id in latest else None,
            latest[row.subject_id].note if row.subject_id in latest else None,
            names.get(latest[row.subject_id].reported_by_user_id) if row.subject_id in latest else None,
            latest[row.subject_id].reported_at if row.subject_id in latest else None,
        )
        for row in rows
    ]
    subjects.sort(key=lambda s: (rank(s.urgency), s.subject))
    audit.record(session, actor, "package.status", "package", [package.id], operation_id=package.operation_id)
    return PackageStatus(describe(session, [package])[0], subjects)


def mark_received(session: Session, actor: Actor, ref: str | int) -> PackageInfo:
    """A read receipt: the first user of the receiving agency to open it, and when. Later ones are
    recorded in the audit log only."""
    package = find_package(session, actor, ref)
    user = _receiver(actor)
    first = package.received_at is None
    if first:
        package.received_at, package.received_by_user_id = utcnow(), user.id
    audit.record(
        session,
        actor,
        "package.receive",
        "package",
        [package.id],
        operation_id=package.operation_id,
        detail={"reference": package.reference, "first": first},
    )
    return describe(session, [package])[0]


def acknowledge(session: Session, actor: Actor, ref: str | int, note: str = "") -> PackageInfo:
    """The receiving agency takes the package on: stops the deadline clock."""
    package = find_package(session, actor, ref)
    user = _receiver(actor)
    require_case_writer(session, actor, session.get_one(Operation, package.operation_id))
    if package.superseded_at is not None:
        newer = session.scalar(select(Package.reference).where(Package.previous_id == package.id))
        raise Conflict(
            f"package {package.reference} was replaced by {newer}",
            field="package",
            hint=f"acknowledge {newer}",
        )
    if package.acknowledged_at is not None:
        raise Conflict(f"package {package.reference} is already acknowledged", field="package")
    now = utcnow()
    if package.received_at is None:
        package.received_at, package.received_by_user_id = now, user.id
    package.acknowledged_at, package.acknowledged_by_user_id = now, user.id
    package.acknowledgement_note = note.strip() or None
    audit.record(
        session,
        actor,
        "package.acknowledge",
        "package",
        [package.id],
        operation_id=package.operation_id,
        detail={"reference": package.reference, "late": now > package.deadline},
    )
    return describe(session, [package])[0]


def report_outcome(
    session: Session, actor: Actor, ref: str | int, subject: str, outcome: str, note: str = ""
) -> SubjectStatus:
    """The receiving agency says what became of one subject of the package."""
    package = find_package(session, actor, ref)
    user = _receiver(actor)
    require_case_writer(session, actor, session.get_one(Operation, package.operation_id))
    key = outcome.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in OUTCOMES:
        raise Invalid(f"unknown outcome {outcome!r}", field="outcome", hint=" / ".join(OUTCOMES))
    row = session.scalar(
        select(PackageSubject).where(
            PackageSubject.package_id == package.id, PackageSubject.public_id == subject.strip().upper()
        )
    )
    if row is None:
        raise NotFound(f"subject {subject} is not in package {package.reference}", field="subject")
    reported = PackageOutcome(
        package_id=package.id,
        operation_id=package.operation_id,
        agency_id=package.agency_id,
        subject_id=row.subject_id,
        outcome=key,
        note=note.strip(),
        reported_by_user_id=user.id,
        reported_at=utcnow(),
    )
    session.add(reported)
    session.flush()
    if key == "arrested":  # an arrest is also an outcome event of the subject, dated and per country
        arrest_from_feedback(
            session, actor, row.subject_id, reported.reported_at.date(), package.reference, note
        )
    audit.record(
        session,
        actor,
        "package.outcome",
        "subject",
        [row.subject_id],
        operation_id=package.operation_id,
        detail={"package": package.reference, "subject": row.public_id, "outcome": key},
    )
    return SubjectStatus(row.public_id, row.urgency, key, reported.note, user.username, reported.reported_at)


def latest_outcomes(
    session: Session, agency_id: int, subject_ids: Sequence[int]
) -> dict[int, PackageOutcome]:
    found: dict[int, PackageOutcome] = {}
    query = (
        select(PackageOutcome)
        .where(PackageOutcome.agency_id == agency_id, PackageOutcome.subject_id.in_(list(subject_ids)))
        .order_by(PackageOutcome.id)
    )
    for row in session.scalars(query):
        found[row.subject_id] = row  # later reports replace earlier ones
    return found


def describe(session: Session, packages: Sequence[Package]) -> list[PackageInfo]:
    agencies = dict(
        session.execute(
            select(Agency.id, Agency.code).where(Agency.id.in_({p.agency_id for p in packages}))
        ).all()
    )
    users = _usernames(
        session,
        {u for p in packages for u in (p.received_by_user_id, p.acknowledged_by_user_id) if u is not None},
    )
    now = utcnow()
    return [
        PackageInfo(
            id=p.id,
            reference=p.reference,
            operation_id=p.operation_id,
            agency=agencies[p.agency_id],
            version=p.version,
            status=p.status,
            tlp=p.tlp,
            urgency=p.urgency,
            deadline=p.deadline,
            overdue=p.superseded_at is None and p.acknowledged_at is None and p.deadline < now,
            subjects=p.subjects,
            urgent_subjects=p.urgent_subjects,
            sha256=p.sha256,
            created_at=p.created_at,
            created_by=p.created_by,
            received_at=p.received_at,
            received_by=users.get(p.received_by_user_id) if p.received_by_user_id else None,
            acknowledged_at=p.acknowledged_at,
            acknowledged_by=users.get(p.acknowledged_by_user_id) if p.acknowledged_by_user_id else None,
            acknowledgement_note=p.acknowledgement_note,
            superseded_at=p.superseded_at,
        )
        for p in packages
    ]


def _receiver(actor: Actor) -> User:
    if actor.user is None:
        raise Forbidden(
            "receipts, acknowledgements and outcomes come from a user of the receiving agency",
            hint="act as one with --user",
        )
    return actor.user


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())
