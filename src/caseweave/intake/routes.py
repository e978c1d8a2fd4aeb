"""HTTP routes for referrals: upload (multipart), list, show; quarantined records and their export."""

from __future__ import annotations

from io import BytesIO
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.openapi import NAMED, content, errors, link, links
from caseweave.api.params import DbId
from caseweave.db.base import MAX_ID
from caseweave.intake import quarantine, service
from caseweave.intake.schemas import (
    AmendmentOut,
    ImportOut,
    QuarantinedOut,
    QuarantinedRecordOut,
    ReferralDetailOut,
    ReferralOut,
)
from caseweave.linkage.on_import import link_after_import

router = APIRouter(tags=["referrals"], responses=errors(*NAMED))


@router.post(
    "/operations/{operation_id}/referrals",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ImportOut, "description": "this file is already stored: its referral"},
        **errors(409, 413),
        **links(
            201,
            read=link(
                "get",
                "/referrals/{referral_id}",
                "the stored referral",
                referral_id="$response.body#/referral/id",
            ),
            quarantine=link(
                "get",
                "/referrals/{referral_id}/quarantine",
                "its quarantined records",
                referral_id="$response.body#/referral/id",
            ),
        ),
    },
)
def upload_referral(
    operation_id: DbId,
    file: Annotated[UploadFile, File(description="the file as the agency sent it")],
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    response: Response,
    format: Annotated[str, Form()] = "auto",
    label: Annotated[str | None, Form()] = None,
    partial: Annotated[bool, Form()] = False,
    released_to: Annotated[list[str] | None, Form()] = None,
    amends: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="the referral whose quarantined records this fixes")
    ] = None,
) -> ImportOut:
    """Import a file an agency sent (MISP, STIX, CyberTip, platform return, chat export) into the operation
    as a referral, then link it (case writers of lead or partner agencies). The same file again answers 200
    with the stored referral; bad records refuse the file unless `partial`, which quarantines them."""
    outcome = service.import_referral(
        session,
        actor,
        operation_id,
        file.file,
        file.filename or "upload",
        fmt=format,
        label=label,
        partial=partial,
        released_to=released_to or (),
        amends=amends,
    )
    linked = None
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    else:
        run = link_after_import(session, actor, settings, outcome.referral)
        linked = run if isinstance(run, str) else f"linkage run {run.run_id}: {run.alerts_new} new alert(s)"
    return ImportOut(
        linkage=linked,
        referral=ReferralOut.model_validate(outcome.referral),
        created=outcome.created,
        counts=outcome.counts,
        quarantined=[
            QuarantinedOut(location=str(e.location), field=e.field, reason=e.reason) for e in outcome.errors
        ],
        amendment=AmendmentOut.model_validate(outcome.amendment) if outcome.amendment else None,
    )


@router.get("/operations/{operation_id}/referrals", response_model=list[ReferralOut])
def list_referrals(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """The operation's referrals you may see under their labels (members of the operation)."""
    return service.list_referrals(session, actor, operation_id)


@router.get("/referrals/{referral_id}", response_model=ReferralDetailOut)
def get_referral(referral_id: DbId, session: SessionDep, actor: ActorDep) -> ReferralDetailOut:
    """One referral you may see, with what it states: person records, sightings, media hashes and
    quarantined records."""
    detail = service.get_referral(session, actor, referral_id)
    base = ReferralOut.model_validate(detail.referral).model_dump()
    return ReferralDetailOut.model_validate(
        {
            **base,
            "persons": detail.persons,
            "sightings": detail.sightings,
            "media_hashes": detail.media_hashes,
            "quarantined": detail.quarantined,
        },
        from_attributes=True,
    )


@router.get("/referrals/{referral_id}/quarantine", response_model=list[QuarantinedRecordOut])
def list_quarantined(referral_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """The referral's quarantined records with where they are and why (users who may see the referral)."""
    return quarantine.list_quarantined(session, actor, referral_id)


@router.get(
    "/referrals/{referral_id}/quarantine/export",
    response_class=Response,
    responses={**content("text/csv", "application/x-ndjson"), **errors(409)},
)
def export_quarantined(referral_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """The open quarantined records as a file to fix and upload again with `amends`."""
    out = BytesIO()
    export = quarantine.export_quarantined(session, actor, referral_id, out)
    name = f"referral-{referral_id}-quarantine{export.suffix}"
    return Response(
        out.getvalue(),
        media_type="text/csv" if export.suffix == ".csv" else "application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
