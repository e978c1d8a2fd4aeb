"""HTTP routes for banks (import, list, disable/enable, export) and matching a seized hash set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.openapi import NAMED, errors, link, links
from caseweave.api.params import DbId
from caseweave.db.base import MAX_ID
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

router = APIRouter(tags=["media"], responses=errors(*NAMED))


@router.post(
    "/operations/{operation_id}/media/banks",
    response_model=BankImportOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": BankImportOut, "description": "this file is already a bank: that bank"},
        **errors(413),
        **links(
            201,
            export=link(
                "get",
                "/media/banks/{bank_id}/export",
                "the bank's entries",
                bank_id="$response.body#/bank/id",
            ),
        ),
    },
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
    """Import a hash list (VICS 2.0 JSON or CSV) as a bank of known material owned by your agency (case
    writers of lead or partner agencies). The same file again answers 200."""
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
    """The operation's banks you may see under their labels (members of the operation)."""
    return banks.list_banks(session, actor, operation_id)


@router.post("/media/banks/{bank_id}/disable", responses=errors(413))
def disable(bank_id: DbId, body: ToggleIn, session: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Disable a whole bank, or the entries with the given refs, so they no longer match (case writers of
    the owning agency)."""
    return {"changed": banks.set_disabled(session, actor, bank_id, True, body.entries)}


@router.post("/media/banks/{bank_id}/enable", responses=errors(413))
def enable(bank_id: DbId, body: ToggleIn, session: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Enable a bank, or the entries with the given refs, again (case writers of the owning agency)."""
    return {"changed": banks.set_disabled(session, actor, bank_id, False, body.entries)}


@router.get("/media/banks/{bank_id}/export")
def export(bank_id: DbId, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The bank's enabled entries as a VICS 2.0 hash set."""
    return banks.export_bank(session, actor, bank_id)


@router.post("/media/match", response_model=MatchOut, responses=errors(413))
def match(
    file: Annotated[UploadFile, File(description="hash set of seized media (VICS 2.0 JSON or CSV)")],
    operation_id: Annotated[int, Form(ge=1, le=MAX_ID, description="the operation the device belongs to")],
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    holder: Annotated[str | None, Form(description="name of the device's holder")] = None,
    label: Annotated[str, Form()] = "AMBER",
) -> MatchOut:
    """Match a seized device's hash set against the banks; matches you may not see are reported only as held
    by another agency. Stored as a referral (case writers)."""
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
