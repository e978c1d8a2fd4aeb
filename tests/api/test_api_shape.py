"""Errors have one stable JSON shape; the OpenAPI document lists what the CLI can do too."""

from __future__ import annotations

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.world import build_world


def test_every_error_has_the_same_shape(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    headers = world.headers("LEAD", "analyst")
    responses = [
        client.get("/nowhere"),
        client.get("/agencies"),
        client.get("/notes/12345", headers=headers),
        client.post("/agencies", headers=headers, json={"code": "X"}),
        client.post("/auth/login", json={"username": "a"}),
        client.delete("/agencies", headers=headers),
    ]
    assert [r.status_code for r in responses] == [404, 401, 404, 422, 422, 405]
    for response in responses:
        body = response.json()
        assert set(body) == {"error", "request_id"}
        assert {"code", "message"} <= set(body["error"])
        assert body["request_id"] == response.headers["X-Request-ID"]


def test_openapi_covers_the_cli_operations(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        ("/auth/login", "post"),
        ("/agencies", "get"),
        ("/agencies", "post"),
        ("/operations", "get"),
        ("/operations", "post"),
        ("/operations/{operation_id}/memberships", "post"),
        ("/users", "post"),
        ("/users", "get"),
        ("/users/{username}/disable", "post"),
        ("/tokens", "post"),
        ("/tokens/{token_id}", "delete"),
        ("/audit/verify", "get"),
    }
    assert expected <= {(path, method) for path, methods in paths.items() for method in methods}
    assert client.get("/docs").status_code == 200


def test_settings_are_read_when_the_app_is_built(monkeypatch: object, tmp_path: object) -> None:
    from pathlib import Path

    import pytest

    from caseweave.api.app import create_app

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    path = Path(str(tmp_path)) / "late.db"
    monkeypatch.setenv("CASEWEAVE_DATABASE_URL", f"sqlite:///{path}")
    app = create_app()
    assert path.exists(), "the URL set after import was used"
    app.state.database.close()
