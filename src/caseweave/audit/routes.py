"""HTTP routes for auditors: read and verify the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from caseweave.api.deps import ActorDep, SessionDep
from caseweave.api.openapi import AUTHENTICATED, errors
from caseweave.api.params import AfterSeq, PageSize
from caseweave.audit import service

router = APIRouter(tags=["audit"], responses=errors(*AUTHENTICATED))


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    actor: str
    actor_user_id: int | None
    actor_agency_id: int | None
    action: str
    object_type: str
    object_ids: list[Any]
    operation_id: int | None
    request_id: str
    detail: dict[str, Any]
    prev_hash: str
    entry_hash: str


class VerificationOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_at: int | None
    reason: str | None


@router.get("/audit/entries", response_model=list[AuditEntryOut], responses=errors(422))
def list_entries(
    session: SessionDep,
    actor: ActorDep,
    after_seq: AfterSeq = 0,
    limit: PageSize = 100,
) -> object:
    """Entries after `after_seq`: every entry for oversight, your own agency's for an auditor."""
    return service.list_entries(session, actor, after_seq=after_seq, limit=limit)


@router.get("/audit/verify", response_model=VerificationOut)
def verify(session: SessionDep, actor: ActorDep) -> VerificationOut:
    """Walk the audit chain and report the first entry that is missing, altered, out of order or cut off
    (auditors and oversight)."""
    service.require_auditor(actor)
    result = service.verify(session)
    return VerificationOut(**result.__dict__)
