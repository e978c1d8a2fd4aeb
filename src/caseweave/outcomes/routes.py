"""HTTP routes for outcomes: one at a time, a list, and a CSV of bulk returns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status

from caseweave.api.deps import ActorDep, SessionDep
from caseweave.api.openapi import NAMED, errors
from caseweave.api.params import DbId
from caseweave.errors import Invalid
from caseweave.linkage.models import Subject
from caseweave.outcomes import bulk, service
from caseweave.outcomes.models import OutcomeEvent
from caseweave.outcomes.schemas import ImportOut, OutcomeBody, OutcomeOut

router = APIRouter(tags=["outcomes"], responses=errors(*NAMED))


def shape(event: OutcomeEvent, subject: str) -> OutcomeOut:
    return OutcomeOut(
        id=event.id,
        subject=subject,
        country=event.country,
        kind=event.kind,
        date=event.occurred_on,
        counts=event.counts,
        offence=event.offence,
        plea=event.plea,
        sentence=event.sentence,
        indeterminate=event.indeterminate,
        note=event.note,
        source=event.source,
        source_ref=event.source_ref,
        owner_agency_id=event.owner_agency_id,
        tlp=event.tlp,
        created_at=event.created_at,
    )


@router.post(
    "/operations/{operation_id}/outcomes",
    response_model=OutcomeOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 413),
)
def add_outcome(operation_id: DbId, body: OutcomeBody, session: SessionDep, actor: ActorDep) -> object:
    """Record an outcome (arrest, charge, plea, conviction, acquittal, sentence, no further action) for a
    subject, checked against its earlier events (case writers of lead or partner agencies)."""
    fields = body.model_dump()
    data = service.OutcomeIn(occurred_on=fields.pop("date"), **fields)
    event = service.add_outcome(session, actor, operation_id, data, source="api")
    assert event is not None  # duplicates are refused here, never skipped
    return shape(event, session.get_one(Subject, event.subject_id).public_id)


@router.get("/operations/{operation_id}/outcomes", response_model=list[OutcomeOut])
def list_outcomes(
    operation_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    subject: str | None = None,
    country: str | None = None,
) -> object:
    """The operation's outcome events you may see, filtered by subject or country."""
    rows = service.list_outcomes(session, actor, operation_id, subject=subject, country=country)
    return [shape(event, public_id) for event, public_id in rows]


@router.post(
    "/operations/{operation_id}/outcomes/import", response_model=ImportOut, responses=errors(409, 413)
)
def import_outcomes(
    operation_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="an agency's CSV of outcomes (docs/victims.md)")],
) -> object:
    """Import an agency's CSV of outcomes in one transaction; every bad line is named and nothing is stored
    (case writers)."""
    try:
        text = file.file.read().decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{file.filename} is not UTF-8 text", field="file") from None
    result = bulk.import_csv(session, actor, operation_id, text, file.filename or "upload.csv")
    return ImportOut(added=len(result.added), skipped_lines=result.skipped)
