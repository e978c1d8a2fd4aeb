"""Bodies over the limit get 413 in the JSON error shape, whether declared up front or streamed;
a streamed body is refused as it crosses the limit, not read whole first. File uploads have their own,
larger limit. Nothing is stored by a refused request."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import Referral
from caseweave.notes.models import Note
from tests.api.conftest import LimitedClient, stream_request
from tests.support.world import build_world

LIMIT = 1000
UPLOAD_LIMIT = 20_000
CHUNK = 100
CHUNKS = 500  # a streamed body of 50,000 bytes, far over both limits


def assert_too_large(status: int, headers: Any, body: bytes, limit: int) -> None:
    assert status == 413
    answer = json.loads(body)
    assert answer["error"]["code"] == "too_large"
    assert f"{limit:,} bytes" in answer["error"]["message"]
    assert answer["request_id"] == headers["x-request-id"]
    assert headers["x-content-type-options"] == "nosniff"


def stored(db: Database, model: type[Note] | type[Referral]) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_json_body_over_the_limit_is_refused(
    db: Database, settings: Settings, limited_client: LimitedClient
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    client = limited_client(http_max_body_bytes=LIMIT, http_max_upload_bytes=UPLOAD_LIMIT)
    headers = {**world.headers("LEAD", "analyst"), "Content-Type": "application/json"}
    notes = f"/operations/{world.operation_id}/notes"
    fits = b'{"title": "fits", "body": "' + b"x" * (LIMIT - 100) + b'"}'
    assert client.post(notes, headers=headers, content=fits).status_code == 201

    declared = client.post(
        notes, headers=headers, content=b'{"title": "big", "body": "' + b"x" * LIMIT + b'"}'
    )
    assert_too_large(declared.status_code, declared.headers, declared.content, LIMIT)

    streamed = stream_request(client, notes, headers, [b" " * CHUNK] * CHUNKS)
    assert_too_large(streamed.status, streamed.headers, streamed.body, LIMIT)
    assert streamed.chunks_read == LIMIT // CHUNK + 1, "read up to the chunk that crossed the limit"
    assert stored(db, Note) == 1


def test_an_upload_has_its_own_larger_limit(
    db: Database, settings: Settings, limited_client: LimitedClient
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    client = limited_client(http_max_body_bytes=LIMIT, http_max_upload_bytes=UPLOAD_LIMIT)
    headers = world.headers("LEAD", "analyst")
    upload = f"/operations/{world.operation_id}/referrals"
    rows = "".join(f"chatapp,acct{n},handle_{n},user{n}@mail.example\n" for n in range(120))
    return_file = ("platform,account_id,username,email\n" + rows).encode()
    assert LIMIT < len(return_file) < UPLOAD_LIMIT
    accepted = client.post(upload, headers=headers, files={"file": ("return.csv", return_file)})
    assert accepted.status_code == 201, accepted.text

    too_big = return_file * (UPLOAD_LIMIT // len(return_file) + 1)
    declared = client.post(upload, headers=headers, files={"file": ("big.csv", too_big)})
    assert_too_large(declared.status_code, declared.headers, declared.content, UPLOAD_LIMIT)

    boundary = "cw-test-boundary"
    opening = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
    streamed = stream_request(
        client,
        upload,
        {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        [opening.encode(), *[b"x" * CHUNK] * CHUNKS],
    )
    assert_too_large(streamed.status, streamed.headers, streamed.body, UPLOAD_LIMIT)
    assert streamed.chunks_read < CHUNKS, "refused while the file was still arriving"
    assert stored(db, Referral) == 1


def test_the_default_limits_are_those_of_the_settings(client: TestClient, settings: Settings) -> None:
    oversized = b"{" + b" " * settings.http_max_body_bytes + b"}"
    response = client.post("/auth/login", content=oversized, headers={"Content-Type": "application/json"})
    assert_too_large(response.status_code, response.headers, response.content, settings.http_max_body_bytes)
