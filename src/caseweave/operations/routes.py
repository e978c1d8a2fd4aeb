"""HTTP routes for agencies, operations and memberships."""

from __future__ import annotations

from fastapi import APIRouter, status

from caseweave.access.service import visible_operation
from caseweave.api.deps import ActorDep, SessionDep
from caseweave.api.openapi import NAMED, errors, link, links
from caseweave.api.params import DbId
from caseweave.operations import service
from caseweave.operations.schemas import (
    AgencyIn,
    AgencyOut,
    InvitationOut,
    MembershipIn,
    MembershipOut,
    OperationIn,
    OperationOut,
)

# Listing needs only a token; every other route names something or takes a body.
router = APIRouter(tags=["operations"], responses=errors(401, 503))
_WRITE = errors(*NAMED, 409, 413)


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(session: SessionDep, actor: ActorDep) -> object:
    """Every agency on this installation, with its country and contact point (any user)."""
    return service.list_agencies(session)


@router.post(
    "/agencies",
    response_model=AgencyOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(403, 409, 413, 422),
)
def add_agency(body: AgencyIn, session: SessionDep, actor: ActorDep) -> object:
    """Add an agency (platform admins only)."""
    return service.add_agency(session, actor, **body.model_dump())


@router.get("/operations", response_model=list[OperationOut])
def list_operations(session: SessionDep, actor: ActorDep) -> object:
    """The operations your agency has joined (platform admins see every operation, not its case data)."""
    return service.list_operations(session, actor)


@router.post(
    "/operations",
    response_model=OperationOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **_WRITE,
        **links(
            201,
            read=link(
                "get", "/operations/{operation_id}", "the new operation", operation_id="$response.body#/id"
            ),
            invite=link(
                "post",
                "/operations/{operation_id}/memberships",
                "invite an agency into it",
                operation_id="$response.body#/id",
            ),
        ),
    },
)
def create_operation(body: OperationIn, session: SessionDep, actor: ActorDep) -> object:
    """Create an operation led by your own agency (coordinators; platform admins for any lead agency)."""
    return service.create_operation(session, actor, **body.model_dump())


@router.get("/operations/{operation_id}", response_model=OperationOut, responses=errors(*NAMED))
def get_operation(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """One operation your agency has joined; any other answers 404 like a missing one."""
    return visible_operation(session, actor, operation_id)


@router.get(
    "/operations/{operation_id}/memberships", response_model=list[MembershipOut], responses=errors(*NAMED)
)
def list_memberships(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Every agency invited to, taking part in or declining the operation, with its status."""
    return service.list_memberships(session, actor, operation_id)


@router.post(
    "/operations/{operation_id}/memberships",
    response_model=MembershipOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **_WRITE,
        **links(
            201,
            withdraw=link(
                "post",
                "/operations/{operation_id}/memberships/{membership_id}/withdraw",
                "take the invitation back",
                operation_id="$request.path.operation_id",
                membership_id="$response.body#/id",
            ),
        ),
    },
)
def invite(operation_id: DbId, body: MembershipIn, session: SessionDep, actor: ActorDep) -> object:
    """Invite an agency (lead coordinators): it takes part once its admin or a coordinator accepts."""
    return service.invite(session, actor, operation_id, **body.model_dump())


@router.post(
    "/operations/{operation_id}/memberships/{membership_id}/withdraw",
    response_model=MembershipOut,
    responses=errors(*NAMED, 409),
)
def withdraw(operation_id: DbId, membership_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Take back an invitation that is not yet answered."""
    return service.withdraw_invitation(session, actor, operation_id, membership_id)


@router.get("/invitations", response_model=list[InvitationOut])
def list_invitations(session: SessionDep, actor: ActorDep) -> object:
    """Open invitations to your agency (its admins and coordinators answer them)."""
    return service.list_invitations(session, actor)


@router.post(
    "/invitations/{membership_id}/accept", response_model=MembershipOut, responses=errors(*NAMED, 409)
)
def accept(membership_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Accept an invitation to your agency (its agency admins and coordinators): it takes part from the
    agreed date."""
    return service.answer_invitation(session, actor, membership_id, accept=True)


@router.post(
    "/invitations/{membership_id}/decline", response_model=MembershipOut, responses=errors(*NAMED, 409)
)
def decline(membership_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Decline an invitation to your agency (its agency admins and coordinators)."""
    return service.answer_invitation(session, actor, membership_id, accept=False)
