"""Synth → files → import → rows: what truth.json says about each record, and what was stored for it.

`Truth` reads truth.json; `stored_referrals` reads back every row an import stored; `covered` says
which truth refs a stored row stands for. The checks themselves are in roundtrip_checks.py.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.demo.referrals import sender_for
from caseweave.demo.roster import ROSTER
from caseweave.intake.models import PersonRecord, QuarantinedRecord, Referral, ReferralMediaHash, Sighting
from caseweave.operations import service as ops
from caseweave.operations.models import Operation
from caseweave.selectors import normalise
from caseweave.synth.identifiers import DOTLESS_DOMAINS
from caseweave.synth.people import CHAT_PLATFORM

FORMATS = ("chat", "cybertip", "platform_csv", "platform_jsonl", "misp", "stix")
# Truth kinds that the importer turns into a PersonRecord (a CyberTip report adds its reporter).
PERSON_KINDS = {  # the truth kinds each line format's records are; MISP and STIX: see _counts
    "chat": {"account"},
    "cybertip": {"person", "victim"},
    "platform_csv": {"account"},
    "platform_jsonl": {"account"},
}
_LINE = re.compile(r":line (\d+)(?::|$)")
_CYBERTIP_RECORD = re.compile(r"/report/\w+\[\d+\]")


def format_of(file: str) -> str:
    if file == "chat_export.jsonl":
        return "chat"
    if file.endswith(".xml"):
        return "cybertip"
    if file.startswith("platform_"):
        return "platform_csv" if file.endswith(".csv") else "platform_jsonl"
    return file.split("_", 1)[0]


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def demo_operation(session: Session) -> Operation:
    """The demo roster's agencies in one operation (no users: imports run as the CLI operator)."""
    operator = Actor.cli()
    for agency in ROSTER:
        ops.add_agency(
            session,
            operator,
            code=agency.code,
            name=agency.name,
            country=agency.country,
            kind=agency.kind,
            contact_point=agency.contact_point,
        )
    start = date.today() - timedelta(days=300)
    operation = ops.create_operation(
        session, operator, name="Round trip", lead_agency=ROSTER[0].code, start_date=start
    )
    for agency in ROSTER[1:]:
        ops.invite(
            session,
            operator,
            operation.id,
            agency=agency.code,
            role=agency.role,
            joined_on=start + timedelta(days=agency.joined_after_days),
        )
    return operation


@dataclass
class Stored:
    """One referral and every row it stored."""

    referral: Referral
    persons: list[PersonRecord]
    sightings: list[Sighting]
    media: list[ReferralMediaHash]
    quarantined: list[QuarantinedRecord]

    def rows(self) -> list[PersonRecord | Sighting | ReferralMediaHash]:
        return [*self.persons, *self.sightings, *self.media]

    def person(self, person_id: int | None) -> PersonRecord | None:
        return next((p for p in self.persons if p.id == person_id), None)


def stored_referrals(session: Session, operation_id: int) -> dict[str, Stored]:
    """file name → what its referral stored, read straight from the tables."""
    out: dict[str, Stored] = {}
    query = select(Referral).where(Referral.operation_id == operation_id).order_by(Referral.id)
    for referral in session.scalars(query):

        def rows(model: Any, referral_id: int = referral.id) -> list[Any]:
            return list(
                session.scalars(select(model).where(model.referral_id == referral_id).order_by(model.id))
            )

        out[referral.file_name] = Stored(
            referral, rows(PersonRecord), rows(Sighting), rows(ReferralMediaHash), rows(QuarantinedRecord)
        )
    return out


def mailbox(email: str) -> str:
    """A normalised address with synth's dot/+tag noise removed where its domain ignores them."""
    local, _, domain = email.rpartition("@")
    if domain in DOTLESS_DOMAINS:
        local = local.partition("+")[0].replace(".", "")
    return f"{local}@{domain}"


@dataclass
class Truth:
    """truth.json, indexed: who each (file, ref) is, and what values each subject or victim owns."""

    data: dict[str, Any]
    who: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    kind: dict[tuple[str, str], str] = field(default_factory=dict)
    entries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    chat_accounts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def load(cls, folder: Path) -> Truth:
        truth = cls(json.loads((folder / "truth.json").read_text(encoding="utf-8")))
        for record in truth.data["records"]:
            key = (record["file"], record["ref"])
            who = record.get("subject") or record["victim"]
            truth.who[key].add(who)
            truth.kind[key] = record["kind"]
            truth.entries[record["file"]] += 1
            if format_of(record["file"]) == "chat" and record["kind"] == "account":
                truth.chat_accounts[who].add(record["ref"].removeprefix("account:"))
        return truth

    @cached_property
    def subjects(self) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.data["subjects"]}

    @property
    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = self.data["summary"]
        return summary

    def refs(self, file: str) -> dict[str, set[str]]:
        return {ref: who for (name, ref), who in self.who.items() if name == file}

    def files(self, fmt: str) -> list[str]:
        return sorted(name for name in self.summary["files"] if format_of(name) == fmt)

    def owned(self, who: Iterable[str]) -> dict[str, set[str]]:
        """selector type → the normalised values these subjects or victims own."""
        subjects, victims = self.subjects, {v["id"]: v for v in self.data["victims"]}
        out: dict[str, set[str]] = defaultdict(set)
        for wid in who:
            if wid in victims:
                for platform, account in victims[wid]["accounts"].items():
                    out["username"].add(normalise("username", account, platform=platform).value)
                continue
            subject = subjects[wid]
            out["email"].update(mailbox(normalise("email", e).value) for e in subject["emails"])
            out["phone"].update(subject["phones"])
            out["ip"].update(
                [held["ip"] for held in subject["home_ips"] + subject["trips"]] + subject["exits"]
            )
            out["device"].update(subject["devices"])
            out["wallet"].update(normalise("wallet", w).value for w in subject["wallets"])
            names = [*subject["handles"].items(), *subject["accounts"].items()]
            names += [(CHAT_PLATFORM, account) for account in self.chat_accounts[wid]]
            out["username"].update(normalise("username", n, platform=p).value for p, n in names)
            out["url"].update(
                normalise("url", f"https://{p}.example/u/{h}").value for p, h in subject["handles"].items()
            )
        return out

    def leases(self, who: Iterable[str], ip: str) -> list[tuple[datetime, datetime]]:
        """When these subjects held ip as their home address or abroad (empty: an exit, or not theirs)."""
        subjects = self.subjects
        return [
            (parse_time(held["from"]), parse_time(held["to"]))
            for wid in who
            if wid in subjects
            for held in subjects[wid]["home_ips"] + subjects[wid]["trips"]
            if held["ip"] == ip
        ]


def covered(fmt: str, row: PersonRecord | Sighting | ReferralMediaHash, index: dict[str, str]) -> set[str]:
    """The truth refs a stored row stands for (index: MISP attribute uuid → its object's uuid)."""
    if fmt in ("chat", "platform_csv", "platform_jsonl"):
        line = _LINE.search(row.location)
        refs = {f"line:{line[1]}"} if line else set()
        return refs | ({row.ref} if isinstance(row, PersonRecord) else set())
    if fmt == "cybertip":
        match = _CYBERTIP_RECORD.match(row.ref)
        return {match[0]} if match else set()
    if fmt == "misp":
        return {row.ref, index[row.ref]} if row.ref in index else {row.ref}
    return {row.ref.split("/")[0]}  # stix: an SCO's further values are "<id>/<property>"


def misp_index(path: Path) -> dict[str, str]:
    """attribute uuid → the uuid of the object that holds it."""
    event = json.loads(path.read_text(encoding="utf-8"))["Event"]
    return {a["uuid"]: o["uuid"] for o in event["Object"] for a in o["Attribute"]}


def stix_observations(path: Path) -> dict[str, tuple[list[str], datetime, datetime]]:
    """observed-data id → (the SCO ids it observed, first_observed, last_observed)."""
    bundle = json.loads(path.read_text(encoding="utf-8"))
    return {
        o["id"]: (o["object_refs"], parse_time(o["first_observed"]), parse_time(o["last_observed"]))
        for o in bundle["objects"]
        if o["type"] == "observed-data"
    }


def exercised(file: str, stored: Stored) -> set[str]:
    """The harder paths a referral took, so a test can insist the operation really exercises them."""
    sender = {agency.code: agency.country for agency in ROSTER}[sender_for(file)]
    found: set[str] = set()
    for sighting in stored.sightings:
        person = stored.person(sighting.person_record_id)
        if sighting.selector_type == "phone" and not sighting.raw_value.startswith(("+", "00")):
            same = f"cc:{sender}" in sighting.flags
            found.add("national phone" if same else "national phone of another country than the sender's")
        if "eth" in sighting.flags:
            found.add("ethereum wallet")
        if person is None:
            found.add("sighting of nobody named in the file")
        elif person.kind == "account" and format_of(file) in ("misp", "stix"):
            found.add("sighting of an unnamed account")
        elif person.role == "victim" and sighting.selector_type == "username":
            found.add("victim's account")
    return found
