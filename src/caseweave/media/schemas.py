"""API shapes for banks and matching: hashes, labels and counts only."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class BankOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    operation_id: int
    owner_agency_id: int
    tlp: str
    name: str
    file_name: str
    sha256: str
    format: str
    status: str
    disabled: bool
    counts: dict[str, Any]
    quarantined: list[dict[str, Any]]


class BankImportOut(BaseModel):
    bank: BankOut
    created: bool


class ToggleIn(BaseModel):
    entries: list[str] = []  # entry refs (MediaID); empty: the whole bank


class EntryMatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    entry_id: int
    bank_id: int
    bank: str
    ref: str
    algorithm: str
    distance: int
    category: str | None
    series: str | None
    victim_identified: bool | None


class FileResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    ref: str
    file_name: str | None
    hashes: dict[str, str]
    image: bool
    status: str
    matches: list[EntryMatchOut]
    hidden: int  # entries of other agencies' banks this agency may not see: counted, never described
    note: str | None


class RecordErrorOut(BaseModel):
    location: str
    field: str
    reason: str


class MatchOut(BaseModel):
    referral_id: int
    created: bool
    counts: dict[str, int]
    files: list[FileResultOut]
    errors: list[RecordErrorOut]
    linkage: str | None
