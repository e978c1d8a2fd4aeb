"""The fix-and-re-import flow over HTTP: list, export, upload with `amends`; need-to-know and audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.intake.test_quarantine import HEADER, LINES
from tests.support.world import World, build_world


def upload(client: TestClient, world: World, agency: str, name: str, body: bytes, **data: str) -> Response:
    response: Response = client.post(
        f"/operations/{world.operation_id}/referrals",
        headers=world.headers(agency, "analyst"),
        files={"file": (name, body, "text/csv")},
        data=data,
    )
    return response


def test_quarantine_over_http(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    sent = upload(
        client,
        world,
        "LEAD",
        "return.csv",
        (HEADER + "".join(LINES)).encode(),
        partial="true",
        released_to="PARTNER",
    )
    assert sent.status_code == 201, sent.text
    original = sent.json()["referral"]["id"]

    for agency, status in (("LEAD", 200), ("PARTNER", 200), ("LATE", 404), ("OUTSIDER", 404)):
        listed = client.get(f"/referrals/{original}/quarantine", headers=world.headers(agency, "analyst"))
        assert listed.status_code == status, agency
    listed = client.get(f"/referrals/{original}/quarantine", headers=world.headers("LEAD", "analyst"))
    assert [(r["field"], r["resolved"]) for r in listed.json()] == [
        ("login_time", False),
        ("login_port", False),
    ]
    assert listed.json()[0]["raw"] == LINES[1].rstrip("\n")

    exported = client.get(
        f"/referrals/{original}/quarantine/export", headers=world.headers("LEAD", "analyst")
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert f'filename="referral-{original}-quarantine.csv"' in exported.headers["content-disposition"]
    fixed = exported.content.replace(b"last tuesday", b"2025-03-05T10:00:00Z").replace(b"99999", b"8080")

    refused = upload(client, world, "PARTNER", "fixed.csv", fixed, amends=str(original))
    assert refused.status_code == 403, refused.text
    unseen = upload(client, world, "LATE", "fixed.csv", fixed, amends=str(original))
    assert unseen.status_code == 404, unseen.text

    amended = upload(client, world, "LEAD", "fixed.csv", fixed, amends=str(original))
    assert amended.status_code == 201, amended.text
    body = amended.json()
    assert body["referral"]["amends_referral_id"] == original
    assert body["amendment"] == {"original_id": original, "resolved": {str(original): 2}, "still_open": 0}
    shown = client.get(f"/referrals/{original}", headers=world.headers("PARTNER", "analyst")).json()
    assert shown["status"] == "amended"
    listed = client.get(f"/referrals/{original}/quarantine", headers=world.headers("PARTNER", "analyst"))
    assert {r["resolved_by_referral_id"] for r in listed.json()} == {body["referral"]["id"]}

    with db.transaction() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert {"quarantine.list", "quarantine.export", "referral.amend"} <= set(actions)
