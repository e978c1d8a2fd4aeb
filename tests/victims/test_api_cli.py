"""Victims, the queue and outcomes through the HTTP API and the command line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.cli import fails, ok
from tests.victims.helpers import build


def test_api(db: Database, settings: Settings, client: TestClient) -> None:
    scene = build(db, settings)
    lead, partner = scene.world.headers("LEAD", "analyst"), scene.world.headers("PARTNER", "analyst")
    made = client.post(f"/operations/{scene.op}/victims", headers=lead, json={"pseudonym": "Child A"})
    assert made.status_code == 201 and made.json()["tlp"] == "AMBER+STRICT"
    ref = made.json()["public_id"]
    linked = client.post(
        f"/victims/{ref}/links", headers=lead, json={"kind": "referral", "target": str(scene.tip_id)}
    )
    assert linked.status_code == 201
    queue = client.get(f"/operations/{scene.op}/safeguarding-queue", headers=lead).json()
    assert queue[0]["victim"] == ref and {p["factor"] for p in queue[0]["parts"]} >= {"live", "new_material"}
    assert client.get(f"/victims/{ref}", headers=partner).status_code == 404
    assert (
        client.post(f"/victims/{ref}/status", headers=partner, json={"status": "identified"}).status_code
        == 404
    )
    moved = client.post(f"/victims/{ref}/status", headers=lead, json={"status": "safeguarded"})
    assert moved.status_code == 201
    again = client.post(f"/victims/{ref}/status", headers=lead, json={"status": "safeguarded"})
    assert again.status_code == 409 and again.json()["error"]["field"] == "status"
    shown = client.get(f"/victims/{ref}", headers=lead).json()
    assert [e["status"] for e in shown["events"]] == ["identified", "safeguarded"]

    host = scene.subjects["host"]
    day = (date.today() - timedelta(days=3)).isoformat()
    arrest = client.post(
        f"/operations/{scene.op}/outcomes",
        headers=lead,
        json={"subject": host, "kind": "arrested", "date": day},
    )
    assert arrest.status_code == 201 and arrest.json()["country"] == "GB"
    early = (date.today() - timedelta(days=4)).isoformat()
    bad = client.post(
        f"/operations/{scene.op}/outcomes",
        headers=lead,
        json={"subject": host, "kind": "charged", "date": early, "counts": 1, "offence": "x"},
    )
    assert bad.status_code == 422 and "before the arrest" in bad.json()["error"]["message"]
    hidden = client.post(
        f"/operations/{scene.op}/outcomes",
        headers=partner,
        json={"subject": host, "kind": "arrested", "date": day},
    )
    assert hidden.status_code == 404
    csv = f"subject,kind,date\n{host},convicted,{day}\n".encode()
    imported = client.post(
        f"/operations/{scene.op}/outcomes/import", headers=lead, files={"file": ("r.csv", csv, "text/csv")}
    )
    assert imported.json() == {"added": 1, "skipped_lines": []}
    listed = client.get(f"/operations/{scene.op}/outcomes", headers=lead, params={"subject": host}).json()
    assert [o["kind"] for o in listed] == ["arrested", "convicted"]


def test_cli(db: Database, settings: Settings, tmp_path: Path) -> None:
    scene = build(db, settings)
    url = settings.database_url
    op = str(scene.op)
    assert "added (unidentified" in ok(
        url, "victim", "add", "--operation", op, "--pseudonym", "Child Z", "--user", "analyst.lead"
    )
    ok(url, "victim", "link", "VIC-000001", "referral", str(scene.tip_id), "--user", "analyst.lead")
    assert "Child Z" in ok(url, "victim", "list", "--operation", op, "--user", "analyst.lead")
    assert "live +40" in ok(url, "safeguarding", "queue", "--operation", op, "--user", "analyst.lead")
    ok(url, "victim", "status", "VIC-000001", "safeguarded", "--user", "analyst.lead")
    assert "already safeguarded" in fails(
        url, "victim", "status", "VIC-000001", "safeguarded", "--user", "analyst.lead"
    )
    assert "not found" in fails(url, "victim", "show", "VIC-000001", "--user", "analyst.partner")
    assert "safeguarded" in ok(url, "victim", "show", "VIC-000001", "--user", "analyst.lead")
    host, day = scene.subjects["host"], (date.today() - timedelta(days=2)).isoformat()
    ok(url, "outcome", "add", "--operation", op, host, "arrested", "--date", day, "--user", "analyst.lead")
    file = tmp_path / "return.csv"
    file.write_text(f"subject,kind,date,counts,offence\n{host},charged,{day},9,indecent images\n")
    assert "1 outcome(s) added" in ok(
        url, "outcome", "import", str(file), "--operation", op, "--user", "analyst.lead"
    )
    assert "0 outcome(s) added, 1 already held" in ok(
        url, "outcome", "import", str(file), "--operation", op, "--user", "analyst.lead"
    )
    listed = ok(url, "outcome", "list", "--operation", op, "--user", "analyst.lead")
    assert "9 count(s); indecent images" in listed and "arrested" in listed
    assert "a sentence without a conviction" in fails(
        url, "outcome", "add", "--operation", op, host, "sentenced", "--date", day, "--sentence", "2 years",
        "--user", "analyst.lead",
    )  # fmt: skip
