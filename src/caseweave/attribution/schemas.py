"""API shapes for attribution and routing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunIn(BaseModel):
    subjects: list[str] | None = Field(default=None, description="public ids; leave out for every subject")


class RunOut(BaseModel):
    operation_id: int
    provider: str
    subjects: int
    changed: int
    by_status: dict[str, int]
    by_country: dict[str, int]
    routed: dict[str, int]
    unallocated: int
    review: int
    retired: int
    route_changes: list[dict[str, str]]


class RouteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
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


class RouteIn(BaseModel):
    agency: str | None = Field(default=None, description="agency code; or give country")
    country: str | None = Field(default=None, description="ISO 3166 alpha-2; the operation's agency there")
    reason: str


class ClearRouteIn(BaseModel):
    reason: str


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    value: str
    country: str | None
    weight: float
    base_weight: float
    note: str
    counted: bool
    person_record_id: int
    sighting_id: int | None
    sightings: int
    observed_from: datetime | None
    observed_to: datetime | None


class DecisionOut(BaseModel):
    status: str
    top_country: str | None
    confidence: float
    distribution: dict[str, float]
    route: RouteOut | None


class AttributionOut(BaseModel):
    subject: str
    asked_for: str
    status: str
    top_country: str | None
    confidence: float
    distribution: dict[str, float]
    complete: bool
    evidence: list[EvidenceOut]
    hidden_note: str | None
    provider: str
    provider_source: str
    provider_data_date: date | None
    provider_line: str
    computed_at: datetime
    checked_at: datetime
    weights: dict[str, Any]
    decision: DecisionOut | None
    history: int
    explanation: list[str]
