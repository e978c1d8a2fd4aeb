"""An operation holding one object of every kind that some users may not see, each carrying a marker
string, built through the API and services as agencies would; and who may see each of them.

LEAD's analyst writes AMBER+STRICT and RED material (only LEAD, or only that analyst, may see it);
PARTNER and LEAD both hold a GREEN record of one shared person (an alert each, a package to PARTNER);
OUTSIDER leads an operation of its own; INVITEE is invited but has not answered.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.attribution.service import attribute_subjects
from caseweave.auth.models import Token, User
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.operations import service as ops
from tests.attribution.helpers import IPS, Login, Person, link, send, subject_of, tip
from tests.support.world import START, World, build_world

STRICT_EMAIL = "strict.zq1@example.com"
RED_EMAIL = "red.zq2@example.com"
SHARED_EMAIL = "shared.zq3@example.com"
ELSEWHERE_EMAIL = "elsewhere.zq9@example.com"
ARREST_DATE = "2025-02-13"  # the RED arrest: no other date in the world is this one

# Who may see: (agency, role) -> bool
Seer = Callable[[str, str], bool]


def lead_only(agency: str, role: str) -> bool:
    return agency == "LEAD"


def lead_analyst_only(agency: str, role: str) -> bool:
    return (agency, role) == ("LEAD", "analyst")


@dataclass
class Hidden:
    """One object: the path parameter that names it, its value, an absent value of the same shape,
    who may see it, and strings that must never reach anyone else."""

    param: str
    value: str
    absent: str
    may_see: Seer
    markers: tuple[str, ...] = ()
    path_prefix: str = ""  # for 'ref', which names packages and victims alike
    owner: str = "LEAD"  # the agency whose users wrote it


@dataclass
class MatrixWorld:
    world: World
    op: int
    other_op: int
    objects: list[Hidden] = field(default_factory=list)

    shared_subject: str = ""

    def markers(self) -> list[tuple[str, Seer, str]]:
        return [(marker, obj.may_see, obj.owner) for obj in self.objects for marker in obj.markers]

    def named_by(self, param: str, path: str) -> list[Hidden]:
        return [obj for obj in self.objects if obj.param == param and obj.path_prefix in path]


def _absent_like(value: str) -> str:
    """The same shape with every digit a 9: an id that exists nowhere in this small world."""
    return "".join("9" if ch.isdigit() else ch for ch in value)


def build(client: TestClient, db: Database, settings: Settings) -> MatrixWorld:
    world = build_world(db, settings)
    op = world.operation_id
    lead = Actor.for_user(world.user("LEAD", "analyst"))
    partner = Actor.for_user(world.user("PARTNER", "analyst"))
    operator = Actor.cli()
    with db.transaction() as session:
        other = ops.create_operation(
            session, operator, name="Op Elsewhere zq8", lead_agency="OUTSIDER", start_date=START
        )
        other_op = other.id
        ops.add_agency(
            session,
            operator,
            code="INVITEE",
            name="Invitee Agency",
            country="BE",
            kind="police",
            contact_point="desk@invitee.example",
        )
    shared = Person((SHARED_EMAIL,), country="CA", phone="CA", logins=(Login(IPS["CA"]),))
    strict_ref = send(
        db, op, lead, tip("LEAD-S", (Person((STRICT_EMAIL,)),)), "strict-zq1.xml", label="AMBER+STRICT"
    )
    red_ref = send(db, op, lead, tip("LEAD-R", (Person((RED_EMAIL,)),)), "red-zq2.xml", label="RED")
    send(db, op, lead, tip("LEAD-G", (shared,)), "lead-green.xml")
    send(db, op, partner, tip("PARTNER-G", (shared,)), "partner-green.xml")
    outsider = Actor.for_user(world.user("OUTSIDER", "analyst"))
    send(db, other_op, outsider, tip("OUT-1", (Person((ELSEWHERE_EMAIL,)),)), "elsewhere-zq9.xml")
    link(db, settings, op)
    with db.transaction() as session:
        attribute_subjects(session, operator, settings, op)
    strict_subject = subject_of(db, STRICT_EMAIL)
    red_subject = subject_of(db, RED_EMAIL)
    shared_subject = subject_of(db, SHARED_EMAIL)

    def ok(response: Response, expected: int = 201) -> Any:
        assert response.status_code == expected, response.text
        return response.json()

    coordinator = world.headers("LEAD", "coordinator")
    analyst = world.headers("LEAD", "analyst")
    sent = ok(client.post(f"/operations/{op}/packages", headers=coordinator, json={"agency": "PARTNER"}))
    package_ref = str(sent["results"][0]["package"]["reference"])
    victim = ok(client.post(f"/operations/{op}/victims", headers=analyst, json={"pseudonym": "Child zq4"}))
    victim_ref = str(victim["public_id"])
    note = ok(
        client.post(
            f"/operations/{op}/notes", headers=analyst, json={"title": "note zq6", "tlp": "AMBER+STRICT"}
        )
    )
    bank = ok(
        client.post(
            f"/operations/{op}/media/banks",
            headers=analyst,
            data={"name": "bank-zq5", "label": "AMBER+STRICT"},
            files={"file": ("bank-zq5.csv", io.BytesIO(b"sha256\n" + b"ab" * 32 + b"\n"), "text/csv")},
        )
    )
    ok(
        client.post(
            f"/operations/{op}/outcomes",
            headers=world.headers("LEAD", "investigator"),
            json={"subject": shared_subject, "kind": "arrested", "date": ARREST_DATE, "tlp": "RED"},
        )
    )
    invitation = ok(
        client.post(
            f"/operations/{op}/memberships",
            headers=coordinator,
            json={"agency": "INVITEE", "role": "partner"},
        )
    )
    alerts = ok(client.get(f"/operations/{op}/alerts", headers=analyst), 200)
    assert isinstance(alerts, list) and alerts, "the shared person raises an alert for LEAD"
    with db.transaction() as session:
        lead_user = session.scalars(select(User).where(User.username == "analyst.lead")).one()
        token_id = session.scalars(select(Token.id).where(Token.user_id == lead_user.id)).first()
    assert token_id is not None

    def seen_by_managers_of_lead(agency: str, role: str) -> bool:
        return role == "platform_admin" or (agency == "LEAD" and role in ("agency_admin", "analyst"))

    def package_seer(agency: str, role: str) -> bool:
        return agency == "PARTNER" or (agency == "LEAD" and role == "coordinator")

    def member_or_platform(agency: str, role: str) -> bool:
        return world.is_member(agency) or role == "platform_admin"

    def outsider_or_platform(agency: str, role: str) -> bool:
        return agency == "OUTSIDER" or role == "platform_admin"

    def manages_op(agency: str, role: str) -> bool:
        return role == "platform_admin" or (agency, role) == ("LEAD", "coordinator")

    def nobody(agency: str, role: str) -> bool:
        return False

    hidden = [
        Hidden("operation_id", str(op), "999999", member_or_platform),
        Hidden(
            "operation_id",
            str(other_op),
            "999998",
            outsider_or_platform,
            ("Op Elsewhere zq8", ELSEWHERE_EMAIL),
            owner="OUTSIDER",
        ),
        Hidden(
            "referral_id",
            str(strict_ref),
            _absent_like(str(strict_ref) + "9"),
            lead_only,
            ("strict-zq1", STRICT_EMAIL),
        ),
        Hidden(
            "referral_id",
            str(red_ref),
            _absent_like(str(red_ref) + "99"),
            lead_analyst_only,
            ("red-zq2", RED_EMAIL),
        ),
        Hidden("public_id", strict_subject, _absent_like(strict_subject), lead_only, (strict_subject,)),
        Hidden("public_id", red_subject, _absent_like(red_subject), lead_analyst_only, (red_subject,)),
        Hidden("ref", package_ref, _absent_like(package_ref), package_seer, (), "/packages/"),
        Hidden(
            "ref", victim_ref, _absent_like(victim_ref), lead_only, ("Child zq4", victim_ref), "/victims/"
        ),
        Hidden("alert_id", str(alerts[0]["id"]), "999997", lead_only),
        Hidden("bank_id", str(bank["bank"]["id"]), "999996", lead_only, ("bank-zq5",)),
        Hidden("note_id", str(note["id"]), "999995", lead_only, ("note zq6",)),
        Hidden("token_id", str(token_id), "999994", seen_by_managers_of_lead),
        Hidden("username", "analyst.lead", "analyst.nobody", seen_by_managers_of_lead),
        # An invitation is answered only by the invited agency (none of whose users is here); the lead's
        # coordinators and platform admins manage it through the operation.
        Hidden("membership_id", str(invitation["id"]), "999993", nobody, (), "/invitations/"),
        Hidden("membership_id", str(invitation["id"]), "999993", manages_op, (), "/memberships/"),
        # Not a path parameter: the RED arrest is only a marker, seen by the investigator who wrote it.
        Hidden("", "", "", lambda agency, role: (agency, role) == ("LEAD", "investigator"), (ARREST_DATE,)),
    ]
    return MatrixWorld(world, op, other_op, hidden, shared_subject)


def as_text(body: object) -> str:
    return json.dumps(body, sort_keys=True, default=str)
