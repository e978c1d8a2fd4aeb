"""The demo's ending: attribute every subject, send each agency its lead package, count per country,
and write one package as JSON, HTML and PDF for a person to open.

Run on every `caseweave demo`: on a database already loaded, attribution and dissemination find
nothing changed and send no new version, so the table and the files are the same.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.attribution.models import SubjectRoute
from caseweave.attribution.service import AttributionRun, attribute_subjects
from caseweave.config import Settings
from caseweave.dissemination.documents import FORMATS, read_document
from caseweave.dissemination.models import Package
from caseweave.dissemination.service import DisseminationRun, disseminate, packages_sent
from caseweave.dissemination.urgency import rank
from caseweave.linkage.models import Subject
from caseweave.operations.countries import country_name
from caseweave.operations.models import Agency, Operation


@dataclass(frozen=True)
class CountryRow:
    country: str  # "CA Canada"
    agencies: str  # the agencies sent packages, or "—" where none of the operation's acts there
    routed: int  # subjects routed to its agencies
    queued: int  # subjects attributed to it but waiting in the coordinator's queue (review, no agency)
    packages_sent: int  # versions sent so far
    urgent: int  # subjects of the current packages with a child possibly at risk or new material
    deadline: str  # the earliest acknowledgement deadline of its current packages


@dataclass
class DemoPackages:
    attribution: AttributionRun
    dissemination: DisseminationRun
    rows: list[CountryRow] = field(default_factory=list)
    queue: dict[str, int] = field(default_factory=dict)  # status → subjects not routed
    folder: Path | None = None
    sample: str | None = None  # reference of the package written to the folder
    files: list[Path] = field(default_factory=list)


def finish_demo(
    session: Session, operator: Actor, settings: Settings, operation: Operation, folder: Path
) -> DemoPackages:
    attribution = attribute_subjects(session, operator, settings, operation.id)
    sent = disseminate(session, operator, settings, operation.id)
    result = DemoPackages(attribution, sent)
    current = list(
        session.scalars(
            select(Package).where(Package.operation_id == operation.id, Package.superseded_at.is_(None))
        )
    )
    result.rows, result.queue = country_table(session, operation.id, current)
    if current:
        # the most urgent, fullest package shows the most of what a package can say
        sample = min(current, key=lambda p: (rank(p.urgency), -p.urgent_subjects, -p.subjects, p.reference))
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in FORMATS:
            rendered = read_document(session, operator, sample.id, fmt)
            path = folder / rendered.file_name
            path.write_bytes(rendered.content)
            result.files.append(path)
        result.folder, result.sample = folder.resolve(), sample.reference
    return result


def country_table(
    session: Session, operation_id: int, current: list[Package]
) -> tuple[list[CountryRow], dict[str, int]]:
    """One row per country: what was routed and sent there, and what still waits for the coordinator."""
    routes = session.execute(
        select(SubjectRoute.country, SubjectRoute.agency_id, SubjectRoute.status)
        .join(Subject, Subject.id == SubjectRoute.subject_id)
        .where(SubjectRoute.operation_id == operation_id, Subject.status == "active")
    ).all()
    sent = packages_sent(session, operation_id)
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(sorted(sent))))}
    routed: Counter[str] = Counter()
    queued: Counter[str] = Counter()
    queue: Counter[str] = Counter()
    for country, agency_id, status in routes:
        if status == "routed" and agency_id is not None:
            routed[country or "—"] += 1
        elif status != "retired":
            queue[status] += 1
            queued[country or "—"] += 1
    by_country: dict[str, list[Package]] = {}
    for package in current:
        by_country.setdefault(agencies[package.agency_id].country, []).append(package)
    rows = []
    for cc in set(routed) | set(queued) | set(by_country):
        packages = by_country.get(cc, [])
        codes = sorted({agencies[p.agency_id].code for p in packages})
        rows.append(
            CountryRow(
                f"{cc} {country_name(cc)}" if cc != "—" else "— no country",
                ", ".join(codes) or "—",
                routed[cc],
                queued[cc],
                sum(sent.get(agency_id, 0) for agency_id in {p.agency_id for p in packages}),
                sum(p.urgent_subjects for p in packages),
                min((f"{p.deadline:%Y-%m-%d %H:%M}" for p in packages), default="—"),
            )
        )
    rows.sort(key=lambda r: (-r.routed, -r.queued, r.country))
    return rows, dict(sorted(queue.items()))
