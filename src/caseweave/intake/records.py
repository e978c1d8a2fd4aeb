"""What an Importer plugin yields while it streams a file: the contract between parsers and storage.

Parsers only read and shape: they yield raw values with their selector type and where in the file
they came from. Normalising selectors (caseweave.selectors) and storing rows (intake.service)
happen after, so every format gets the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Location:
    """Where a record sits in its file: a 1-based line, or a JSON/XML path, or both."""

    file: str
    line: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.path:
            parts.append(self.path)
        return ":".join(parts)


@dataclass(frozen=True)
class ReferralHeader:
    """Yielded first (exactly once) by every parser."""

    external_id: str  # the file's own id: MISP event uuid, STIX report id, tip report id, or file sha256
    title: str
    reported_at: datetime | None = None
    tlp: str | None = None  # as the file states it (e.g. "tlp:amber+strict"); None: not stated
    platform: str | None = None  # the service a platform return or chat export comes from
    summary: str = ""


# What a record is about: a named person, an online account, a phone line. Each is one party as an
# agency states it (FollowTheMoney's Person / UserAccount / Phone); linkage compares them alike.
# Kind → what an import's counts call them (persons and accounts are stated even at 0).
RECORD_KINDS = {"person": "persons", "account": "accounts", "phone": "phone_lines"}


@dataclass(frozen=True)
class PersonRecord:
    """One party as one referral states it. `ref` is the file's own id for the record."""

    ref: str
    location: Location
    full_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    address: str | None = None
    country: str | None = None  # as stated; normalised to ISO alpha-2 by the service
    role: str = "suspect"  # suspect, victim, reporter, unknown
    kind: str = "person"  # a key of RECORD_KINDS


@dataclass(frozen=True)
class Sighting:
    """A selector seen in the referral. selector_type is one of caseweave.selectors' types."""

    ref: str
    location: Location
    selector_type: str  # email, username, phone, ip, device, payment, wallet, url
    raw_value: str
    person_ref: str | None = None  # the PersonRecord.ref it belongs to, where the file says so
    platform: str | None = None
    port: int | None = None
    observed_from: datetime | None = None
    observed_to: datetime | None = None
    context: str | None = None  # login, registration, chat session, payment, upload, …
    possible_proxy: bool = False


@dataclass(frozen=True)
class MediaHash:
    ref: str
    location: Location
    algorithm: str  # md5, sha1, sha256, pdq
    value: str
    person_ref: str | None = None
    file_name: str | None = None


@dataclass(frozen=True)
class RecordError:
    """One record that could not be read; the rest of the file goes on."""

    location: Location
    field: str
    reason: str
    raw: str = ""


ParsedItem = ReferralHeader | PersonRecord | Sighting | MediaHash | RecordError
