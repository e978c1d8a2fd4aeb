"""API shapes for outcomes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from caseweave.access.labels import TLP
from caseweave.bounds import Count


class OutcomeBody(BaseModel):
    subject: str = Field(description="subject id, e.g. SUB-000123")
    kind: str = Field(
        description="arrested, charged, plea, convicted, acquitted, sentenced, no_further_action"
    )
    date: date
    country: str | None = Field(default=None, description="ISO 3166 alpha-2; default your agency's")
    counts: Count | None = None
    offence: str | None = None
    plea: str | None = Field(default=None, description="guilty or not_guilty")
    sentence: str | None = None
    indeterminate: bool = False
    note: str = ""
    tlp: TLP = TLP.AMBER
    released_to: list[str] = Field(default_factory=list)


class OutcomeOut(BaseModel):
    id: int
    subject: str
    country: str
    kind: str
    date: date
    counts: int | None
    offence: str | None
    plea: str | None
    sentence: str | None
    indeterminate: bool
    note: str
    source: str
    source_ref: str | None
    owner_agency_id: int
    tlp: str
    created_at: datetime


class ImportOut(BaseModel):
    added: int
    skipped_lines: list[int]
