"""A small operation whose subjects are attributed and routed for real, for packages to be built from.

| subject (first e-mail)  | records                                             | routed to | urgency   |
|--------------------------|-----------------------------------------------------|-----------|-----------|
| child.risk@example.com   | LEAD GREEN report naming a child, with file hashes  | PARTNER   | immediate |
| ca.material@example.com  | LEAD GREEN report with file hashes                  | PARTNER   | high      |
| ca.suspect@example.com   | LEAD GREEN (CA phone, login) + LEAD AMBER + LEAD RED | PARTNER  | routine   |
| gb.person@example.com    | LEAD GREEN                                          | LEAD      | routine   |
| ie.person@example.com    | LEAD GREEN                                          | LATE      | routine   |

The AMBER record (not released) and the RED record of ca.suspect are what PARTNER may not see: the
first is "held by LEAD", the second names no holder. Their e-mails appear nowhere in its package.
"""

from __future__ import annotations

from dataclasses import dataclass

from caseweave.actor import Actor
from caseweave.attribution.service import attribute_subjects
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.dissemination.service import DisseminationRun, disseminate
from tests.attribution.helpers import IPS, Login, Person, link, send, subject_of, tip
from tests.support.world import World, build_world

HIDDEN_AMBER = "ca.hidden.amber@example.com"
HIDDEN_RED = "ca.hidden.red@example.com"
FILE_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
EMAILS = {
    "child": "child.risk@example.com",
    "material": "ca.material@example.com",
    "suspect": "ca.suspect@example.com",
    "gb": "gb.person@example.com",
    "ie": "ie.person@example.com",
}


def report(report_id: str, email: str, *, victim: bool = False, files: int = 0) -> bytes:
    """A CyberTip-style report: a reported user in CA, perhaps a child, perhaps files (hashes only)."""
    child = (
        "<victim><victimPerson><dateOfBirth>2013-03-01</dateOfBirth></victimPerson>"
        "<espService>PhotoShareExample</espService><screenName>small_example</screenName></victim>"
        if victim
        else ""
    )
    hashes = "".join(
        '<fileDetails><originalFileHash hashType="SHA256">'
        f"{FILE_HASH[:-2]}{n:02d}</originalFileHash></fileDetails>"
        for n in range(files)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<report id="{report_id}"><incidentSummary>'
        "<incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>"
        "<incidentDateTime>2024-05-02T09:30:00Z</incidentDateTime></incidentSummary>"
        f"<personOrUserReported><personOrUserReportedPerson><email>{email}</email>"
        "<address><country>CA</country></address></personOrUserReportedPerson>"
        f"<espService>PhotoShareExample</espService></personOrUserReported>{child}{hashes}</report>\n"
    ).encode()


LEAD_PEOPLE = (
    Person((EMAILS["suspect"],), country="CA", phone="CA", logins=(Login(IPS["CA"]),)),
    Person((EMAILS["gb"],), country="GB", phone="GB", logins=(Login(IPS["GB"]),)),
    Person((EMAILS["ie"],), phone="IE", logins=(Login(IPS["IE"]),)),
)


@dataclass
class Scenario:
    world: World
    subjects: dict[str, str]  # short name → public id

    @property
    def op(self) -> int:
        return self.world.operation_id

    def actor(self, agency: str, role: str = "analyst") -> Actor:
        return Actor.for_user(self.world.user(agency, role))

    @property
    def coordinator(self) -> Actor:
        return self.actor("LEAD", "coordinator")


def build(db: Database, settings: Settings) -> Scenario:
    world = build_world(db, settings, roles=("analyst", "coordinator"))
    op = world.operation_id
    lead = Actor.for_user(world.user("LEAD", "analyst"))
    send(db, op, lead, tip("LEAD-1", LEAD_PEOPLE), "lead.xml")
    send(db, op, lead, report("LEAD-2", EMAILS["child"], victim=True, files=2), "child.xml")
    send(db, op, lead, report("LEAD-3", EMAILS["material"], files=3), "material.xml")
    hidden = (Person((EMAILS["suspect"], HIDDEN_AMBER)),)
    send(db, op, lead, tip("LEAD-4", hidden), "amber.xml", label="AMBER")
    send(db, op, lead, tip("LEAD-5", (Person((EMAILS["suspect"], HIDDEN_RED)),)), "red.xml", label="RED")
    link(db, settings, op)
    attribute(db, settings, op)
    return Scenario(world, {name: subject_of(db, email) for name, email in EMAILS.items()})


def attribute(db: Database, settings: Settings, op: int) -> None:
    with db.transaction() as session:
        attribute_subjects(session, Actor.cli(), settings, op)


def send_packages(
    db: Database, settings: Settings, actor: Actor, op: int, agency: str | None = None
) -> DisseminationRun:
    with db.transaction() as session:
        return disseminate(session, actor, settings, op, agency)
