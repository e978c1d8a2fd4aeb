"""Create and read notes; every read goes through the access policy and into the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.policy import visible
from caseweave.access.service import require_case_writer, set_releases, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import Invalid, NotFound
from caseweave.notes.models import Note


def create_note(
    session: Session,
    actor: Actor,
    operation_id: int,
    *,
    title: str,
    body: str,
    tlp: TLP,
    released_to: Sequence[str] = (),
    recipients: Sequence[str] = (),
) -> Note:
    operation = visible_operation(session, actor, operation_id)
    user = require_case_writer(session, actor, operation)
    if not title.strip():
        raise Invalid("a note needs a title", field="title")
    note = Note(
        operation_id=operation.id,
        owner_agency_id=user.agency_id,
        created_by_user_id=user.id,
        tlp=tlp.value,
        title=title.strip(),
        body=body,
    )
    session.add(note)
    session.flush()
    set_releases(session, operation, Note.record_kind, note.id, tlp, released_to, recipients)
    audit.record(
        session, actor, "note.create", "note", [note.id], operation_id=operation.id, detail={"tlp": tlp.value}
    )
    return note


def list_notes(
    session: Session, actor: Actor, operation_id: int, *, before: int | None = None, limit: int = 100
) -> Sequence[Note]:
    """A page of the notes the actor may see, newest first: an operation's notes only grow, and each
    answer (and its audit entry) stays the same size."""
    operation = visible_operation(session, actor, operation_id)
    query = select(Note).where(Note.operation_id == operation.id, visible(Note, actor.viewer))
    if before is not None:
        query = query.where(Note.id < before)
    notes = session.scalars(query.order_by(Note.id.desc()).limit(limit)).all()
    audit.record(session, actor, "note.list", "note", [n.id for n in notes], operation_id=operation.id)
    return notes


def get_note(session: Session, actor: Actor, note_id: int) -> Note:
    """A note the actor may not see is reported exactly like a missing one."""
    note = session.scalar(select(Note).where(Note.id == note_id, visible(Note, actor.viewer)))
    if note is None:
        raise NotFound(f"note {note_id} not found", field="note_id")
    audit.record(session, actor, "note.read", "note", [note.id], operation_id=note.operation_id)
    return note
