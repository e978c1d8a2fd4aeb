"""HTTP routes for victims and the safeguarding queue."""

from __future__ import annotations

from fastapi import APIRouter, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
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

router = APIRouter(tags=["victims"])


@router.post(
    "/operations/{operation_id}/victims", response_model=VictimOut, status_code=status.HTTP_201_CREATED
)
def add_victim(operation_id: DbId, body: VictimIn, session: SessionDep, actor: ActorDep) -> object:
    return service.add_victim(session, actor, operation_id, **body.model_dump())


@router.get("/operations/{operation_id}/victims", response_model=list[VictimOut])
def list_victims(
    operation_id: DbId, session: SessionDep, actor: ActorDep, status: str | None = None
) -> object:
    return service.list_victims(session, actor, operation_id, status)


@router.get("/victims/{ref}", response_model=VictimDetail)
def show_victim(ref: str, session: SessionDep, actor: ActorDep) -> object:
    view = service.show_victim(session, actor, ref)
    return {"victim": view.victim, "links": view.links, "events": view.events}


@router.post("/victims/{ref}/status", response_model=EventOut, status_code=status.HTTP_201_CREATED)
def set_status(ref: str, body: StatusIn, session: SessionDep, actor: ActorDep) -> object:
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


@router.post("/victims/{ref}/links", response_model=LinkOut, status_code=status.HTTP_201_CREATED)
def link_victim(ref: str, body: LinkIn, session: SessionDep, actor: ActorDep) -> object:
    return service.link_victim(session, actor, ref, body.kind, body.target)


@router.get("/operations/{operation_id}/safeguarding-queue", response_model=list[QueueItemOut])
def safeguarding_queue(
    operation_id: DbId, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> object:
    return queue.safeguarding_queue(session, actor, settings, operation_id)
