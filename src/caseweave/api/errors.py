"""One JSON error shape: {"error": {code, message, field?, hint?, details?}, "request_id"}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from caseweave.errors import CaseweaveError, Unauthenticated

log = logging.getLogger("caseweave.api")


def _body(request: Request, error: dict[str, Any]) -> dict[str, Any]:
    return {"error": error, "request_id": getattr(request.state, "request_id", None)}


def install(app: FastAPI) -> None:
    @app.exception_handler(CaseweaveError)
    async def caseweave_error(request: Request, exc: CaseweaveError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
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
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            _body(request, {"code": code, "message": str(exc.detail)}), status_code=exc.status_code
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in request %s", getattr(request.state, "request_id", "?"))
        error = {"code": "internal", "message": "internal error; quote the request id to the operators"}
        return JSONResponse(_body(request, error), status_code=500)
