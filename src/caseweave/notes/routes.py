"""HTTP routes for notes."""

from __future__ import annotations

from fastapi import APIRouter, status

from caseweave.api.deps import ActorDep, SessionDep
from caseweave.api.params import DbId
from caseweave.notes import service
from caseweave.notes.schemas import NoteIn, NoteOut

router = APIRouter(tags=["notes"])


@router.get("/operations/{operation_id}/notes", response_model=list[NoteOut])
def list_notes(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    return service.list_notes(session, actor, operation_id)


@router.post("/operations/{operation_id}/notes", response_model=NoteOut, status_code=status.HTTP_201_CREATED)
def create_note(operation_id: DbId, body: NoteIn, session: SessionDep, actor: ActorDep) -> object:
    return service.create_note(session, actor, operation_id, **body.model_dump())


@router.get("/notes/{note_id}", response_model=NoteOut)
def get_note(note_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    return service.get_note(session, actor, note_id)
