"""One JSON error shape: {"error": {code, message, field?, hint?, details?}, "request_id"}.

The handlers here answer errors raised inside the app; `error_response` gives the ASGI middlewares
(body limit, overload) the same shape for what they refuse before the app runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.types import Scope, Send

from caseweave.db.engine import is_busy
from caseweave.errors import CaseweaveError, Unauthenticated

log = logging.getLogger("caseweave.api")

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    503: "unavailable",
}


def _request_id(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def _body(request: Request, error: dict[str, Any]) -> dict[str, Any]:
    return {"error": error, "request_id": _request_id(request.scope)}


def busy_error(retry_after: int, what: str) -> tuple[dict[str, str], dict[str, str]]:
    """(error, headers) of a 503 that asks the client to come back."""
    error = {
        "code": "unavailable",
        "message": f"{what}; try again in {retry_after} s",
        "hint": "retry after the Retry-After header's seconds",
    }
    return error, {"Retry-After": str(retry_after)}


async def error_response(
    scope: Scope, send: Send, status: int, error: dict[str, str], headers: Mapping[str, str] | None = None
) -> None:
    """Send the JSON error shape from an ASGI middleware (outside FastAPI's handlers)."""
    body = json.dumps({"error": error, "request_id": _request_id(scope)}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _retry_after(request: Request) -> int:
    database = getattr(request.app.state, "database", None)
    return int(database.settings.http_retry_after_seconds) if database is not None else 1


def install(app: FastAPI) -> None:
    @app.exception_handler(CaseweaveError)
    async def caseweave_error(request: Request, exc: CaseweaveError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else {}
        if exc.http_status == 503:
            headers["Retry-After"] = str(_retry_after(request))
        return JSONResponse(_body(request, exc.as_dict()), status_code=exc.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(part) for part in err.get("loc", ())), "reason": err.get("msg", "")}
            for err in exc.errors()
        ]
        first = details[0] if details else {"field": "", "reason": "invalid request"}
        error = {
            "code": "invalid",
            "message": f"{first['field']}: {first['reason']}",
            "field": first["field"],
            "details": details,
        }
        return JSONResponse(_body(request, error), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot parse (not UTF-8, a broken multipart form): bad input
            # like malformed JSON, which it already answers 422, so one status and shape for both.
            reason = f"cannot be read: {exc.detail}"
            error = {
                "code": "invalid",
                "message": f"body: {reason}",
                "field": "body",
                "details": [{"field": "body", "reason": reason}],
            }
            return JSONResponse(_body(request, error), status_code=422)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            _body(request, {"code": code, "message": str(exc.detail)}),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    # Lock waits that ran out and an exhausted pool are the database being busy, not a bug: the
    # client may retry. Anything else from the database is an internal error.
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if not is_busy(exc):
            raise exc  # to the internal-error handler below, as before this handler existed
        log.warning("database busy in request %s: %s", _request_id(request.scope), exc)
        error, headers = busy_error(_retry_after(request), "the database is busy")
        return JSONResponse(_body(request, error), status_code=503, headers=headers)

    app.add_exception_handler(sa_exc.DBAPIError, database_error)
    app.add_exception_handler(sa_exc.TimeoutError, database_error)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error in request %s", _request_id(request.scope) or "?", exc_info=exc)
        error = {"code": "internal", "message": "internal error; quote the request id to the operators"}
        return JSONResponse(_body(request, error), status_code=500)
