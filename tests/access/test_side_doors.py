"""Side doors an outsider found: answers that told one agency about another's hidden material through
deduplication, conflict checks, documents, explanations, histories, and writes to shared records."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from sqlalchemy import select

from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.linkage.models import Judgement
from tests.attribution.helpers import Person, tip
from tests.support.world import World, build_world


def upload(
    client: TestClient, world: World, agency: str, content: bytes, name: str, label: str
) -> dict[str, object]:
    response = client.post(
        f"/operations/{world.operation_id}/referrals",
        headers=world.headers(agency, "analyst"),
        data={"label": label},
        files={"file": (name, io.BytesIO(content), "application/xml")},
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, object] = response.json()
    return body


def test_the_same_file_from_another_agency_is_its_own_referral_and_reveals_nothing(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    content = tip("DUP-1", (Person(("dup.person@example.com",)),))
    lead = upload(client, world, "LEAD", content, "lead-red-secret.xml", "RED")
    partner = upload(client, world, "PARTNER", content, "partner.xml", "GREEN")
    assert partner["created"] is True
    referral = partner["referral"]
    assert isinstance(referral, dict) and isinstance(lead["referral"], dict)
    assert referral["id"] != lead["referral"]["id"] and referral["tlp"] == "GREEN"
    assert "lead-red-secret" not in str(partner) and "RED" not in str(partner)
    again = upload(client, world, "PARTNER", content, "partner-again.xml", "GREEN")
    assert again["created"] is False and again["referral"] == referral  # twice adds nothing
    with db.transaction() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("referral.%"))).all()
    assert actions.count("referral.import") == 2 and "referral.duplicate" in actions


SHARED = "shared.side@example.com"


def _seed(client: TestClient, db: Database, settings: Settings) -> tuple[World, str, int]:
    """One person held by LEAD (GREEN, stating Canada), by LEAD's analyst under RED (an .fr e-mail:
    a French clue) and by LATE under AMBER+STRICT; attributed to Canada and routed to PARTNER."""
    world = build_world(db, settings, roles=("analyst", "investigator", "coordinator"))
    upload(
        client, world, "LEAD", tip("S-1", (Person((SHARED,), country="CA", phone="CA"),)), "s1.xml", "GREEN"
    )
    red = upload(
        client, world, "LEAD", tip("S-2", (Person((SHARED, "red.side@exemple.fr")),)), "s2.xml", "RED"
    )
    upload(client, world, "LATE", tip("S-3", (Person((SHARED,)),)), "late-strict.xml", "AMBER+STRICT")
    coordinator = world.headers("LEAD", "coordinator")
    op = world.operation_id
    assert client.post(f"/operations/{op}/attribution/runs", headers=coordinator, json={}).status_code == 201
    subjects = client.get(f"/operations/{op}/subjects", headers=world.headers("LEAD", "analyst")).json()
    referral = red["referral"]
    assert isinstance(referral, dict)
    return world, subjects[0]["public_id"], int(referral["id"])


def test_a_package_and_an_attribution_tell_nothing_of_hidden_holders_or_evidence(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world, subject, _ = _seed(client, db, settings)
    op = world.operation_id
    coordinator = world.headers("LEAD", "coordinator")
    sent = client.post(f"/operations/{op}/packages", headers=coordinator, json={"agency": "PARTNER"})
    assert sent.status_code == 201, sent.text
    reference = sent.json()["results"][0]["package"]["reference"]
    partner = world.headers("PARTNER", "investigator")
    document = client.get(f"/packages/{reference}/document", headers=partner)
    assert document.status_code == 200, document.text
    text = document.text
    assert "LATE" not in text and "Late Agency" not in text  # the AMBER+STRICT holder
    assert '"FR"' not in text and "exemple.fr" not in text  # the RED clue and what it weighs
    for fmt in ("html", "pdf"):
        assert client.get(f"/packages/{reference}/document?format={fmt}", headers=partner).status_code == 200
    attribution = client.get(f"/subjects/{subject}/attribution", headers=partner).json()
    assert "FR" not in attribution["distribution"]
    assert attribution["decision"] is None or "FR" not in attribution["decision"]["distribution"]
    queue = client.get(f"/operations/{op}/routes", headers=coordinator).json()
    assert all("FR" not in entry["distribution"] for entry in queue)  # the RED clue is its author's


def test_history_and_duplicates_consider_only_what_the_reader_may_see(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world, subject, _ = _seed(client, db, settings)
    op = world.operation_id
    view = client.get(f"/subjects/{subject}", headers=world.headers("PARTNER", "analyst"))
    assert view.status_code == 200 and view.json()["history"] == []  # would date the hidden imports
    arrest = {"subject": subject, "kind": "arrested", "date": "2025-02-13", "country": "CA"}
    red = client.post(
        f"/operations/{op}/outcomes",
        headers=world.headers("LEAD", "investigator"),
        json={**arrest, "tlp": "RED"},
    )
    assert red.status_code == 201, red.text
    partner = client.post(
        f"/operations/{op}/outcomes", headers=world.headers("PARTNER", "investigator"), json=arrest
    )
    assert partner.status_code == 201, partner.text  # not "already recorded": it may not see the RED one
    again = client.post(
        f"/operations/{op}/outcomes", headers=world.headers("PARTNER", "investigator"), json=arrest
    )
    assert again.status_code == 409  # its own duplicate is still refused


def test_a_released_victim_is_changed_only_with_the_owners_grant_and_corrected_by_the_owner(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world, _, red_referral = _seed(client, db, settings)
    op = world.operation_id
    lead = world.headers("LEAD", "analyst")
    partner = world.headers("PARTNER", "investigator")

    def victim(**extra: object) -> str:
        body = {"pseudonym": "Child S", "tlp": "AMBER", "released_to": ["PARTNER"], **extra}
        response = client.post(f"/operations/{op}/victims", headers=lead, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["public_id"])

    read_only = victim()
    linked = client.post(
        f"/victims/{read_only}/links", headers=lead, json={"kind": "referral", "target": str(red_referral)}
    )
    assert linked.status_code == 201, linked.text
    shown = client.get(f"/victims/{read_only}", headers=partner)
    assert shown.status_code == 200 and shown.json()["links"] == []  # the RED referral is not even an id
    refused = client.post(f"/victims/{read_only}/status", headers=partner, json={"status": "identified"})
    assert refused.status_code == 403, refused.text
    assert client.get(f"/victims/{read_only}", headers=partner).json()["victim"]["status"] == "unidentified"

    granted = victim(writers=["PARTNER"])
    safeguarded = client.post(f"/victims/{granted}/status", headers=partner, json={"status": "safeguarded"})
    assert safeguarded.status_code == 201, safeguarded.text
    no_reason = client.post(
        f"/victims/{granted}/status", headers=lead, json={"status": "identified", "correction": True}
    )
    assert no_reason.status_code == 422
    partner_fix = client.post(
        f"/victims/{granted}/status",
        headers=partner,
        json={"status": "identified", "correction": True, "note": "wrong child"},
    )
    assert partner_fix.status_code == 403
    fixed = client.post(
        f"/victims/{granted}/status",
        headers=lead,
        json={"status": "identified", "correction": True, "note": "recorded against the wrong child"},
    )
    assert fixed.status_code == 201, fixed.text
    detail = client.get(f"/victims/{granted}", headers=lead).json()
    assert detail["victim"]["status"] == "identified"
    assert [e["status"] for e in detail["events"]] == ["identified", "safeguarded", "identified"]


def test_a_judgement_replaces_only_judgements_its_author_may_see(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    op = world.operation_id
    person = (Person(("judged.side@example.com",)),)
    for report in ("J-1", "J-2"):  # two AMBER records of LEAD, released to PARTNER
        response = client.post(
            f"/operations/{op}/referrals",
            headers=world.headers("LEAD", "analyst"),
            data={"label": "AMBER", "released_to": ["PARTNER"]},
            files={"file": (f"{report}.xml", io.BytesIO(tip(report, person)), "application/xml")},
        )
        assert response.status_code == 201, response.text
    records = [
        r["id"]
        for ref in client.get(
            f"/operations/{op}/referrals", headers=world.headers("PARTNER", "analyst")
        ).json()
        for r in client.get(f"/referrals/{ref['id']}", headers=world.headers("PARTNER", "analyst")).json()[
            "persons"
        ]
    ]
    assert len(records) == 2

    def judge(agency: str, verdict: str) -> None:
        body = {"first": records[0], "second": records[1], "verdict": verdict, "reason": agency}
        assert (
            client.post("/judgements", headers=world.headers(agency, "analyst"), json=body).status_code == 201
        )

    judge("LEAD", "not_same")  # labelled AMBER, LEAD's own: PARTNER may not see it
    judge("PARTNER", "same")
    with db.transaction() as session:
        active = session.execute(select(Judgement.verdict, Judgement.active).order_by(Judgement.id)).all()
    assert [tuple(row) for row in active] == [("not_same", True), ("same", True)]
