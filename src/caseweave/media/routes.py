"""HTTP routes for banks (import, list, disable/enable, export) and matching a seized hash set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.params import DbId
from caseweave.media import banks
from caseweave.media.matching import match_hashset
from caseweave.media.schemas import (
    BankImportOut,
    BankOut,
    FileResultOut,
    MatchOut,
    RecordErrorOut,
    ToggleIn,
)

router = APIRouter(tags=["media"])


@router.post(
    "/operations/{operation_id}/media/banks",
    response_model=BankImportOut,
    status_code=status.HTTP_201_CREATED,
)
def import_bank(
    operation_id: DbId,
    file: Annotated[UploadFile, File(description="VICS 2.0 JSON or CSV hash list")],
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    name: Annotated[str | None, Form()] = None,
    label: Annotated[str, Form()] = "AMBER",
    partial: Annotated[bool, Form()] = False,
    released_to: Annotated[list[str] | None, Form()] = None,
) -> BankImportOut:
    outcome = banks.import_bank(
        session,
        actor,
        operation_id,
        file.file.read(),
        file.filename or "upload",
        name=name,
        label=label,
        partial=partial,
        released_to=released_to or (),
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return BankImportOut(bank=BankOut.model_validate(outcome.bank), created=outcome.created)


@router.get("/operations/{operation_id}/media/banks", response_model=list[BankOut])
def list_banks(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    return banks.list_banks(session, actor, operation_id)


@router.post("/media/banks/{bank_id}/disable")
def disable(bank_id: DbId, body: ToggleIn, session: SessionDep, actor: ActorDep) -> dict[str, int]:
    return {"changed": banks.set_disabled(session, actor, bank_id, True, body.entries)}


@router.post("/media/banks/{bank_id}/enable")
def enable(bank_id: DbId, body: ToggleIn, session: SessionDep, actor: ActorDep) -> dict[str, int]:
    return {"changed": banks.set_disabled(session, actor, bank_id, False, body.entries)}


@router.get("/media/banks/{bank_id}/export")
def export(bank_id: DbId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The bank's enabled entries as a VICS 2.0 hash set."""
    return banks.export_bank(session, actor, bank_id)


@router.post("/media/match", response_model=MatchOut)
def match(
    file: Annotated[UploadFile, File(description="hash set of seized media (VICS 2.0 JSON or CSV)")],
    operation_id: Annotated[int, Form()],
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    holder: Annotated[str | None, Form(description="name of the device's holder")] = None,
    label: Annotated[str, Form()] = "AMBER",
) -> MatchOut:
    report = match_hashset(
        session,
        actor,
        settings,
        operation_id,
        file.file.read(),
        file.filename or "upload",
        holder=holder,
        label=label,
    )
    return MatchOut(
        referral_id=report.referral_id,
        created=report.created,
        counts=report.counts,
        files=[FileResultOut.model_validate(f) for f in report.files],
        errors=[
            RecordErrorOut(location=str(e.location), field=e.field, reason=e.reason) for e in report.errors
        ],
        linkage=report.linkage,
    )
