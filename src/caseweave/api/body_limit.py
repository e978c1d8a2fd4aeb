"""Request bodies are limited as they arrive, never read whole first.

A declared Content-Length over the limit is refused before the app runs; a body without one
(chunked, streamed) is counted chunk by chunk and refused when it crosses the limit. Routes that
take a file (multipart) get the larger upload limit. Both answer 413 in the JSON error shape.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caseweave.api.errors import error_response


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the body crosses the limit. An HTTPException, so FastAPI's body
    parsing passes it on to the JSON error handler instead of calling it a parse error (400)."""

    def __init__(self, limit: int) -> None:
        # The rest of the body stays unread on the connection, so it cannot carry another request.
        super().__init__(413, f"request body is larger than {limit:,} bytes", {"Connection": "close"})


class BodyLimit:
    """Pure ASGI; `is_upload(scope)` says whether the request's route takes a file."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, max_upload: int, is_upload: Callable[[Scope], bool]
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.is_upload = is_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if self.is_upload(scope) else self.max_body
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, BodyTooLarge(limit))
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as too_large:
            if started:  # the app answered before reading the rest; nothing more to say
                raise
            await _refuse(scope, send, too_large)


async def _refuse(scope: Scope, send: Send, too_large: BodyTooLarge) -> None:
    error = {"code": "too_large", "message": str(too_large.detail)}
    await error_response(scope, send, 413, error, too_large.headers)
