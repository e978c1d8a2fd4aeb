"""API shapes for victims and the safeguarding queue."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from caseweave.access.labels import TLP


class VictimIn(BaseModel):
    pseudonym: str = Field(description="a pseudonym or description, never a real name")
    description: str = ""
    country: str | None = None
    tlp: TLP = TLP.AMBER_STRICT
    released_to: list[str] = Field(default_factory=list, description="agency codes (AMBER only)")
    writers: list[str] = Field(
        default_factory=list,
        description="agencies among released_to that may also record its status and links",
    )


class VictimOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    public_id: str | None
    operation_id: int
    owner_agency_id: int
    tlp: str
    pseudonym: str
    description: str
    status: str
    country: str | None
    identified_on: date | None
    safeguarded_on: date | None
    responsible_agency_id: int | None
    created_at: datetime


class StatusIn(BaseModel):
    status: str = Field(description="identified or safeguarded")
    on: date | None = None
    agency: str | None = Field(default=None, description="agency code responsible; default yours")
    note: str = ""
    correction: bool = Field(
        default=False, description="the owning agency corrects a mistaken status (say why in note)"
    )


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    status: str
    occurred_on: date
    agency_id: int
    country: str
    note: str


class LinkIn(BaseModel):
    kind: str = Field(description="series, subject or referral")
    target: str = Field(description="series name, subject id (SUB-…) or referral id")


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    target: str
    series: str | None
    subject_id: int | None
    referral_id: int | None


class VictimDetail(BaseModel):
    victim: VictimOut
    links: list[LinkOut]
    events: list[EventOut]


class PartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    factor: str
    points: float
    why: str


class QueueItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    rank: int
    victim: str
    pseudonym: str
    status: str
    score: float
    parts: list[PartOut]
    referrals: list[int]
