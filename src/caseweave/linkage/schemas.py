"""API shapes for linkage: runs, subjects with their explanation, judgements, alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from caseweave.bounds import RecordId


class RunIn(BaseModel):
    full: bool = False
    engine: str = "duckdb"
    use_model: bool = True


class RunOut(BaseModel):
    run_id: int
    mode: str
    records: int
    selector_links: int
    probabilistic_links: int
    scope: int
    events: dict[str, int]
    subjects: int
    alerts_new: int
    alerts_updated: int
    over_correlating: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    flagged: int  # subjects whose records state conflicting dates of birth: for review
    uncorroborated: int  # model pairs above the threshold not linked: weak shared tokens only
    model_note: str | None
    seconds: dict[str, float]  # correlation, model, clustering, alerts, total


class SubjectSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    public_id: str
    records: int
    agencies: tuple[str, ...]


class SightingBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    selector_type: str
    value: str
    raw_value: str
    platform: str | None
    observed_from: datetime | None
    observed_to: datetime | None
    context: str | None


class SubjectRecordOut(BaseModel):
    id: int
    agency: str
    file_name: str
    ref: str
    location: str
    full_name: str | None
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    country: str | None
    role: str
    sightings: list[SightingBrief]


class LinkOut(BaseModel):
    a_id: int
    b_id: int
    kind: str
    selector_type: str | None
    value: str | None
    gap_seconds: int | None
    match_weight: float | None
    match_probability: float | None
    contributions: dict[str, Any] | None
    why: str


class JudgementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    a_id: int
    b_id: int
    verdict: str
    reason: str
    created_at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    detail: dict[str, Any]
    at: datetime


class SubjectOut(BaseModel):
    public_id: str
    asked_for: str
    status: str
    agencies: list[str]
    hidden_note: str | None
    review: list[str]  # why to check that its records are one person (conflicting dates of birth)
    records: list[SubjectRecordOut]
    links: list[LinkOut]
    judgements: list[JudgementOut]
    history: list[EventOut]


class JudgementIn(BaseModel):
    first: RecordId
    second: RecordId
    verdict: str
    reason: str = Field(min_length=1)


class AlertOut(BaseModel):
    id: int
    subject: str
    status: str
    disclosed: bool
    evidence: list[str]
    message: str
    created_at: datetime
    updated_at: datetime
    resolution_note: str | None


class ResolveIn(BaseModel):
    lead_agency: str
    note: str
