"""At most N requests run at once; a few more may wait briefly; the rest get 503 with Retry-After.

Without this, every request beyond what the database and the 40 worker threads can serve queues
without bound: answers come later and later, clients time out and retry, and the queue outlives
the load. Refusing at once keeps the requests that are let in fast, and the server is back to
normal as soon as the load drops. Routes that hold no thread and no connection while they wait
(`/health`, the password checks with their own slots) are not counted (api/app.py).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from anyio.lowlevel import RunVar
from starlette.types import ASGIApp, Receive, Scope, Send

from caseweave.api.errors import busy_error, error_response


class ConcurrencyLimit:
    """Pure ASGI. Waiters are served first come, first served (anyio's semaphore is fair)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        queue: int,
        wait_seconds: float,
        retry_after: int,
        exempt: Callable[[Scope], bool],
    ) -> None:
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self.exempt = exempt
        # One semaphore per event loop: a test client may run the same app on several loops.
        self._slots: RunVar[anyio.Semaphore] = RunVar(f"caseweave_slots_{id(self)}")
        self.waiting = 0

    def slots(self) -> anyio.Semaphore:
        try:
            return self._slots.get()
        except LookupError:
            slots = anyio.Semaphore(self.limit, fast_acquire=True)
            self._slots.set(slots)
            return slots

    @property
    def running(self) -> int:
        """Requests being handled now (for tests and diagnostics)."""
        return self.limit - self.slots().value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope):
            await self.app(scope, receive, send)
            return
        slots = self.slots()
        if not await self._acquire(slots):
            error, headers = busy_error(self.retry_after, "the server is busy")
            await error_response(scope, send, 503, error, headers)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _acquire(self, slots: anyio.Semaphore) -> bool:
        try:
            slots.acquire_nowait()
            return True
        except anyio.WouldBlock:
            pass
        if self.waiting >= self.queue or self.wait_seconds <= 0:
            return False
        self.waiting += 1
        try:
            with anyio.move_on_after(self.wait_seconds):
                await slots.acquire()
                return True
            return False
        finally:
            self.waiting -= 1
