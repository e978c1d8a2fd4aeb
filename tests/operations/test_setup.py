"""A coordinator sets up an operation through the API; every mistake is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from caseweave.audit.models import AuditHead
from caseweave.auth.models import User
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.operations.models import Agency, Membership, Operation
from tests.support.world import START, World, build_world


@contextmanager
def nothing_changes(db: Database) -> Iterator[None]:
    def snapshot() -> tuple[int, ...]:
        with db.transaction() as session:
            counts = [
                session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Agency, Operation, Membership, User)
            ]
            head = session.get(AuditHead, 1)
            assert head is not None
            return (*counts, head.last_seq)

    before = snapshot()
    yield
    assert snapshot() == before


def test_an_operation_is_built_by_its_agencies_each_consenting(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("coordinator", "platform_admin", "agency_admin"))
    platform = world.headers("LEAD", "platform_admin")
    lead = world.headers("LEAD", "coordinator")
    created = client.post(
        "/agencies",
        headers=platform,
        json={
            "code": "au-cust",
            "name": "AU Customs",
            "country": "au",
            "kind": "customs",
            "contact_point": "x@y",
        },
    )
    assert created.status_code == 201 and created.json()["code"] == "AU-CUST"
    assert created.json()["country"] == "AU"
    admin = client.post(
        "/users",
        headers=platform,
        json={"username": "admin.au", "agency": "AU-CUST", "roles": ["agency_admin"]},
    )
    assert admin.status_code == 201 and len(admin.json()["generated_password"]) >= 12
    au_admin = {"Authorization": f"Bearer {_token(db, settings, 'admin.au')}"}
    op = client.post(
        "/operations", headers=lead, json={"name": "Op Two", "lead_agency": "LEAD", "start_date": str(START)}
    )
    assert op.status_code == 201
    op_id = op.json()["id"]
    joined = str(date.today() - timedelta(days=5))
    invited = client.post(
        f"/operations/{op_id}/memberships",
        headers=lead,
        json={"agency": "AU-CUST", "role": "partner", "joined_on": joined},
    )
    assert invited.status_code == 201 and invited.json()["status"] == "invited", invited.text
    assert client.get(f"/operations/{op_id}", headers=au_admin).status_code == 404  # not before it accepts
    open_ = client.get("/invitations", headers=au_admin).json()
    assert [(i["operation"]["name"], i["role"]) for i in open_] == [("Op Two", "partner")]
    accepted = client.post(f"/invitations/{open_[0]['id']}/accept", headers=au_admin)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    assert client.get(f"/operations/{op_id}", headers=au_admin).status_code == 200
    user = client.post(
        "/users",
        headers=au_admin,
        json={"username": "inv.au", "agency": "AU-CUST", "roles": ["investigator"]},
    )
    assert user.status_code == 201
    members = client.get(f"/operations/{op_id}/memberships", headers=lead).json()
    assert [(m["agency"]["code"], m["role"], m["status"]) for m in members] == [
        ("LEAD", "lead", "active"),
        ("AU-CUST", "partner", "active"),
    ]


def _token(db: Database, settings: Settings, username: str) -> str:
    from caseweave.actor import Actor
    from caseweave.auth import service as auth

    with db.transaction() as session:
        return auth.create_api_token(
            session, Actor.cli(), settings, username=username, name="t", days=1
        ).secret


def expect_error(response_status: int, body: dict[str, dict[str, str]], status: int, field: str) -> None:
    assert response_status == status, body
    assert body["error"]["field"] == field
    assert body["error"]["message"]


def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world: World = build_world(db, settings, roles=("coordinator", "platform_admin", "agency_admin"))
    lead = world.headers("LEAD", "coordinator")
    platform = world.headers("LEAD", "platform_admin")
    partner_admin = world.headers("PARTNER", "agency_admin")
    agency = {
        "code": "NEW",
        "name": "New Agency",
        "country": "GB",
        "kind": "police",
        "contact_point": "desk@new",
    }
    cases = [
        ("post", "/agencies", {**agency, "country": "XX"}, 422, "country"),
        ("post", "/agencies", {**agency, "country": "GBR"}, 422, "country"),
        ("post", "/agencies", {**agency, "name": "lead agency"}, 409, "name"),
        ("post", "/agencies", {**agency, "code": "LEAD"}, 409, "code"),
        ("post", "/agencies", {**agency, "kind": "army"}, 422, "kind"),
        ("post", "/operations/999/memberships", {"agency": "OUTSIDER"}, 404, "operation_id"),
        ("post", f"/operations/{world.operation_id}/memberships", {"agency": "NOPE"}, 404, "agency"),
        ("post", f"/operations/{world.operation_id}/memberships", {"agency": "PARTNER"}, 409, "agency"),
        (
            "post",
            f"/operations/{world.operation_id}/memberships",
            {"agency": "OUTSIDER", "role": "lead"},
            422,
            "role",
        ),
        (
            "post",
            f"/operations/{world.operation_id}/memberships",
            {"agency": "OUTSIDER", "joined_on": str(START - timedelta(days=1))},
            422,
            "joined_on",
        ),
        (
            "post",
            "/users",
            {"username": "x.outsider", "agency": "OUTSIDER", "roles": ["analyst"]},
            403,
            "agency",
        ),
        (
            "post",
            "/users",
            {"username": "x.partner", "agency": "PARTNER", "roles": ["platform_admin"]},
            403,
            "roles",
        ),
        ("post", "/users", {"username": "x.partner", "agency": "PARTNER", "roles": ["chief"]}, 422, "roles"),
        (
            "post",
            "/users",
            {"username": "coordinator.lead", "agency": "PARTNER", "roles": ["analyst"]},
            409,
            "username",
        ),
        (
            "post",
            "/users",
            {"username": "x.p", "agency": "PARTNER", "roles": ["analyst"], "password": "short"},
            422,
            "password",
        ),
        (
            "post",
            "/operations",
            {"name": "Op Test", "lead_agency": "LEAD", "start_date": str(START)},
            409,
            "name",
        ),
        (
            "post",
            "/operations",
            {"name": "Op X", "lead_agency": "PARTNER", "start_date": str(START)},
            403,
            "lead_agency",
        ),
        (
            "post",
            "/operations",
            {"name": "Op X", "lead_agency": "LEAD", "start_date": "someday"},
            422,
            "body.start_date",
        ),
    ]
    for method, url, body, status, field in cases:
        headers = {"/agencies": platform, "/users": partner_admin}.get(url, lead)
        with nothing_changes(db):
            response = client.request(method, url, headers=headers, json=body)
            expect_error(response.status_code, response.json(), status, field)


def test_partners_cannot_manage_the_operation(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("coordinator", "analyst"))
    url = f"/operations/{world.operation_id}/memberships"
    with nothing_changes(db):
        assert (
            client.post(
                url, headers=world.headers("PARTNER", "coordinator"), json={"agency": "OUTSIDER"}
            ).status_code
            == 403
        )
        assert (
            client.post(
                url, headers=world.headers("LEAD", "analyst"), json={"agency": "OUTSIDER"}
            ).status_code
            == 403
        )
        assert (
            client.get(
                f"/operations/{world.operation_id}", headers=world.headers("OUTSIDER", "analyst")
            ).status_code
            == 404
        )
        assert (
            client.get(
                f"/operations/{world.operation_id}", headers=world.headers("FUTURE", "analyst")
            ).status_code
            == 404
        )
    assert client.get("/operations", headers=world.headers("OUTSIDER", "analyst")).json() == []
