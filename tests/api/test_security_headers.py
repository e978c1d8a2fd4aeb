"""Every answer carries the security headers: data, errors, 404s, refusals and even a crash; the
documentation pages load only what this server serves them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from caseweave.api.app import create_app
from caseweave.api.headers import API_POLICY
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.world import build_world


def assert_hardened(response: Response, policy: str = API_POLICY, cache: str = "no-store") -> None:
    headers = response.headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Content-Security-Policy"] == policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == cache
    assert headers["X-Request-ID"]


def test_data_and_error_answers_carry_the_headers(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    headers = world.headers("LEAD", "analyst")
    notes = f"/operations/{world.operation_id}/notes"
    created = client.post(notes, headers=headers, json={"title": "briefing", "tlp": "GREEN"})
    answers = {
        "data": client.get(notes, headers=headers),
        "created": created,
        "health": client.get("/health"),
        "openapi": client.get("/openapi.json"),
        "unauthenticated": client.get(notes),
        "invalid": client.post(notes, headers=headers, json={"tlp": "GREEN"}),
        "absent note": client.get("/notes/999999", headers=headers),
        "no such route": client.get("/nowhere"),
        "wrong method": client.delete("/health"),
    }
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "data": 200,
        "created": 201,
        "health": 200,
        "openapi": 200,
        "unauthenticated": 401,
        "invalid": 422,
        "absent note": 404,
        "no such route": 404,
        "wrong method": 405,
    }
    assert [note["title"] for note in answers["data"].json()] == ["briefing"]
    for response in answers.values():
        assert_hardened(response)


def test_an_unexpected_error_answers_500_with_the_headers(db: Database) -> None:
    app = create_app(database=db)

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/crash", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal", "message": "internal error; quote the request id to the operators"},
        "request_id": "crash-1",
    }
    assert_hardened(response)
    assert response.headers["X-Request-ID"] == "crash-1"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_documentation_pages_load_only_their_own_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "http" not in policy and "unsafe-eval" not in policy
    assert_hardened(response, policy=policy)
    html = response.text
    assert "//" not in html, "nothing is loaded from another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(asset.startswith("/docs/assets/") for asset in assets)
    for asset in assets:
        loaded = client.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 100
        assert loaded.headers["Cache-Control"].startswith("public")
        assert loaded.headers["Content-Type"].split(";")[0] in {"text/javascript", "text/css", "image/png"}
    assert client.get("/docs/assets/openapi.json").status_code == 404
