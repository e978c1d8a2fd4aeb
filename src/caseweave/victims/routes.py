"""HTTP routes for victims and the safeguarding queue."""

from __future__ import annotations

from fastapi import APIRouter, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.openapi import NAMED, errors, link, links
from caseweave.api.params import DbId
from caseweave.victims import queue, service
from caseweave.victims.schemas import (
    EventOut,
    LinkIn,
    LinkOut,
    QueueItemOut,
    StatusIn,
    VictimDetail,
    VictimIn,
    VictimOut,
)

router = APIRouter(tags=["victims"], responses=errors(*NAMED))


@router.post(
    "/operations/{operation_id}/victims",
    response_model=VictimOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(413),
        **links(
            201,
            read=link("get", "/victims/{ref}", "the victim recorded", ref="$response.body#/public_id"),
            status=link(
                "post", "/victims/{ref}/status", "change its status", ref="$response.body#/public_id"
            ),
        ),
    },
)
def add_victim(operation_id: DbId, body: VictimIn, session: SessionDep, actor: ActorDep) -> object:
    """Record a pseudonymous victim in the operation (case writers of lead or partner agencies); never a
    real name."""
    return service.add_victim(session, actor, operation_id, **body.model_dump())


@router.get("/operations/{operation_id}/victims", response_model=list[VictimOut])
def list_victims(
    operation_id: DbId, session: SessionDep, actor: ActorDep, status: str | None = None
) -> object:
    """The operation's victims you may see under their labels, filtered by `status`."""
    return service.list_victims(session, actor, operation_id, status)


@router.get("/victims/{ref}", response_model=VictimDetail)
def show_victim(ref: str, session: SessionDep, actor: ActorDep) -> object:
    """One victim you may see, with its links (only to what you may see) and its dated status history."""
    view = service.show_victim(session, actor, ref)
    return {"victim": view.victim, "links": view.links, "events": view.events}


@router.post(
    "/victims/{ref}/status",
    response_model=EventOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 413),
)
def set_status(ref: str, body: StatusIn, session: SessionDep, actor: ActorDep) -> object:
    """Move a victim's status forward (unidentified, identified, safeguarded), or correct it as the owning
    agency (case writers the owner granted changes to)."""
    return service.set_status(
        session,
        actor,
        ref,
        body.status,
        on=body.on,
        agency=body.agency,
        note=body.note,
        correction=body.correction,
    )


@router.post(
    "/victims/{ref}/links",
    response_model=LinkOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 413),
)
def link_victim(ref: str, body: LinkIn, session: SessionDep, actor: ActorDep) -> object:
    """Link a victim to a series, subject or referral you may see (case writers the owner granted changes
    to)."""
    return service.link_victim(session, actor, ref, body.kind, body.target)


@router.get("/operations/{operation_id}/safeguarding-queue", response_model=list[QueueItemOut])
def safeguarding_queue(
    operation_id: DbId, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> object:
    """Open victims you may see, most urgent first, with the parts of each score (members of the
    operation)."""
    return queue.safeguarding_queue(session, actor, settings, operation_id)
