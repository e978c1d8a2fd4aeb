"""API shapes for referrals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ReferralOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    operation_id: int
    owner_agency_id: int
    tlp: str
    format: str
    file_name: str
    sha256: str
    external_id: str
    title: str
    platform: str | None
    reported_at: datetime | None
    received_at: datetime
    status: str
    counts: dict[str, Any]
    amends_referral_id: int | None


class PersonRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ref: str
    location: str
    full_name: str | None
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    address: str | None
    country: str | None
    role: str
    kind: str  # person, account (an online account no named person holds) or phone (a phone line)


class SightingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ref: str
    location: str
    person_record_id: int | None
    selector_type: str
    value: str
    raw_value: str
    flags: list[str]
    platform: str | None
    port: int | None
    observed_from: datetime | None
    observed_to: datetime | None
    context: str | None
    possible_proxy: bool


class MediaHashOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ref: str
    algorithm: str
    value: str
    file_name: str | None


class QuarantinedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    location: str
    field: str
    reason: str


class QuarantinedRecordOut(BaseModel):
    """A quarantined record as listed for fixing: open, or resolved by an amending referral."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    location: str
    field: str
    reason: str
    raw: str
    resolved: bool
    resolved_by_referral_id: int | None
    resolved_at: datetime | None


class AmendmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    original_id: int
    resolved: dict[int, int]
    still_open: int


class ReferralDetailOut(ReferralOut):
    persons: list[PersonRecordOut]
    sightings: list[SightingOut]
    media_hashes: list[MediaHashOut]
    quarantined: list[QuarantinedOut]


class ImportOut(BaseModel):
    referral: ReferralOut
    created: bool
    counts: dict[str, int]
    quarantined: list[QuarantinedOut]
    amendment: AmendmentOut | None = None
    linkage: str | None = None  # the linkage run this import started, or why linking failed
