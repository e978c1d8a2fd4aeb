"""Security headers on every response, errors and refusals included.

The JSON API allows a browser nothing (`default-src 'none'`); the documentation pages name what
they load, all from this server (api/docs.py). Answers are never cached unless a route says so
(the documentation's static assets do): case data must not linger in a browser or proxy cache.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'"

_ALWAYS = {
    # Two years, as preload lists ask; browsers ignore it on plain HTTP (e.g. a local demo).
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """Pure ASGI (nothing buffered): adds the headers when the response starts.

    `page_policies` maps an exact path to its own Content-Security-Policy; every other path gets
    API_POLICY. A header the app set itself (Cache-Control of a static asset) is kept."""

    def __init__(self, app: ASGIApp, page_policies: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.page_policies = dict(page_policies or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.page_policies.get(scope["path"], API_POLICY)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers[name] = value
                headers["Content-Security-Policy"] = policy
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
