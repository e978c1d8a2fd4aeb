"""Operation figures, public releases and consent through the HTTP API and the command line."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.stats.figures import MEASURES
from tests.stats.test_release import audit_count, release_world
from tests.support.cli import fails, ok


def last_release(db: Database) -> dict[str, object]:
    with db.transaction() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "stats.public_release")
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert entry is not None
    published: dict[str, object] = json.loads(entry.detail["published"])
    return published


def test_api(db: Database, settings: Settings, client: TestClient) -> None:
    world = release_world(db, settings)
    op, url = world.operation_id, f"/operations/{world.operation_id}/stats"
    coordinator = world.headers("LEAD", "coordinator")

    shown = client.get(url, headers=coordinator)
    assert shown.status_code == 200
    body = shown.json()
    assert body["measures"] == list(MEASURES) and body["viewer"] == "user:coordinator.lead (LEAD)"
    assert body["countries"]["GB"]["children_identified"] == 12
    assert body["countries"]["CA"]["children_identified"] == 15
    assert (
        body["totals"]["children_identified"]
        == 27
        == sum(m["children_identified"] for m in body["months"].values())
    )
    assert set(body["countries"]) == {"CA", "GB", "IE", "NL"}
    # PARTNER's users may not see LEAD's AMBER+STRICT victims: not counted for them
    partner = client.get(url, headers=world.headers("PARTNER", "analyst")).json()
    assert partner["totals"]["children_identified"] == 0
    assert client.get(url, headers=coordinator, params={"as_of": "2999-01-01"}).status_code == 422
    assert client.get(url).status_code == 401

    reads = audit_count(db, "stats.read")
    outsider = client.get(url, headers=world.headers("OUTSIDER", "coordinator"))
    assert outsider.status_code == 404 and outsider.json()["error"]["code"] == "not_found"
    assert audit_count(db, "stats.read") == reads

    public = f"{url}/public"
    for refused, status in (
        (client.post(public, headers=world.headers("OUTSIDER", "coordinator"), json={}), 404),
        (client.post(public, headers=world.headers("LEAD", "analyst"), json={}), 403),
        (client.post(public, headers=coordinator, json={"threshold": 0}), 422),
        (client.post(public, headers=coordinator, json={"base": 0}), 422),
        (client.post(public, headers=coordinator, json={"wording": "exact"}), 422),
    ):
        assert refused.status_code == status, refused.json()
    assert audit_count(db, "stats.public_release") == 0

    consents = f"{url}/consents"
    agreed = client.post(consents, headers=world.headers("PARTNER", "coordinator"), json={"country": "ca"})
    assert agreed.status_code == 200 and agreed.json()["country"] == "CA" and agreed.json()["current"]
    not_theirs = client.post(consents, headers=coordinator, json={"country": "CA", "agree": False})
    assert not_theirs.status_code == 403
    assert client.post(consents, headers=coordinator, json={"country": "GB"}).status_code == 200

    released = client.post(public, headers=coordinator, json={"threshold": 10, "base": 5})
    assert released.status_code == 200
    assert released.json() == last_release(db)
    assert released.json()["consenting"] == ["CA", "GB"]
    assert released.json()["countries"]["IE"]["arrests"]["text"] == "not disclosed"

    withdrawn = client.post(
        consents, headers=world.headers("PARTNER", "coordinator"), json={"country": "CA", "agree": False}
    )
    assert withdrawn.status_code == 200 and not withdrawn.json()["current"]
    listed = client.get(consents, headers=world.headers("LATE", "analyst")).json()
    assert [(c["country"], c["current"], c["withdrawn_by"]) for c in listed] == [
        ("CA", False, "coordinator.partner"),
        ("GB", True, None),
    ]
    again = client.post(public, headers=coordinator, json={"wording": "about"}).json()
    assert again["countries"]["CA"]["children_identified"]["status"] == "not_disclosed"
    assert client.get(consents, headers=world.headers("OUTSIDER", "analyst")).status_code == 404
    assert op


def test_cli(db: Database, settings: Settings, tmp_path: Path) -> None:
    world = release_world(db, settings)
    url, op = settings.database_url, str(world.operation_id)

    shown = ok(url, "stats", "--operation", op, "--user", "coordinator.lead")
    assert "per country" in shown and "per month" in shown and "children identified" in shown
    assert "Total" in shown and "27" in shown
    internal = json.loads(ok(url, "stats", "--operation", op, "--user", "coordinator.lead", "--json"))
    assert internal["countries"]["CA"]["children_identified"] == 15

    assert "--user" in fails(url, "stats", "--operation", op)
    assert "not found" in fails(url, "stats", "--operation", op, "--user", "analyst.outsider")
    assert "apply to --public" in fails(
        url, "stats", "--operation", op, "--user", "coordinator.lead", "--base", "10"
    )
    for option, value, word in (
        ("--threshold", "0", "threshold"),
        ("--base", "0", "base"),
        ("--wording", "exact", "wording"),
    ):
        line = fails(url, "stats", "--operation", op, "--user", "coordinator.lead", "--public", option, value)
        assert word in line
    assert "coordinators" in fails(url, "stats", "--operation", op, "--user", "analyst.lead", "--public")

    assert "GB agreed" in ok(
        url, "stats", "consent", "--operation", op, "--country", "GB", "--user", "coordinator.lead"
    )
    assert "for CA" in fails(
        url, "stats", "consent", "--operation", op, "--country", "CA", "--user", "coordinator.lead"
    )
    listed = ok(url, "stats", "consents", "--operation", op, "--user", "analyst.partner")
    assert "GB" in listed and "agreed" in listed and "coordinator.lead" in listed

    published = json.loads(
        ok(url, "stats", "--operation", op, "--user", "coordinator.lead", "--public", "--json")
    )
    assert published == last_release(db)
    assert published["countries"]["CA"]["children_identified"]["text"] == "not disclosed"
    report = tmp_path / "figures.html"
    table = ok(
        url, "stats", "--operation", op, "--user", "coordinator.lead", "--public", "--wording", "about",
        "--html", str(report),
    )  # fmt: skip
    assert "report written to" in table and "not disclosed" in table and report.exists()
    assert "GB withdrew" in ok(
        url,
        "stats",
        "consent",
        "--operation",
        op,
        "--country",
        "GB",
        "--user",
        "coordinator.lead",
        "--withdraw",
    )
