"""The same workflow over HTTP: send, list, read as PDF, receipt, acknowledgement, outcome, overdue,
verify; another agency's package answers 404 exactly like a missing one."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.dissemination.scenario import build

REF = "PKG-1-PARTNER-V1"


def test_packages_over_http(client: TestClient, db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    op, world = scene.op, scene.world
    lead, partner, late = (
        world.headers("LEAD", "coordinator"),
        world.headers("PARTNER", "analyst"),
        world.headers("LATE", "analyst"),
    )
    for asked, status, words in (("XX", 422, "unknown country code"), ("OUTSIDER", 422, "not a member")):
        refused = client.post(f"/operations/{op}/packages", headers=lead, json={"agency": asked})
        assert refused.status_code == status and words in refused.json()["error"]["message"]
    assert client.post(f"/operations/{op}/packages", headers=partner, json={}).status_code == 403

    sent = client.post(f"/operations/{op}/packages", headers=lead, json={})
    assert sent.status_code == 201
    assert {(r["agency"], r["outcome"]) for r in sent.json()["results"]} == {
        ("LATE", "new"),
        ("LEAD", "new"),
        ("PARTNER", "new"),
    }
    mine = client.get(f"/operations/{op}/packages", headers=partner).json()
    assert [(p["reference"], p["urgency"], p["status"]) for p in mine] == [(REF, "immediate", "sent")]

    pdf = client.get(f"/packages/{REF}/document", headers=partner, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and f'filename="{REF}.pdf"' in pdf.headers["content-disposition"]
    exported = client.get(f"/packages/{REF}/document", headers=partner).content

    missing = client.get("/packages/PKG-1-NOPE-V1/document", headers=late)
    hidden = client.get(f"/packages/{REF}/document", headers=late)
    assert missing.status_code == hidden.status_code == 404
    assert hidden.json()["error"]["message"] == missing.json()["error"]["message"].replace(
        "PKG-1-NOPE-V1", REF
    )
    assert client.post(f"/packages/{REF}/receipt", headers=late).status_code == 404

    assert client.post(f"/packages/{REF}/receipt", headers=partner).json()["received_by"] == "analyst.partner"
    overdue = client.get(f"/operations/{op}/packages/overdue", headers=lead)
    assert overdue.status_code == 200 and overdue.json() == []
    assert client.get(f"/operations/{op}/packages/overdue", headers=partner).status_code == 403
    ack = client.post(f"/packages/{REF}/acknowledgement", headers=partner, json={"note": "on it"})
    assert ack.json()["status"] == "acknowledged"
    child = scene.subjects["child"]
    outcome = client.post(
        f"/packages/{REF}/outcomes", headers=partner, json={"subject": child, "outcome": "arrested"}
    )
    assert outcome.status_code == 201 and outcome.json()["outcome"] == "arrested"
    bad = client.post(
        f"/packages/{REF}/outcomes", headers=partner, json={"subject": child, "outcome": "jailed"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "outcome"
    status = client.get(f"/packages/{REF}", headers=lead).json()  # the coordinator follows it
    assert status["package"]["status"] == "acknowledged" and status["subjects"][0]["outcome"] == "arrested"

    ok = client.post("/packages/verify", headers=partner, files={"file": ("p.json", exported)})
    assert ok.status_code == 200 and ok.json()["reference"] == REF
    body = json.loads(exported)
    body["urgency"] = "routine"
    tampered = client.post("/packages/verify", headers=partner, files={"file": ("p.json", json.dumps(body))})
    assert tampered.status_code == 422 and "altered after it was sent" in tampered.json()["error"]["message"]
