"""An operation's notes come a page at a time, newest first: pages join up without a gap or a repeat,
and what the reader may not see is on no page (nor counted in the page's size)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.world import build_world


def test_notes_page_newest_first_and_hidden_notes_are_on_no_page(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    notes = f"/operations/{world.operation_id}/notes"
    reader, other = world.headers("PARTNER", "analyst"), world.headers("LEAD", "analyst")
    shown: list[int] = []
    for n in range(7):
        written = client.post(notes, headers=reader, json={"title": f"shared {n}", "tlp": "GREEN"})
        assert written.status_code == 201, written.text
        shown.append(written.json()["id"])
        hidden = client.post(notes, headers=other, json={"title": f"lead only {n}", "tlp": "AMBER+STRICT"})
        assert hidden.status_code == 201, hidden.text

    pages: list[list[int]] = []
    before: int | None = None
    while True:
        params = {"limit": 3} if before is None else {"limit": 3, "before": before}
        page = client.get(notes, headers=reader, params=params)
        assert page.status_code == 200, page.text
        ids = [note["id"] for note in page.json()]
        if not ids:
            break
        pages.append(ids)
        before = ids[-1]
    assert pages == [shown[::-1][:3], shown[::-1][3:6], shown[::-1][6:]]
    assert [note["id"] for note in client.get(notes, headers=reader).json()] == shown[::-1]


def test_a_page_size_or_cursor_out_of_bounds_is_refused_naming_it(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    notes = f"/operations/{world.operation_id}/notes"
    headers = world.headers("LEAD", "analyst")
    for params, field in (
        ({"limit": 0}, "query.limit"),
        ({"limit": 1001}, "query.limit"),
        ({"before": 0}, "query.before"),
        ({"before": 2**31}, "query.before"),
    ):
        answer = client.get(notes, headers=headers, params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["error"]["field"] == field
