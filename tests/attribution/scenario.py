"""One small operation with a subject of every kind of outcome, imported and linked for real.

| subject (first e-mail)    | evidence                                          | outcome                    |
|---------------------------|---------------------------------------------------|----------------------------|
| gb.person@example.com     | platform GB, +44 phone, GB login                  | routed to LEAD (GB)        |
| shared.person@example.org | LEAD: CA login, GB proxy, Tor exit; PARTNER       | routed to PARTNER (CA)     |
|                           | (AMBER): platform CA, +1 phone                    |                            |
| ie.person@example.com     | +353 phone, IE login                              | routed to LATE (IE)        |
| fr.person@example.com     | platform FR, FR login                             | unallocated: FR not member |
| nl.person@example.com     | platform NL, +31 phone                            | unallocated: NL observes   |
| contested@example.com     | platform GB, +353 phone                           | review: contested          |
| weak@example.de           | a .de e-mail only                                 | review: low confidence     |
| nobody@gmail.com          | nothing                                           | unallocated: no evidence   |
| partner.gb@example.net    | PARTNER only (AMBER): platform GB                 | routed to LEAD (GB)        |
"""

from __future__ import annotations

from dataclasses import dataclass

from caseweave.actor import Actor
from caseweave.attribution.service import AttributionRun, attribute_subjects
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.attribution.helpers import IPS, TOR_EXIT, Login, Person, link, send, subject_of, tip
from tests.support.world import World, build_world

LEAD_PEOPLE = (
    Person(("gb.person@example.com",), country="GB", phone="GB", logins=(Login(IPS["GB"]),)),
    Person(
        ("shared.person@example.org",),
        logins=(Login(IPS["CA"]), Login(IPS["GB2"], proxy=True), Login(TOR_EXIT)),
    ),
    Person(("ie.person@example.com",), phone="IE", logins=(Login(IPS["IE"]),)),
    Person(("fr.person@example.com",), country="FR", logins=(Login(IPS["FR"]),)),
    Person(("nl.person@example.com",), country="NL", phone="NL"),
    Person(("contested@example.com",), country="GB", phone="IE2"),
    Person(("weak@example.de",)),
    Person(("nobody@gmail.com",)),
)
PARTNER_PEOPLE = (
    Person(("shared.person@example.org",), country="CA", phone="CA"),
    Person(("partner.gb@example.net",), country="GB"),
)
EMAILS = {
    "gb": "gb.person@example.com",
    "shared": "shared.person@example.org",
    "ie": "ie.person@example.com",
    "fr": "fr.person@example.com",
    "nl": "nl.person@example.com",
    "contested": "contested@example.com",
    "weak": "weak@example.de",
    "none": "nobody@gmail.com",
    "partner_gb": "partner.gb@example.net",
}


@dataclass
class Scenario:
    world: World
    subjects: dict[str, str]  # short name → public id

    def actor(self, agency: str, role: str = "analyst") -> Actor:
        return Actor.for_user(self.world.user(agency, role))


def build(db: Database, settings: Settings) -> Scenario:
    world = build_world(db, settings, roles=("analyst", "coordinator"))
    op = world.operation_id
    send(db, op, Actor.for_user(world.user("LEAD", "analyst")), tip("LEAD-1", LEAD_PEOPLE), "lead.xml")
    partner = Actor.for_user(world.user("PARTNER", "analyst"))
    send(db, op, partner, tip("PARTNER-1", PARTNER_PEOPLE), "partner.xml", label="AMBER")
    link(db, settings, op)
    return Scenario(world, {name: subject_of(db, email) for name, email in EMAILS.items()})


def run(
    db: Database, settings: Settings, actor: Actor, op: int, subjects: list[str] | None = None
) -> AttributionRun:
    with db.transaction() as session:
        return attribute_subjects(session, actor, settings, op, subjects)
