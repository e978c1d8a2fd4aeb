"""The linkage API as partner agencies use it: upload links at once, subjects, judgements, alerts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.linkage.helpers import HEADER, Row
from tests.support.world import World, build_world

SHARED = "shared.person@example.org"


def upload(
    client: TestClient, world: World, agency: str, rows: list[Row], **form: object
) -> dict[str, object]:
    data = (HEADER + "".join(row.line() for row in rows)).encode()
    response = client.post(
        f"/operations/{world.operation_id}/referrals",
        headers=world.headers(agency, "analyst"),
        files={"file": (f"{agency.lower()}.csv", data, "text/csv")},
        data=form,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_upload_alerts_the_other_holder_and_the_subject_explains_itself(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    first = upload(client, world, "LEAD", [Row("1001", "darkfox", SHARED)], label="GREEN")
    assert "linkage run" in str(first["linkage"])
    second = upload(client, world, "PARTNER", [Row("77", "fox", SHARED, platform="photoapp")], label="GREEN")
    assert "1 new alert" not in str(second["linkage"])  # one alert to each holder: two
    partner = world.headers("PARTNER", "analyst")

    alerts = client.get(f"/operations/{world.operation_id}/alerts", headers=partner).json()
    assert [(a["status"], a["evidence"]) for a in alerts] == [("new", ["email"])]
    subject = client.get(f"/subjects/{alerts[0]['subject']}", headers=partner).json()
    assert {r["agency"] for r in subject["records"]} == {"LEAD", "PARTNER"}
    (link,) = subject["links"]
    assert link["kind"] == "selector" and link["why"] == f"shared email {SHARED}"

    outsider = client.get(f"/subjects/{alerts[0]['subject']}", headers=world.headers("OUTSIDER", "analyst"))
    assert outsider.status_code == 404

    acknowledged = client.post(f"/alerts/{alerts[0]['id']}/acknowledge", headers=partner)
    assert acknowledged.json()["status"] == "acknowledged"
    resolved = client.post(
        f"/alerts/{alerts[0]['id']}/resolve",
        headers=partner,
        json={"lead_agency": "LEAD", "note": "GB leads"},
    )
    assert resolved.json()["status"] == "resolved"
    again = client.post(f"/alerts/{alerts[0]['id']}/acknowledge", headers=partner)
    assert again.status_code == 409


def test_a_judgement_on_an_unseen_record_is_a_404_and_a_seen_one_splits(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    upload(client, world, "LEAD", [Row("1001", "darkfox", SHARED)], label="AMBER", released_to=["PARTNER"])
    upload(client, world, "PARTNER", [Row("77", "fox", SHARED, platform="photoapp")], label="AMBER")
    partner = world.headers("PARTNER", "analyst")
    (summary,) = client.get(f"/operations/{world.operation_id}/subjects", headers=partner).json()
    subject = client.get(f"/subjects/{summary['public_id']}", headers=partner).json()
    first, second = (r["id"] for r in subject["records"])
    body = {"first": first, "second": second, "verdict": "not_same", "reason": "siblings"}

    unseen = client.post("/judgements", headers=world.headers("LEAD", "analyst"), json=body)
    assert unseen.status_code == 404, unseen.text
    judged = client.post("/judgements", headers=partner, json=body)
    assert judged.status_code == 201, judged.text
    listed = client.get(f"/operations/{world.operation_id}/subjects", headers=partner).json()
    assert sorted(s["records"] for s in listed) == [1, 1]
    old = client.get(f"/subjects/{summary['public_id']}", headers=partner).json()
    assert old["status"] == "split" and [h["kind"] for h in old["history"]][-1] == "split"
