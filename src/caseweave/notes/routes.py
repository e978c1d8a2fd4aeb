"""HTTP routes for notes."""

from __future__ import annotations

from fastapi import APIRouter, status

from caseweave.api.deps import ActorDep, SessionDep
from caseweave.api.openapi import NAMED, errors, link, links
from caseweave.api.params import BeforeId, DbId, PageSize
from caseweave.notes import service
from caseweave.notes.schemas import NoteIn, NoteOut

router = APIRouter(tags=["notes"], responses=errors(*NAMED))


@router.get("/operations/{operation_id}/notes", response_model=list[NoteOut])
def list_notes(
    operation_id: DbId, session: SessionDep, actor: ActorDep, before: BeforeId = None, limit: PageSize = 100
) -> object:
    """The operation's notes you may see under their TLP labels (members of the operation), newest
    first; the next page is `before=<the last id of this one>`."""
    return service.list_notes(session, actor, operation_id, before=before, limit=limit)


@router.post(
    "/operations/{operation_id}/notes",
    response_model=NoteOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(413),
        **links(201, read=link("get", "/notes/{note_id}", "the note written", note_id="$response.body#/id")),
    },
)
def create_note(operation_id: DbId, body: NoteIn, session: SessionDep, actor: ActorDep) -> object:
    """Write a note on the operation (analysts, investigators and coordinators of lead or partner
    agencies)."""
    return service.create_note(session, actor, operation_id, **body.model_dump())


@router.get("/notes/{note_id}", response_model=NoteOut)
def get_note(note_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """One note you may see; a note hidden from you answers 404 like a missing one."""
    return service.get_note(session, actor, note_id)
