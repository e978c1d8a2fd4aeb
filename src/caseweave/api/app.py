"""The FastAPI app factory: settings are read here, when the app is built.

Layers around the routes, outermost first: security headers and the request id (outside even
Starlette's last-resort 500 handler, so every answer carries them), the body limit, the
concurrency limit, then FastAPI's error handlers and the routes. All are pure ASGI: nothing is
buffered, and a refused request costs no thread and no database connection.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Scope

from caseweave import __version__
from caseweave.api import docs, errors
from caseweave.api.body_limit import BodyLimit
from caseweave.api.deps import get_session
from caseweave.api.headers import SecurityHeaders
from caseweave.api.overload import ConcurrencyLimit
from caseweave.api.request_id import RequestId
from caseweave.api.text import refuse_nul_characters
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

ROUTERS = (
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
)
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


class _CaseweaveAPI(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(RequestId(super().build_middleware_stack()), docs.PAGE_POLICIES)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    db = database or Database.open(settings or load_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.close()

    app = _CaseweaveAPI(
        title="caseweave",
        version=__version__,
        description="Joint operations against online child sexual exploitation, under need-to-know.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_nul_characters)],
    )
    app.state.database = db

    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    docs.install(app)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness and version, for load balancers and monitoring; no token needed."""
        # On the event loop, no thread and no database: it answers while every slot is busy.
        return {"status": "ok", "version": __version__}

    limits = db.settings
    app.add_middleware(
        ConcurrencyLimit,
        exempt=_self_limited_matcher(app),
        limit=limits.http_max_concurrent_requests,
        queue=limits.http_max_queued_requests,
        wait_seconds=limits.http_queue_timeout_seconds,
        retry_after=limits.http_retry_after_seconds,
    )
    app.add_middleware(
        BodyLimit,
        max_body=limits.http_max_body_bytes,
        max_upload=limits.http_max_upload_bytes,
        is_upload=_upload_matcher(ROUTERS),
    )
    return app


def _upload_matcher(routers: Iterable[APIRouter]) -> Callable[[Scope], bool]:
    """Whether a request goes to a route that takes a file (multipart): those have the upload limit."""
    uploads = [
        route
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        and any(isinstance(field.field_info, params.File) for field in route.dependant.body_params)
    ]

    def is_upload(scope: Scope) -> bool:
        return scope.get("method") not in _BODYLESS and any(
            route.matches(scope)[0] is Match.FULL for route in uploads
        )

    return is_upload


def _self_limited_matcher(app: FastAPI) -> Callable[[Scope], bool]:
    """Whether a request goes to a route the concurrency limit need not count: an async one without
    a request session holds no worker thread and no pooled connection while it waits. /health is one;
    so are the password checks, which wait for their own hash slots (auth/throttle.py): counted, a
    flood of wrong passwords would take every slot from the users at work."""
    routes: list[APIRoute] = [route for route in app.routes if isinstance(route, APIRoute)]
    routes += [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    free = [
        route
        for route in routes
        if inspect.iscoroutinefunction(route.endpoint) and not _uses_session(route.dependant)
    ]

    def is_free(scope: Scope) -> bool:
        return any(route.matches(scope)[0] is Match.FULL for route in free)

    return is_free


def _uses_session(dependant: Dependant) -> bool:
    return dependant.call is get_session or any(_uses_session(sub) for sub in dependant.dependencies)
