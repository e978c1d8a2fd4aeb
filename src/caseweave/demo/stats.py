"""The demo's figures: a few countries agree to publication, then the lead coordinator's internal
figures and a public release under disclosure control, each written as an HTML report with charts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.auth.models import User
from caseweave.auth.service import user_by_name
from caseweave.operations.models import Operation
from caseweave.stats.consent import consenting_countries, set_consent
from caseweave.stats.figures import Figures, PublicFigures
from caseweave.stats.release import public_release, rules_of
from caseweave.stats.report import write_report
from caseweave.stats.service import operation_figures

RELEASING = ("GB", "CA", "US", "AU", "DE")  # the rest have not agreed: "not disclosed"


@dataclass(frozen=True)
class DemoStats:
    figures: Figures
    public: PublicFigures
    internal_report: Path
    public_report: Path


def write_demo_stats(session: Session, operation: Operation, folder: Path) -> DemoStats:
    agreed = consenting_countries(session, operation.id)
    for country in RELEASING:
        coordinator = session.scalar(select(User).where(User.username == f"coordinator.{country.lower()}"))
        if coordinator is not None and country not in agreed:
            set_consent(session, Actor.for_user(coordinator), operation.id, country, agree=True)
    lead = Actor.for_user(user_by_name(session, "coordinator.gb"))
    figures = operation_figures(session, lead, operation.id)
    public = public_release(session, lead, operation.id, rules_of())
    return DemoStats(
        figures=figures,
        public=public,
        internal_report=write_report(folder.resolve() / "figures-internal.html", figures=figures),
        public_report=write_report(folder.resolve() / "figures-public.html", public=public),
    )


def describe(stats: DemoStats) -> list[str]:
    """What the demo prints: the headline totals and where the two reports are."""
    totals = stats.figures.totals
    public = stats.public.totals
    return [
        f"operation figures as coordinator.gb sees them: {totals['subjects_investigated']} subjects "
        f"investigated, {totals['arrests']} arrested, {totals['prosecutions']} prosecuted, "
        f"{totals['convictions']} convicted, {totals['children_safeguarded']} children safeguarded",
        f"public release (counts under 10 suppressed, the rest rounded to 5; agreed: "
        f"{', '.join(stats.public.consenting) or 'none'}): {public['arrests'].text} arrested, "
        f"{public['children_safeguarded'].text} children safeguarded",
        f"figures with charts: {stats.internal_report} (internal), {stats.public_report} (public)",
    ]
