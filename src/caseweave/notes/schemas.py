"""API shapes for notes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from caseweave.access.labels import TLP


class NoteIn(BaseModel):
    title: str
    body: str = ""
    tlp: TLP = TLP.AMBER
    released_to: list[str] = Field(default_factory=list, description="agency codes (AMBER only)")
    recipients: list[str] = Field(default_factory=list, description="usernames (RED only)")


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    operation_id: int
    owner_agency_id: int
    created_by_user_id: int | None
    tlp: str
    title: str
    body: str
    created_at: datetime
