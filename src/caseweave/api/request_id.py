"""Every request gets an id that the audit log, the logs and the answer share.

A client may send its own `X-Request-ID` to follow a call through; it is kept only when it is short
and safe to store and print (letters, digits, `.`, `_`, `-`; at most 64, the audit column's width).
Anything else is replaced, so no client can write arbitrary text into the audit log.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caseweave.actor import new_request_id

SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def accepted_request_id(given: str | None) -> str:
    """The client's id if it is safe, else a new one."""
    return given if given is not None and SAFE_REQUEST_ID.fullmatch(given) else new_request_id()


class RequestId:
    """Pure ASGI: sets `request.state.request_id` and echoes it in `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get("x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
