"""Text a request brings: a NUL character anywhere is refused with 422 naming where, on both engines
(PostgreSQL cannot store one: it was a 500), and nothing is stored; a body that cannot be read at all
gets the same 422 as malformed JSON."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.world import build_world


def _field(response: object) -> str:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "invalid"
    field: str = body["error"]["field"]
    return field


def test_nul_characters_are_refused_where_they_are(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    headers = world.headers("LEAD", "analyst")
    op = world.operation_id

    assert (
        _field(client.post("/auth/login", json={"username": "a\x00", "password": "x" * 12}))
        == "body.username"
    )
    assert _field(client.get("/subjects/SUB-%00", headers=headers)) == "path.public_id"
    assert _field(client.get(f"/operations/{op}/alerts", params={"status": "\x00"}, headers=headers)) == (
        "query.status"
    )
    note = {"title": "fine", "body": "not \x00 fine", "tlp": "GREEN"}
    assert _field(client.post(f"/operations/{op}/notes", json=note, headers=headers)) == "body.body"
    nested = {"agency": "PARTNER", "extra": [{"k\x00": 1}]}
    assert _field(client.post(f"/operations/{op}/packages", json=nested, headers=headers)) == "body.extra.0"
    upload = {"file": ("bank.csv", io.BytesIO(b"sha256\n" + b"ab" * 32 + b"\n"), "text/csv")}
    answer = client.post(
        f"/operations/{op}/media/banks", files=upload, data={"name": "b\x00"}, headers=headers
    )
    assert _field(answer) == "body.name"
    raw = (  # a file name as a client that does not percent-encode it sends it
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="bank\x00.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nsha256\r\n--b--\r\n"
    )
    multipart = {**headers, "Content-Type": "multipart/form-data; boundary=b"}
    assert _field(client.post(f"/operations/{op}/media/banks", content=raw, headers=multipart)) == "body.file"

    listed = client.get(f"/operations/{op}/notes", headers=headers)
    assert listed.status_code == 200 and listed.json() == [], "the refused note was not stored"
    banks = client.get(f"/operations/{op}/media/banks", headers=headers)
    assert banks.status_code == 200 and banks.json() == []


def test_text_without_nul_passes(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    headers = world.headers("LEAD", "analyst")
    note = {"title": "a \\u0000 spelled out is fine", "body": "tab\tand é", "tlp": "GREEN"}
    answer = client.post(f"/operations/{world.operation_id}/notes", json=note, headers=headers)
    assert answer.status_code == 201, answer.text


def test_an_unreadable_body_is_invalid_input(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    headers = {**world.headers("LEAD", "analyst"), "Content-Type": "application/json"}
    not_utf8 = client.post(f"/operations/{world.operation_id}/notes", content=b"\xff\xfe{", headers=headers)
    broken_json = client.post(
        f"/operations/{world.operation_id}/notes", content=b'{"title": ', headers=headers
    )
    assert (_field(not_utf8), _field(broken_json)) == ("body", "body.10")  # FastAPI names the offset
