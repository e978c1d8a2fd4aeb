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


def test_coordinator_builds_an_operation_with_a_late_joiner(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("coordinator",))
    lead = world.headers("LEAD", "coordinator")
    created = client.post(
        "/agencies",
        headers=lead,
        json={
            "code": "au-cust",
            "name": "AU Customs",
            "country": "au",
            "kind": "customs",
            "contact_point": "x@y",
        },
    )
    assert (
        created.status_code == 201
        and created.json()["code"] == "AU-CUST"
        and created.json()["country"] == "AU"
    )
    op = client.post(
        "/operations", headers=lead, json={"name": "Op Two", "lead_agency": "LEAD", "start_date": str(START)}
    )
    assert op.status_code == 201
    op_id = op.json()["id"]
    joined = str(date.today() - timedelta(days=5))
    member = client.post(
        f"/operations/{op_id}/memberships",
        headers=lead,
        json={"agency": "AU-CUST", "role": "partner", "joined_on": joined},
    )
    assert member.status_code == 201, member.text
    user = client.post(
        "/users", headers=lead, json={"username": "inv.au", "agency": "AU-CUST", "roles": ["investigator"]}
    )
    assert user.status_code == 201
    assert len(user.json()["generated_password"]) >= 12
    members = client.get(f"/operations/{op_id}/memberships", headers=lead).json()
    assert [(m["agency"]["code"], m["role"]) for m in members] == [("LEAD", "lead"), ("AU-CUST", "partner")]


def expect_error(response_status: int, body: dict[str, dict[str, str]], status: int, field: str) -> None:
    assert response_status == status, body
    assert body["error"]["field"] == field
    assert body["error"]["message"]


def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world: World = build_world(db, settings, roles=("coordinator", "platform_admin"))
    lead = world.headers("LEAD", "coordinator")
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
        ("post", "/operations/999/memberships", {"agency": "OUTSIDER"}, 404, "operation"),
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
            {"username": "x.outsider", "agency": "OUTSIDER", "roles": ["analyst"], "operation": "Op Test"},
            422,
            "agency",
        ),
        (
            "post",
            "/users",
            {"username": "x.outsider", "agency": "OUTSIDER", "roles": ["analyst"]},
            403,
            "agency",
        ),
        ("post", "/users", {"username": "x.partner", "agency": "PARTNER", "roles": ["platform_admin"]}, 403, "roles"),
        ("post", "/users", {"username": "x.partner", "agency": "PARTNER", "roles": ["chief"]}, 422, "roles"),
        (
            "post",
            "/users",
            {"username": "coordinator.lead", "agency": "LEAD", "roles": ["analyst"]},
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
        with nothing_changes(db):
            response = client.request(method, url, headers=lead, json=body)
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
