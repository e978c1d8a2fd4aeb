"""Ids in paths, queries and bodies are bounded by what both engines store: above PostgreSQL's INTEGER
the answer is 422 naming the field (it was a 500 there), at the bound an ordinary 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.base import MAX_ID
from caseweave.db.runtime import Database
from tests.support.world import build_world


def test_ids_past_what_the_engines_store_are_invalid(
    client: TestClient, db: Database, settings: Settings
) -> None:
    headers = build_world(db, settings, roles=("analyst",)).headers("LEAD", "analyst")
    assert MAX_ID == 2**31 - 1
    for path in ("/operations/{}", "/notes/{}", "/referrals/{}/quarantine", "/media/banks/{}/export"):
        at_bound = client.get(path.format(MAX_ID), headers=headers)
        assert at_bound.status_code == 404, (path, at_bound.text)
        past = client.get(path.format(MAX_ID + 1), headers=headers)
        assert past.status_code == 422, (path, past.text)
        assert past.json()["error"]["field"].startswith("path."), past.text
    judged = client.post(
        "/judgements", headers=headers, json={"first": MAX_ID + 1, "second": 1, "verdict": "same"}
    )
    assert judged.status_code == 422 and judged.json()["error"]["field"] == "body.first", judged.text
    entries = client.get("/audit/entries", params={"after_seq": MAX_ID + 1}, headers=headers)
    assert entries.status_code == 422 and entries.json()["error"]["field"] == "query.after_seq", entries.text
