"""A client's X-Request-ID is kept only when short and safe; otherwise the server makes its own, and
the audit log stores only what the answer names."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from caseweave.api.request_id import SAFE_REQUEST_ID, accepted_request_id
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.world import build_world

CASES = [
    ("req-42", True),
    ("A.b_c-9", True),
    ("x" * 64, True),
    ("x" * 65, False),
    ("x" * 10_000, False),
    ("", False),
    ("two words", False),
    ("<script>alert(1)</script>", False),
    ("../../etc", False),
    ("id;drop", False),
]


@pytest.mark.parametrize(("given", "kept"), CASES)
def test_only_a_short_safe_request_id_is_kept(
    client: TestClient, db: Database, settings: Settings, given: str, kept: bool
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    response = client.get(
        f"/operations/{world.operation_id}/notes",
        headers={**world.headers("LEAD", "analyst"), "X-Request-ID": given},
    )
    assert response.status_code == 200
    answered = response.headers["X-Request-ID"]
    assert (answered == given) is kept
    assert SAFE_REQUEST_ID.fullmatch(answered)
    with db.transaction() as session:
        stored = session.scalars(select(AuditEntry.request_id).where(AuditEntry.action == "note.list")).all()
    assert stored == [answered]


def test_an_error_answer_names_the_same_request_id(client: TestClient) -> None:
    response = client.get("/nowhere", headers={"X-Request-ID": "y" * 65})
    assert response.status_code == 404
    assert response.json()["request_id"] == response.headers["X-Request-ID"] != "y" * 65


def test_a_trailing_newline_is_not_safe() -> None:
    # `re.match(r"^…$")` would accept it: `$` also matches before a final newline.
    assert accepted_request_id("req-42") == "req-42"
    assert accepted_request_id("req-42\n") != "req-42\n"
    assert accepted_request_id(None)
