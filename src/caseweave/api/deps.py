"""Request dependencies: one transaction per request, the authenticated actor, the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.auth.service import authenticate
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Unauthenticated


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back on error."""
    with database(request).transaction() as session:
        yield session


def get_settings(request: Request) -> Settings:
    return database(request).settings


def current_actor(request: Request, session: Annotated[Session, Depends(get_session)]) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated(
            "no bearer token", hint="log in at POST /auth/login and send 'Authorization: Bearer …'"
        )
    user, token = authenticate(session, secret.strip())
    request.state.token_id = token.id
    return Actor.for_user(user, request.state.request_id)


SessionDep = Annotated[Session, Depends(get_session)]
ActorDep = Annotated[Actor, Depends(current_actor)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
