"""Attribution and routing over HTTP, and from the command line, as agencies use them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.attribution.scenario import build
from tests.support.cli import fails, ok


def test_the_api_runs_shows_queues_and_routes(client: TestClient, db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    world, op = scene.world, scene.world.operation_id
    lead = world.headers("LEAD", "coordinator")

    refused = client.post(
        f"/operations/{op}/attribution/runs", headers=world.headers("PARTNER", "analyst"), json={}
    )
    assert refused.status_code == 403
    ran = client.post(f"/operations/{op}/attribution/runs", headers=lead, json={})
    assert ran.status_code == 201, ran.text
    assert ran.json()["routed"] == {"LATE": 1, "LEAD": 2, "PARTNER": 1}
    one = client.post(
        f"/operations/{op}/attribution/runs", headers=lead, json={"subjects": [scene.subjects["gb"]]}
    )
    assert (one.json()["subjects"], one.json()["changed"]) == (1, 0)

    shared = scene.subjects["shared"]
    seen = client.get(f"/subjects/{shared}/attribution", headers=world.headers("PARTNER", "analyst"))
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body["top_country"], body["complete"], body["decision"]["route"]["agency"]) == (
        "CA",
        True,
        "PARTNER",
    )
    assert body["provider"] == "geoip2fast" and body["provider_data_date"]
    assert body["explanation"][0].startswith("attribution: CA, confidence 0.80")
    hidden = client.get(f"/subjects/{shared}/attribution", headers=world.headers("LEAD", "analyst")).json()
    assert hidden["decision"] is None and hidden["hidden_note"] and len(hidden["evidence"]) == 3
    outsider = client.get(f"/subjects/{shared}/attribution", headers=world.headers("OUTSIDER", "analyst"))
    assert outsider.status_code == 404

    queue = client.get(f"/operations/{op}/routes/unallocated", headers=lead).json()
    assert len(queue) == 5
    assert (
        client.get(
            f"/operations/{op}/routes/unallocated", headers=world.headers("PARTNER", "coordinator")
        ).status_code
        == 403
    )
    mine = client.get(f"/operations/{op}/routes", headers=world.headers("PARTNER", "analyst")).json()
    assert [(r["subject"], r["agency"]) for r in mine] == [(shared, "PARTNER")]

    fr = scene.subjects["fr"]
    unknown = client.put(f"/subjects/{fr}/route", headers=lead, json={"country": "XX", "reason": "x"})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "country"
    outside = client.put(f"/subjects/{fr}/route", headers=lead, json={"agency": "OUTSIDER", "reason": "x"})
    assert outside.status_code == 422 and "not a member" in outside.json()["error"]["message"]
    other = client.put(
        f"/subjects/{fr}/route",
        headers=world.headers("PARTNER", "coordinator"),
        json={"agency": "PARTNER", "reason": "x"},
    )
    assert other.status_code == 403
    routed = client.put(f"/subjects/{fr}/route", headers=lead, json={"agency": "PARTNER", "reason": "moved"})
    assert routed.status_code == 200 and routed.json()["method"] == "manual"
    back = client.post(f"/subjects/{fr}/route/automatic", headers=lead, json={"reason": "did not move"})
    assert (back.json()["status"], back.json()["reason"]) == ("unallocated", "no_agency")


def test_the_command_line(database_url: str, db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    out = ok(database_url, "attribute", "--operation", "Op Test")
    assert "IP geolocation by geoip2fast" in out and "9 subject(s) attributed, 9 changed" in out
    shared = scene.subjects["shared"]
    shown = ok(database_url, "attribution", "show", shared, "--user", "analyst.partner")
    assert "attribution: CA, confidence 0.80" in shown and "route: routed to PARTNER (CA)" in shown
    assert ok(database_url, "subject", "attribution", shared, "--user", "analyst.partner") == shown
    queue = ok(database_url, "attribution", "queue", "--operation", "Op Test", "--user", "coordinator.lead")
    assert scene.subjects["fr"] in queue and "no lead or partner agency" in queue
    line = fails(
        database_url,
        "attribution",
        "route",
        scene.subjects["fr"],
        "--country",
        "XX",
        "--reason",
        "x",
        "--user",
        "coordinator.lead",
    )
    assert line.startswith("error: unknown country code 'XX' [country]")
    done = ok(
        database_url,
        "attribution",
        "route",
        scene.subjects["fr"],
        "--agency",
        "partner",
        "--reason",
        "moved",
        "--user",
        "coordinator.lead",
    )
    assert f"{scene.subjects['fr']} routed by hand to PARTNER (CA)" in done
    mine = ok(database_url, "attribution", "routes", "--operation", "Op Test", "--user", "analyst.partner")
    assert scene.subjects["fr"] in mine and shared in mine
    line = fails(
        database_url,
        "attribution",
        "routes",
        "--operation",
        "Op Test",
        "--user",
        "analyst.partner",
        "--agency",
        "LEAD",
    )
    assert "routed to your own agency" in line
