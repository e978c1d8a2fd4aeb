"""API shapes for lead packages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DisseminateIn(BaseModel):
    agency: str | None = Field(
        default=None, description="an agency code or an ISO country code; leave out for every agency"
    )


class PackageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
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


class SentOut(BaseModel):
    agency: str
    country: str
    outcome: str = Field(description="new, updated, unchanged or nothing to send")
    package: PackageOut | None
    changes: str | None


class DisseminationOut(BaseModel):
    operation_id: int
    results: list[SentOut]


class SubjectStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    subject: str
    urgency: str
    outcome: str | None
    note: str | None
    reported_by: str | None
    reported_at: datetime | None


class PackageStatusOut(BaseModel):
    package: PackageOut
    subjects: list[SubjectStatusOut]


class AcknowledgeIn(BaseModel):
    note: str = ""


class OutcomeIn(BaseModel):
    subject: str = Field(description="the subject's id as the package gives it, e.g. SUB-000012")
    outcome: str = Field(description="no_action, investigating, arrested or no_trace")
    note: str = ""


class VerifiedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    reference: str
    agency: str
    version: int
    sha256: str
    status: str
