"""Administration reaches only as far as it should: the attack an outsider found (a coordinator in no
operation with an agency made users in it) and each rule of the role table (docs/architecture.md)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.operations.test_setup import nothing_changes
from tests.support.world import START, World, build_world

ROLES = ("analyst", "coordinator", "agency_admin", "platform_admin", "auditor", "oversight")


def world_with_secret(client: TestClient, db: Database, settings: Settings) -> World:
    world = build_world(db, settings, roles=ROLES)
    note = client.post(
        f"/operations/{world.operation_id}/notes",
        headers=world.headers("LEAD", "analyst"),
        json={"title": "lead strict secret", "tlp": "AMBER+STRICT"},
    )
    assert note.status_code == 201
    return world


def test_a_coordinator_cannot_reach_into_an_agency_it_invites(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = world_with_secret(client, db, settings)
    outsider = world.headers("OUTSIDER", "coordinator")
    own = client.post(
        "/operations",
        headers=outsider,
        json={"name": "Op Mine", "lead_agency": "OUTSIDER", "start_date": str(START)},
    )
    assert own.status_code == 201
    invited = client.post(
        f"/operations/{own.json()['id']}/memberships", headers=outsider, json={"agency": "LEAD"}
    )
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    with nothing_changes(db):
        made = client.post(
            "/users", headers=outsider, json={"username": "mole", "agency": "LEAD", "roles": ["analyst"]}
        )
        assert made.status_code == 403
        disabled = client.post("/users/agency_admin.lead/disable", headers=outsider)
        absent = client.post("/users/nobody.at.all/disable", headers=outsider)
        assert disabled.status_code == absent.status_code == 404
        assert disabled.json()["error"]["message"].replace("agency_admin.lead", "X") == absent.json()[
            "error"
        ]["message"].replace("nobody.at.all", "X")
    notes = client.get(f"/operations/{world.operation_id}/notes", headers=outsider)
    assert notes.status_code == 404 and "secret" not in notes.text


def test_an_agency_admin_manages_only_its_own_agency_and_never_an_admin(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst", "agency_admin", "platform_admin"))
    admin = world.headers("LEAD", "agency_admin")
    ok = client.post(
        "/users", headers=admin, json={"username": "new.lead", "agency": "LEAD", "roles": ["analyst"]}
    )
    assert ok.status_code == 201, ok.text
    with nothing_changes(db):
        for roles, agency, status in (
            (["analyst"], "PARTNER", 403),
            (["platform_admin"], "LEAD", 403),
            (["oversight"], "LEAD", 403),
        ):
            refused = client.post(
                "/users", headers=admin, json={"username": "x.y", "agency": agency, "roles": roles}
            )
            assert refused.status_code == status, (roles, agency, refused.text)
        assert client.post("/users/platform_admin.lead/disable", headers=admin).status_code == 403
        assert client.post("/users/analyst.partner/disable", headers=admin).status_code == 404
    listed = {u["username"] for u in client.get("/users", headers=admin).json()}
    assert listed and all(name.endswith(".lead") for name in listed)
    analyst = world.headers("LEAD", "analyst")
    assert client.get("/auth/me", headers=analyst).status_code == 200
    revoked = client.post("/users/analyst.lead/sessions/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 1
    assert client.get("/auth/me", headers=analyst).status_code == 401
    platform = world.headers("PARTNER", "platform_admin")
    assert client.post("/users/agency_admin.lead/disable", headers=platform).status_code == 200


def test_an_invitation_is_answered_only_by_the_invited_agency(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("coordinator", "agency_admin", "analyst", "platform_admin"))
    lead = world.headers("LEAD", "coordinator")
    invited = client.post(
        f"/operations/{world.operation_id}/memberships", headers=lead, json={"agency": "OUTSIDER"}
    ).json()
    for who in (("OUTSIDER", "analyst"), ("LEAD", "platform_admin"), ("PARTNER", "coordinator")):
        refused = client.post(f"/invitations/{invited['id']}/accept", headers=world.headers(*who))
        assert refused.status_code == 404, who
    assert (
        client.get(
            f"/operations/{world.operation_id}", headers=world.headers("OUTSIDER", "analyst")
        ).status_code
        == 404
    )
    withdrawn = client.post(
        f"/operations/{world.operation_id}/memberships/{invited['id']}/withdraw", headers=lead
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "declined"
    late = client.post(
        f"/invitations/{invited['id']}/accept", headers=world.headers("OUTSIDER", "agency_admin")
    )
    assert late.status_code == 404
    again = client.post(
        f"/operations/{world.operation_id}/memberships", headers=lead, json={"agency": "OUTSIDER"}
    ).json()
    accepted = client.post(
        f"/invitations/{again['id']}/accept", headers=world.headers("OUTSIDER", "coordinator")
    )
    assert accepted.status_code == 200
    assert (
        client.get(
            f"/operations/{world.operation_id}", headers=world.headers("OUTSIDER", "analyst")
        ).status_code
        == 200
    )


def test_an_auditor_reads_its_own_agency_and_oversight_reads_everything(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = world_with_secret(client, db, settings)
    client.get(f"/operations/{world.operation_id}/notes", headers=world.headers("PARTNER", "analyst"))

    def entries(agency: str, role: str) -> list[dict[str, object]]:
        response = client.get("/audit/entries?limit=1000", headers=world.headers(agency, role))
        assert response.status_code == 200, response.text
        body: list[dict[str, object]] = response.json()
        return body

    lead, partner = world.agency_ids["LEAD"], world.agency_ids["PARTNER"]
    assert {e["actor_agency_id"] for e in entries("LEAD", "auditor")} == {lead}
    assert {e["actor_agency_id"] for e in entries("PARTNER", "auditor")} == {partner}
    assert entries("OUTSIDER", "auditor") == []
    everything = entries("OUTSIDER", "oversight")
    assert {lead, partner, None} <= {e["actor_agency_id"] for e in everything}
    assert client.get("/audit/entries", headers=world.headers("LEAD", "analyst")).status_code == 403
