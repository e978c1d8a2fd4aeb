"""HTTP routes for agencies, operations and memberships."""

from __future__ import annotations

from fastapi import APIRouter, status

from caseweave.access.service import visible_operation
from caseweave.api.deps import ActorDep, SessionDep
from caseweave.operations import service
from caseweave.operations.schemas import (
    AgencyIn,
    AgencyOut,
    MembershipIn,
    MembershipOut,
    OperationIn,
    OperationOut,
)

router = APIRouter(tags=["operations"])


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(session: SessionDep, actor: ActorDep) -> object:
    return service.list_agencies(session)


@router.post("/agencies", response_model=AgencyOut, status_code=status.HTTP_201_CREATED)
def add_agency(body: AgencyIn, session: SessionDep, actor: ActorDep) -> object:
    return service.add_agency(session, actor, **body.model_dump())


@router.get("/operations", response_model=list[OperationOut])
def list_operations(session: SessionDep, actor: ActorDep) -> object:
    return service.list_operations(session, actor)


@router.post("/operations", response_model=OperationOut, status_code=status.HTTP_201_CREATED)
def create_operation(body: OperationIn, session: SessionDep, actor: ActorDep) -> object:
    return service.create_operation(session, actor, **body.model_dump())


@router.get("/operations/{operation_id}", response_model=OperationOut)
def get_operation(operation_id: int, session: SessionDep, actor: ActorDep) -> object:
    return visible_operation(session, actor, operation_id)


@router.get("/operations/{operation_id}/memberships", response_model=list[MembershipOut])
def list_memberships(operation_id: int, session: SessionDep, actor: ActorDep) -> object:
    visible_operation(session, actor, operation_id)
    return service.list_memberships(session, operation_id)


@router.post(
    "/operations/{operation_id}/memberships",
    response_model=MembershipOut,
    status_code=status.HTTP_201_CREATED,
)
def add_membership(operation_id: int, body: MembershipIn, session: SessionDep, actor: ActorDep) -> object:
    return service.add_membership(session, actor, operation_id, **body.model_dump())
