"""Request dependencies: one transaction per request, the authenticated actor, the settings.

GET and HEAD requests read in a unit of work that takes no write lock; what they must write (audit
entries, a token's last use) is appended right after the handler, before the answer is sent. Other
methods write in one transaction. Either is committed before the response leaves (`scope="function"`):
a client never holds an answer whose transaction or audit entry could still fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from caseweave.actor import Actor
from caseweave.auth.models import Token
from caseweave.auth.service import authenticate
from caseweave.config import Settings
from caseweave.db.engine import defer_write, is_read_only
from caseweave.db.runtime import Database
from caseweave.errors import Unauthenticated

READ_METHODS = frozenset({"GET", "HEAD"})


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back on error.

    Async, so that only the commit (or rollback) takes a worker thread: opening a session does no
    I/O (it connects at its first statement). Every hop to a thread is work for the event loop, which
    also has to answer /health and refuse what it cannot serve."""
    db = database(request)
    unit = db.read_transaction() if request.method in READ_METHODS else db.transaction()
    session = unit.__enter__()
    # Its own limiter, as FastAPI gives a sync dependency's exit: with every pooled thread busy, the
    # commit that would free one must not wait for one.
    finish = partial(anyio.to_thread.run_sync, limiter=anyio.CapacityLimiter(1))
    try:
        yield session
    except BaseException as error:
        await finish(unit.__exit__, type(error), error, error.__traceback__)
        raise
    await finish(unit.__exit__, None, None, None)


async def get_settings(request: Request) -> Settings:
    return database(request).settings


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# Declares the scheme in the OpenAPI document (the /docs Authorize button); a missing or malformed
# header gives None, so the answer stays ours: 401 in the error shape with WWW-Authenticate.
BEARER = HTTPBearer(
    scheme_name="bearer",
    description="a session token from POST /auth/login, or an API token from POST /tokens",
    auto_error=False,
)


async def bearer_secret(  # async: no worker thread for a header check
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> str:
    """The token sent as `Authorization: Bearer <token>`, or 401."""
    if credentials is None:
        raise Unauthenticated(
            "no bearer token", hint="log in at POST /auth/login and send 'Authorization: Bearer …'"
        )
    return credentials.credentials


BearerDep = Annotated[str, Depends(bearer_secret)]


def current_actor(request: Request, secret: BearerDep, session: SessionDep) -> Actor:
    user, token = authenticate(session, secret)
    if is_read_only(session):
        _defer_last_use(session, token)
    request.state.token_id = token.id
    return Actor.for_user(user, request.state.request_id)


def _defer_last_use(session: Session, token: Token) -> None:
    """A read request must not write in its read transaction: hand the token's new last use on."""
    history = inspect(token).attrs.last_used_at.history
    if not history.added:
        return
    used_at = history.added[0]
    set_committed_value(token, "last_used_at", history.deleted[0] if history.deleted else None)
    touch = update(Token).where(Token.id == token.id).values(last_used_at=used_at)

    def write(writer: Session) -> None:
        writer.execute(touch)

    defer_write(session, write)


ActorDep = Annotated[Actor, Depends(current_actor)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
