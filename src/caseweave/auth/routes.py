"""HTTP routes for login, users and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.params import DbId
from caseweave.auth import service
from caseweave.auth.schemas import (
    LoginIn,
    RevokedOut,
    TokenIn,
    TokenIssued,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
)

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenIssued)
def login(body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep) -> TokenIssued:
    issued = service.login(session, settings, body.username, body.password, request.state.request_id)
    return TokenIssued(token=issued.secret, token_id=issued.token.id, expires_at=issued.token.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, session: SessionDep, actor: ActorDep) -> None:
    service.revoke_token(session, actor, request.state.token_id)


@router.get("/auth/me", response_model=UserOut)
def me(actor: ActorDep) -> object:
    return actor.user


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, actor: ActorDep) -> object:
    return service.list_users(session, actor)


@router.post("/users", response_model=UserCreated, status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, session: SessionDep, actor: ActorDep, settings: SettingsDep) -> UserCreated:
    user, generated = service.add_user(session, actor, settings, **body.model_dump())
    return UserCreated.model_validate(user).model_copy(update={"generated_password": generated})


@router.post("/users/{username}/disable", response_model=UserOut)
def disable_user(username: str, session: SessionDep, actor: ActorDep) -> object:
    return service.disable_user(session, actor, username)


@router.post("/users/{username}/sessions/revoke", response_model=RevokedOut)
def revoke_sessions(username: str, session: SessionDep, actor: ActorDep) -> RevokedOut:
    """End every login session and API token of a user of your agency (agency admins)."""
    return RevokedOut(revoked=service.revoke_sessions(session, actor, username))


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(session: SessionDep, actor: ActorDep) -> object:
    return service.list_tokens(session, actor)


@router.post("/tokens", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, session: SessionDep, actor: ActorDep, settings: SettingsDep) -> TokenIssued:
    issued = service.create_api_token(session, actor, settings, **body.model_dump())
    return TokenIssued(token=issued.secret, token_id=issued.token.id, expires_at=issued.token.expires_at)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    return service.revoke_token(session, actor, token_id)
