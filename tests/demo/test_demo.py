"""The demo operation has the real case's shape, and loading it twice adds nothing."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.demo.roster import OPERATION_START
from caseweave.demo.seed import seed_demo
from caseweave.operations.models import Agency, Membership
from caseweave.operations.service import list_memberships


def test_demo_operation_is_shaped_like_the_real_case(
    client: TestClient, db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        result = seed_demo(session, Actor.cli(), settings)
        members = list_memberships(session, Actor.cli(), result.operation.id)
    countries = {m.agency.country for m in members}
    assert len(countries) == 35 and {"GB", "CA", "US", "AU", "NZ"} <= countries
    assert [m.agency.country for m in members if m.role == "lead"] == ["GB"]
    assert any(m.joined_on > OPERATION_START and m.agency.kind == "customs" for m in members)
    assert all(m.joined_on <= date.today() for m in members)

    logins = {username: password for username, _, _, password in result.logins}
    token = client.post("/auth/login", json={"username": "analyst.gb", "password": logins["analyst.gb"]})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    seen_by_gb = client.get(f"/operations/{result.operation.id}/notes", headers=headers).json()
    token = client.post(
        "/auth/login", json={"username": "investigator.nz", "password": logins["investigator.nz"]}
    )
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    seen_by_nz = client.get(f"/operations/{result.operation.id}/notes", headers=headers).json()
    assert len(seen_by_gb) > len(seen_by_nz) > 0


def test_demo_twice_adds_nothing_and_resets_passwords(db: Database, settings: Settings) -> None:
    with db.transaction() as session:
        first = seed_demo(session, Actor.cli(), settings)
    with db.transaction() as session:
        counts = (
            session.scalar(select(func.count()).select_from(Agency)),
            session.scalar(select(func.count()).select_from(Membership)),
        )
        second = seed_demo(session, Actor.cli(), settings)
        assert (
            session.scalar(select(func.count()).select_from(Agency)),
            session.scalar(select(func.count()).select_from(Membership)),
        ) == counts
    assert not second.created
    assert {u for u, *_ in first.logins} == {u for u, *_ in second.logins}
    assert all(a[3] != b[3] for a, b in zip(first.logins, second.logins, strict=True))
