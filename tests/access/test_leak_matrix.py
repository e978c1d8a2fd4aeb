"""Every role × agency × label, through the API: each user sees exactly what the policy allows."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.support.world import AGENCIES, ROLES, World, build_world


@dataclass(frozen=True)
class Spec:
    """A note as written, and who the policy table says may read it."""

    owner: str
    tlp: str
    released_to: tuple[str, ...] = ()
    recipients: tuple[tuple[str, str], ...] = ()

    def readable_by(self, world: World, agency: str, role: str) -> bool:
        """The policy table of the issue, restated independently of caseweave.access."""
        if self.tlp == "CLEAR":
            return True
        if self.tlp == "GREEN":
            return world.is_member(agency)
        if self.tlp == "AMBER":
            return agency == self.owner or agency in self.released_to
        if self.tlp == "AMBER+STRICT":
            return agency == self.owner
        return (agency, role) in ((self.owner, "analyst"), *self.recipients)


SPECS = [
    spec
    for owner in ("LEAD", "PARTNER")
    for spec in (
        Spec(owner, "CLEAR"),
        Spec(owner, "GREEN"),
        Spec(owner, "AMBER"),
        Spec(owner, "AMBER", released_to=("LATE", "OBSERVER")),
        Spec(owner, "AMBER+STRICT"),
        Spec(owner, "RED"),
        Spec(owner, "RED", recipients=(("LATE", "investigator"), ("LEAD", "coordinator"))),
    )
]


def write_notes(client: TestClient, world: World) -> dict[int, Spec]:
    written: dict[int, Spec] = {}
    for spec in SPECS:
        response = client.post(
            f"/operations/{world.operation_id}/notes",
            headers=world.headers(spec.owner, "analyst"),
            json={
                "title": f"{spec.owner} {spec.tlp} {len(written)}",
                "body": "secret body",
                "tlp": spec.tlp,
                "released_to": list(spec.released_to),
                "recipients": [world.user(*who).username for who in spec.recipients],
            },
        )
        assert response.status_code == 201, response.text
        written[response.json()["id"]] = spec
    return written


def test_no_user_sees_a_note_the_policy_withholds(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    written = write_notes(client, world)
    for code, *_ in AGENCIES:
        for role in ROLES:
            headers = world.headers(code, role)
            expected = {note_id for note_id, spec in written.items() if spec.readable_by(world, code, role)}
            listing = client.get(f"/operations/{world.operation_id}/notes", headers=headers)
            if world.is_member(code) or role == "platform_admin":
                assert listing.status_code == 200, (code, role, listing.text)
                assert {note["id"] for note in listing.json()} == expected, (code, role)
            else:
                assert listing.status_code == 404, (code, role)
            for note_id in written:
                single = client.get(f"/notes/{note_id}", headers=headers)
                assert single.status_code == (200 if note_id in expected else 404), (
                    code,
                    role,
                    written[note_id],
                )
                if single.status_code == 404:
                    assert "secret body" not in single.text


def test_only_writers_of_lead_and_partner_agencies_write_case_data(
    client: TestClient, db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)
    for code, _, member_role, joined in AGENCIES:
        for role in ROLES:
            response = client.post(
                f"/operations/{world.operation_id}/notes",
                headers=world.headers(code, role),
                json={"title": "t", "tlp": "GREEN"},
            )
            may_write = (
                role in ("coordinator", "analyst", "investigator")
                and member_role in ("lead", "partner")
                and joined <= 100
            )
            if may_write:
                assert response.status_code == 201, (code, role, response.text)
            elif world.is_member(code) or role == "platform_admin":
                assert response.status_code == 403, (code, role, response.text)
            else:
                assert response.status_code == 404, (code, role, response.text)


def test_release_lists_are_checked(client: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    url = f"/operations/{world.operation_id}/notes"
    headers = world.headers("LEAD", "analyst")
    cases: list[tuple[dict[str, object], str]] = [
        ({"tlp": "AMBER", "released_to": ["OUTSIDER"]}, "released_to"),
        ({"tlp": "AMBER", "released_to": ["FUTURE"]}, "released_to"),
        ({"tlp": "GREEN", "released_to": ["PARTNER"]}, "released_to"),
        ({"tlp": "AMBER+STRICT", "released_to": ["PARTNER"]}, "released_to"),
        ({"tlp": "AMBER", "recipients": ["analyst.partner"]}, "recipients"),
        ({"tlp": "RED", "recipients": ["analyst.outsider"]}, "recipients"),
        ({"tlp": "PURPLE"}, "body.tlp"),
    ]
    for body, field in cases:
        response = client.post(url, headers=headers, json={"title": "t", **body})
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == field
    assert client.get(url, headers=headers).json() == []
