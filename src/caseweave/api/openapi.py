"""What the OpenAPI document says about errors and non-JSON answers, shared by every router.

The error body is the one shape `api/errors.py` and the middlewares send. Routers declare the
answers any of their operations can give (`errors(...)`); a route adds the ones only it gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

Responses = dict[int | str, dict[str, Any]]


class FieldProblem(BaseModel):
    """One invalid input: where it is (e.g. `body.name`, `path.operation_id`) and what is wrong."""

    field: str
    reason: str


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable kind, e.g. not_found, invalid, unauthenticated")
    message: str = Field(description="what went wrong, for a person")
    field: str | None = Field(default=None, description="the input at fault, when one is")
    hint: str | None = Field(default=None, description="how to put it right, when known")
    details: list[FieldProblem] | None = Field(default=None, description="every invalid input (422)")


class ErrorOut(BaseModel):
    """Every error answer: the error, and the request id to quote to the operators."""

    error: ErrorDetail
    request_id: str | None = Field(description="also sent as the X-Request-ID header")


_RETRY = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "string"}}}

_ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    401: (
        "no bearer token, or one that is unknown, expired or revoked",
        {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    ),
    403: ("your roles or your agency's part in the operation do not allow this", {}),
    404: ("no such object, or one you may not see: the two answer alike", {}),
    409: ("the object is not in a state that allows this (already done, taken, or answered)", {}),
    413: ("the request body is larger than the server's limit", {}),
    422: ("an input is missing, malformed or out of bounds; `error.field` names it", {}),
    429: ("too many failed attempts from your address: wait Retry-After seconds", _RETRY),
    503: ("the server or its database is busy: retry after Retry-After seconds", _RETRY),
}

# An authenticated operation: no or a bad token, roles that may not, the server or database busy.
AUTHENTICATED = (401, 403, 503)
# One that names objects (path, query or body): absent or hidden ones, and malformed input.
NAMED = (*AUTHENTICATED, 404, 422)


def errors(*codes: int, described: Mapping[int, str] | None = None) -> Responses:
    """OpenAPI responses for these error statuses, each with the error body and its headers;
    `described` words some of them for this route."""
    answers: Responses = {}
    for code in sorted(set(codes)):
        description, headers = _ERRORS[code]
        description = (described or {}).get(code, description)
        answer: dict[str, Any] = {"model": ErrorOut, "description": description}
        if headers:
            answer["headers"] = headers
        answers[code] = answer
    return answers


def content(*media_types: str, status: int = 200, description: str = "Successful Response") -> Responses:
    """Declare a success answer that is not JSON (or not only JSON), by its media types."""
    return {status: {"description": description, "content": {media_type: {} for media_type in media_types}}}


def link(method: str, path: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link: the operation a client (or a stateful test) may call next, with parameters
    taken from this exchange, e.g. `note_id="$response.body#/id"`."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {
        "operationRef": f"#/paths/{pointer}/{method}",
        "description": description,
        "parameters": parameters,
    }


def links(answer: int, **named: dict[str, Any]) -> Responses:
    """Links from the answer with this status, by name."""
    return {answer: {"links": named}}
