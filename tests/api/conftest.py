"""An app on the test database with its own HTTP limits (small ones make limits easy to reach), and
a request whose body arrives in chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

from caseweave.api.app import create_app
from caseweave.config import Settings
from caseweave.db.runtime import Database

LimitedClient = Callable[..., TestClient]


@pytest.fixture
def limited_client(settings: Settings) -> Iterator[LimitedClient]:
    """`limited_client(http_max_body_bytes=1000, …)`: a client of an app whose settings differ."""
    with ExitStack() as stack:

        def make(**limits: object) -> TestClient:
            database = Database.open(Settings(**{**settings.model_dump(), **limits}))  # validated
            stack.callback(database.close)
            return stack.enter_context(TestClient(create_app(database=database)))

        yield make


def database_of(client: TestClient) -> Database:
    """The database the client's app works on."""
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    return database


@dataclass
class Streamed:
    status: int
    headers: dict[str, str]
    body: bytes
    chunks_read: int


def stream_request(
    client: TestClient, path: str, headers: dict[str, str], chunks: Iterable[bytes]
) -> Streamed:
    """POST a body chunk by chunk, as a server hands it over from the network (the test client reads a
    streamed body whole first), and count the chunks the app asked for."""
    chunk_iter = iter(chunks)
    read = 0
    finished = False

    async def receive() -> Message:
        nonlocal read, finished
        if finished:
            return {"type": "http.disconnect"}
        chunk = next(chunk_iter, None)
        if chunk is None:
            finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(client.app, scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    answer_headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return Streamed(start["status"], answer_headers, body, read)
