"""API shapes for operation figures, public releases and release consent."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from pydantic import BaseModel, Field

from caseweave.bounds import Count
from caseweave.stats.consent import ConsentView
from caseweave.stats.figures import LABELS, MEASURES, Figures


class FiguresOut(BaseModel):
    """Internal figures: per country, per month ("YYYY-MM") and in total, as the caller may see them."""

    operation_id: int
    operation: str
    started_on: date
    as_of: date
    generated_at: datetime
    viewer: str
    measures: list[str] = Field(description="the measures, in the order they are shown")
    labels: dict[str, str]
    countries: dict[str, dict[str, int]]
    months: dict[str, dict[str, int]]
    totals: dict[str, int]

    @classmethod
    def of(cls, figures: Figures) -> FiguresOut:
        return cls(
            operation_id=figures.operation_id,
            operation=figures.operation_name,
            started_on=figures.started_on,
            as_of=figures.as_of,
            generated_at=figures.generated_at,
            viewer=figures.viewer,
            measures=list(MEASURES),
            labels=dict(LABELS),
            countries=figures.countries,
            months=figures.months,
            totals=figures.totals,
        )


class PublicIn(BaseModel):
    threshold: Count = Field(default=10, description="counts below it are suppressed (1 or more)")
    base: Count = Field(default=5, description="shown counts are rounded to a multiple of it (1 or more)")
    wording: str = Field(default="rounded", description='rounded ("45") or about ("about 45")')
    as_of: date | None = Field(default=None, description="count up to this day (default today)")


class ConsentIn(BaseModel):
    country: str = Field(description="ISO 3166-1 alpha-2 code of your agency's country")
    agree: bool = Field(default=True, description="true: agree to release; false: withdraw")


class ConsentOut(BaseModel):
    country: str
    agency: str
    agreed_by: str
    agreed_at: datetime
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    current: bool

    @classmethod
    def of(cls, view: ConsentView) -> ConsentOut:
        return cls(**asdict(view), current=view.current)
