"""The FastAPI app factory: settings are read here, when the app is built."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from caseweave import __version__
from caseweave.actor import new_request_id
from caseweave.api import errors
from caseweave.attribution.routes import router as attribution_router
from caseweave.audit.routes import router as audit_router
from caseweave.auth.routes import router as auth_router
from caseweave.config import Settings, load_settings
from caseweave.db.runtime import Database
from caseweave.dissemination.routes import router as dissemination_router
from caseweave.intake.routes import router as intake_router
from caseweave.linkage.routes import router as linkage_router
from caseweave.media.routes import router as media_router
from caseweave.notes.routes import router as notes_router
from caseweave.operations.routes import router as operations_router
from caseweave.outcomes.routes import router as outcomes_router
from caseweave.stats.routes import router as stats_router
from caseweave.victims.routes import router as victims_router

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    db = database or Database.open(settings or load_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.close()

    app = FastAPI(
        title="caseweave",
        version=__version__,
        description="Joint operations against online child sexual exploitation, under need-to-know.",
        lifespan=lifespan,
    )
    app.state.database = db

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("x-request-id", "")
        request.state.request_id = given if _REQUEST_ID.match(given) else new_request_id()
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    errors.install(app)
    for router in (
        auth_router,
        operations_router,
        notes_router,
        intake_router,
        linkage_router,
        attribution_router,
        dissemination_router,
        media_router,
        victims_router,
        outcomes_router,
        stats_router,
        audit_router,
    ):
        app.include_router(router)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
