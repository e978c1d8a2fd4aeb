"""HTTP routes for lead packages: send, list, read (JSON/HTML/PDF), receipt, acknowledgement,
outcomes, the overdue list and checking a file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.openapi import NAMED, content, errors, link, links
from caseweave.api.params import DbId
from caseweave.dissemination import documents, service, workflow
from caseweave.dissemination.schemas import (
    AcknowledgeIn,
    DisseminateIn,
    DisseminationOut,
    OutcomeIn,
    PackageOut,
    PackageStatusOut,
    SentOut,
    SubjectStatusOut,
    VerifiedOut,
)

router = APIRouter(tags=["dissemination"], responses=errors(*NAMED))


@router.post(
    "/operations/{operation_id}/packages",
    response_model=DisseminationOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(413),
        **links(
            201,
            status=link(
                "get",
                "/packages/{ref}",
                "the first package sent",
                ref="$response.body#/results/0/package/reference",
            ),
        ),
    },
)
def disseminate(
    operation_id: DbId, body: DisseminateIn, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> object:
    """Send the next version of the lead package to each agency with subjects routed to it, or to the one
    named (the lead agency's coordinators). Unchanged content sends nothing new."""
    run = service.disseminate(session, actor, settings, operation_id, body.agency)
    infos = {
        info.id: info for info in workflow.describe(session, [r.package for r in run.results if r.package])
    }
    return DisseminationOut(
        operation_id=run.operation_id,
        results=[
            SentOut(
                agency=r.agency,
                country=r.country,
                outcome=r.outcome,
                package=PackageOut.model_validate(infos[r.package.id]) if r.package else None,
                changes=r.changes,
            )
            for r in run.results
        ],
    )


@router.get("/operations/{operation_id}/packages", response_model=list[PackageOut])
def packages(
    operation_id: DbId, session: SessionDep, actor: ActorDep, agency: str | None = None, history: bool = False
) -> object:
    """Current lead packages (all versions with `history`): your agency's own, or every agency's status for
    the lead's coordinators."""
    return workflow.list_packages(session, actor, operation_id, agency=agency, history=history)


@router.get("/operations/{operation_id}/packages/overdue", response_model=list[PackageOut])
def overdue(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Packages past their deadline without acknowledgement (the lead agency's coordinators)."""
    return workflow.overdue(session, actor, operation_id)


@router.get("/packages/{ref}", response_model=PackageStatusOut)
def package(ref: str, session: SessionDep, actor: ActorDep) -> object:
    """A package's status with each subject's latest outcome (its receiving agency and the lead's
    coordinators)."""
    found = workflow.package_status(session, actor, ref)
    return PackageStatusOut(
        package=PackageOut.model_validate(found.info),
        subjects=[SubjectStatusOut.model_validate(s) for s in found.subjects],
    )


@router.get(
    "/packages/{ref}/document",
    responses={**content(*documents.FORMATS.values()), **errors(409)},
    response_class=Response,
)
def document(ref: str, session: SessionDep, actor: ActorDep, format: str = "json") -> Response:
    """The package itself as JSON, HTML or PDF (`format`), checked against its issued hash (users of the
    receiving agency). Audited."""
    rendered = documents.read_document(session, actor, ref, format)
    disposition = "inline" if format == "html" else "attachment"
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{rendered.file_name}"'},
    )


@router.post("/packages/{ref}/receipt", response_model=PackageOut)
def receipt(ref: str, session: SessionDep, actor: ActorDep) -> object:
    """Mark the package received: the first user of the receiving agency to open it, and when."""
    return workflow.mark_received(session, actor, ref)


@router.post("/packages/{ref}/acknowledgement", response_model=PackageOut, responses=errors(409, 413))
def acknowledge(ref: str, body: AcknowledgeIn, session: SessionDep, actor: ActorDep) -> object:
    """Acknowledge the package: the receiving agency takes it on and its deadline clock stops (case writers
    of that agency)."""
    return workflow.acknowledge(session, actor, ref, body.note)


@router.post(
    "/packages/{ref}/outcomes",
    response_model=SubjectStatusOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 413),
)
def outcome(ref: str, body: OutcomeIn, session: SessionDep, actor: ActorDep) -> object:
    """Report what became of one subject of the package (case writers of the receiving agency); an arrest
    also records an outcome event."""
    return workflow.report_outcome(session, actor, ref, body.subject, body.outcome, body.note)


@router.post("/packages/verify", response_model=VerifiedOut, responses=errors(409, 413))
def verify(
    file: Annotated[UploadFile, File(description="a package's JSON export")],
    session: SessionDep,
    actor: ActorDep,
) -> object:
    """Check that a package file (its JSON export) is the package as issued; a changed file is refused with
    both hashes."""
    return documents.verify_file(session, actor, file.file.read(), file.filename or "upload")
