"""Referrals for attribution tests, imported the way agencies send them: CyberTip-style reports
(a platform states its user's country) and MISP events (an agency states it), then linked."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import Sighting
from caseweave.intake.service import import_referral
from caseweave.linkage.models import Subject, SubjectMember
from caseweave.linkage.service import link_operation

# libphonenumber's example mobile numbers: allocated ranges, nobody's phone
PHONES = {
    "GB": ("44", "7400123456"),
    "CA": ("1", "5062345678"),
    "IE": ("353", "850123456"),
    "IE2": ("353", "871234567"),
    "FR": ("33", "612345678"),
    "NL": ("31", "612345678"),
}
# Blocks that GeoLite2 (geoip2fast's bundled data) places in these countries; 185.220.101.1 is a
# Tor exit on the bundled warning list.
IPS = {"GB": "81.2.69.142", "GB2": "81.2.69.160", "CA": "24.48.0.1", "FR": "90.0.0.1", "IE": "86.40.0.1"}
TOR_EXIT = "185.220.101.1"
FRESH = "2024-05-01T10:00:00Z"  # a few weeks before the bundled data's date: not stale


@dataclass(frozen=True)
class Login:
    ip: str
    at: str = FRESH
    proxy: bool = False


@dataclass(frozen=True)
class Person:
    """A reported user. emails[0] identifies them in tests (subject_of)."""

    emails: tuple[str, ...]
    country: str | None = None
    phone: str | None = None  # a key of PHONES, written with its calling code
    national_phone: str | None = None  # a national-format number, as a return without +code
    logins: tuple[Login, ...] = ()
    address: str | None = None

    def xml(self) -> str:
        parts = [f"<email>{escape(e)}</email>" for e in self.emails]
        if self.phone:
            code, number = PHONES[self.phone]
            parts.append(f'<phone countryCallingCode="{code}">{number}</phone>')
        if self.national_phone:
            parts.append(f"<phone>{escape(self.national_phone)}</phone>")
        if self.country or self.address:
            street = f"<address>{escape(self.address)}</address>" if self.address else ""
            country = f"<country>{self.country}</country>" if self.country else ""
            parts.append(f"<address>{street}{country}</address>")
        events = "".join(
            f"<ipCaptureEvent><ipAddress>{login.ip}</ipAddress><eventName>Login</eventName>"
            f"<dateTime>{login.at}</dateTime><possibleProxy>{str(login.proxy).lower()}</possibleProxy>"
            "</ipCaptureEvent>"
            for login in self.logins
        )
        return (
            f"<personOrUserReported><personOrUserReportedPerson>{''.join(parts)}"
            f"</personOrUserReportedPerson><espService>PhotoShareExample</espService>{events}"
            "</personOrUserReported>"
        )


def tip(report_id: str, people: Sequence[Person]) -> bytes:
    body = "".join(person.xml() for person in people)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<report id="{report_id}"><incidentSummary>'
        "<incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>"
        f"<incidentDateTime>2024-05-02T09:30:00Z</incidentDateTime></incidentSummary>{body}</report>\n"
    ).encode()


def misp_person(event_uuid: str, email: str, country: str) -> bytes:
    """A MISP event whose person object states a country, owning an account with an e-mail."""
    person, account = "b0000000-0000-4000-8000-0000000000a1", "b0000000-0000-4000-8000-0000000000a2"

    def rel(n: int, relation: str, kind: str, value: str) -> dict[str, str]:
        uuid = f"c0000000-0000-4000-8000-{n:012d}"
        return {"uuid": uuid, "object_relation": relation, "type": kind, "value": value}

    event = {
        "Event": {
            "uuid": event_uuid,
            "info": "Referral: account trading material",
            "date": "2024-05-03",
            "Tag": [{"name": "tlp:green"}],
            "Attribute": [],
            "Object": [
                {
                    "uuid": person,
                    "name": "person",
                    "Attribute": [
                        rel(1, "full-name", "full-name", "Casey Example"),
                        rel(2, "country", "text", country),
                    ],
                    "ObjectReference": [{"referenced_uuid": account, "relationship_type": "owns"}],
                },
                {"uuid": account, "name": "user-account", "Attribute": [rel(3, "email", "email-src", email)]},
            ],
        }
    }
    return json.dumps(event).encode()


def send(
    db: Database,
    operation_id: int,
    user: Actor,
    content: bytes,
    name: str,
    *,
    label: str = "GREEN",
    released_to: tuple[str, ...] = (),
) -> int:
    """Import as the user; the referral id."""
    with db.transaction() as session:
        outcome = import_referral(
            session, user, operation_id, io.BytesIO(content), name, label=label, released_to=released_to
        )
        return outcome.referral.id


def link(db: Database, settings: Settings, operation_id: int) -> None:
    with db.transaction() as session:
        link_operation(session, Actor.cli(), settings, operation_id, use_model=False)


def subject_of(db: Database, email: str) -> str:
    """The public id of the subject holding the person record with this e-mail."""
    with db.transaction() as session:
        public_id = session.scalar(
            select(Subject.public_id)
            .join(SubjectMember, SubjectMember.subject_id == Subject.id)
            .join(Sighting, Sighting.person_record_id == SubjectMember.person_record_id)
            .where(Sighting.selector_type == "email", Sighting.value == email, Subject.status == "active")
        )
    assert public_id is not None, email
    return public_id
