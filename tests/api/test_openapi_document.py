"""The OpenAPI document describes every operation, its error answers and its authentication."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caseweave.api.app import create_app
from caseweave.config import Settings

UNAUTHENTICATED = {
    ("post", "/auth/login"),
    ("post", "/auth/totp/enrol"),
    ("post", "/auth/totp/confirm"),
    ("get", "/health"),
}
ERROR_REF = "#/components/schemas/ErrorOut"

Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = tmp_path_factory.mktemp("openapi") / "doc.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    try:
        return app.openapi()
    finally:
        app.state.database.close()


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_the_document_has_the_operations_it_should(document: dict[str, Any]) -> None:
    found = list(operations(document))
    assert len(found) >= 70, "every route is in the document"
    assert not [p for p in document["paths"] if p.startswith(("/docs", "/redoc"))]


def test_every_operation_is_described(document: dict[str, Any]) -> None:
    missing = [
        f"{m.upper()} {p}" for m, p, op in operations(document) if not op.get("description", "").strip()
    ]
    assert missing == []


def test_every_error_answer_has_the_one_error_shape(document: dict[str, Any]) -> None:
    wrong = [
        f"{m.upper()} {p} {status}"
        for m, p, op in operations(document)
        for status, answer in op["responses"].items()
        if status[0] in "45" and answer["content"]["application/json"]["schema"] != {"$ref": ERROR_REF}
    ]
    assert wrong == []
    assert "HTTPValidationError" not in document["components"]["schemas"], "FastAPI's own 422 shape is gone"
    error = document["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"error", "request_id"}


def test_every_operation_declares_the_errors_it_can_give(document: dict[str, Any]) -> None:
    missing: list[str] = []
    for method, path, op in operations(document):
        declared = set(op["responses"])
        expected = set()
        if path != "/health":  # never queued and reads no database: the one that cannot be busy
            expected.add("503")
        if (method, path) not in UNAUTHENTICATED:
            expected.add("401")
        if op.get("parameters") or op.get("requestBody"):
            expected.add("422")
        if op.get("requestBody"):
            expected.add("413")
        missing += [f"{method.upper()} {path} {status}" for status in sorted(expected - declared)]
    assert missing == []


def test_authenticated_operations_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer"), "what Swagger UI's Authorize needs"
    for method, path, op in operations(document):
        if (method, path) in UNAUTHENTICATED:
            assert "security" not in op, f"{method} {path} needs no token"
        else:
            assert op.get("security") == [{"bearer": []}], f"{method.upper()} {path}"


def test_non_json_answers_are_declared_with_their_media_types(document: dict[str, Any]) -> None:
    def success_types(path: str) -> set[str]:
        return set(document["paths"][path]["get"]["responses"]["200"]["content"])

    assert success_types("/operations/{operation_id}/subjects/export") == {"text/csv"}
    assert success_types("/referrals/{referral_id}/quarantine/export") == {"text/csv", "application/x-ndjson"}
    assert {"application/json", "application/pdf"} <= success_types("/packages/{ref}/document")
    assert any(t.startswith("text/html") for t in success_types("/packages/{ref}/document"))
