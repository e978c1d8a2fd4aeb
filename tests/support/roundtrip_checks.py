"""What must hold between one imported referral and truth.json; each check returns its problems.

A problem names the file, the stored row (or truth ref) and what is wrong, so a failing round trip
says where to look. The noise synth adds on purpose (typos, transliterations, day/month swaps,
dotted or +tagged webmail addresses, nick decorations) is allowed exactly, nothing more.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from caseweave.intake.models import PersonRecord, Sighting
from caseweave.intake.records import RECORD_KINDS
from caseweave.selectors import normalise
from caseweave.synth import names
from tests.support.roundtrip import (
    PERSON_KINDS,
    Stored,
    Truth,
    covered,
    format_of,
    mailbox,
    misp_index,
    stix_observations,
    utc,
)

Problems = dict[str, list[str]]
ASPECTS = ("lost", "stray", "quarantined", "counts", "values", "windows", "persons", "ties")


@dataclass
class Referral:
    """One imported file beside its truth: which truth refs each stored row stands for."""

    file: str
    fmt: str
    stored: Stored
    truth: Truth
    folder: Path

    def __post_init__(self) -> None:
        index = misp_index(self.folder / self.file) if self.fmt == "misp" else {}
        self.refs = self.truth.refs(self.file)
        self.rows_of: dict[int, set[str]] = {}
        for row in self.stored.rows():
            self.rows_of[id(row)] = covered(self.fmt, row, index) & set(self.refs)

    def who(self, row: object) -> set[str]:
        return {wid for ref in self.rows_of[id(row)] for wid in self.refs[ref]}

    def where(self, row: PersonRecord | Sighting) -> str:
        return f"{self.file} {row.ref}"


def check(file: str, stored: Stored, truth: Truth, folder: Path) -> Problems:
    referral = Referral(file, format_of(file), stored, truth, folder)
    problems: Problems = {aspect: [] for aspect in ASPECTS}
    problems["quarantined"] = [f"{file} {q.location} [{q.field}] {q.reason}" for q in stored.quarantined]
    _arrival(referral, problems)
    _counts(referral, problems)
    for sighting in stored.sightings:
        _value(referral, sighting, problems)
        _tie(referral, sighting, problems)
    for person in stored.persons:
        _person(referral, person, problems)
    return problems


def _arrival(r: Referral, problems: Problems) -> None:
    """Every truth record has a row (a STIX observation: windows on its SCOs); every row has a record."""
    arrived = {ref for refs in r.rows_of.values() for ref in refs}
    observations = stix_observations(r.folder / r.file) if r.fmt == "stix" else {}
    for ref in r.refs:
        if r.truth.kind[r.file, ref] == "observation":
            scos, first, last = observations[ref]
            for sco in scos:
                rows = [s for s in r.stored.sightings if s.ref == sco]
                if not any(_covers(s, first, last) for s in rows):
                    problems["lost"].append(f"{r.file} {ref}: no sighting of {sco} spans {first}..{last}")
        elif ref not in arrived:
            problems["lost"].append(f"{r.file} {ref} ({r.truth.kind[r.file, ref]} of {sorted(r.refs[ref])})")
    for row in r.stored.rows():
        reporter = isinstance(row, PersonRecord) and row.role == "reporter" and r.fmt == "cybertip"
        if not r.rows_of[id(row)] and not reporter:
            problems["stray"].append(f"{r.file} {row.ref} at {row.location}: no truth record")


def _covers(sighting: Sighting, first: datetime, last: datetime) -> bool:
    start, end = sighting.observed_from, sighting.observed_to
    return start is not None and end is not None and utc(start) <= first and utc(end) >= last


def _counts(r: Referral, problems: Problems) -> None:
    stored, counts = r.stored, r.stored.referral.counts
    uploads = sum(1 for ref in r.refs if r.truth.kind[r.file, ref] == "upload")
    counted = sum(counts.get(key, 0) for key in RECORD_KINDS.values())
    wanted = {
        "truth entries": (r.truth.entries[r.file], r.truth.summary["files"][r.file]),
        "counted records": (counted, len(stored.persons)),
        "counted sightings": (counts.get("sightings"), len(stored.sightings)),
        "media hashes (MD5 + SHA1 per upload)": (len(stored.media), 2 * uploads),
        "counted quarantined": (counts.get("quarantined"), 0),
    }
    if r.fmt in ("misp", "stix"):
        # Every subject is a record: its person, else its account(s). An unnamed subject's two accounts
        # in a STIX bundle are two records (nothing in the file says one holder has both).
        subjects = {
            wid for ref, who in r.refs.items() if r.truth.kind[r.file, ref] != "observation" for wid in who
        }
        wanted["subjects with a record"] = (
            sorted({wid for person in stored.persons for wid in r.who(person)}),
            sorted(subjects),
        )
    else:
        kinds = PERSON_KINDS[r.fmt]
        persons = sum(1 for ref in r.refs if r.truth.kind[r.file, ref] in kinds) + (r.fmt == "cybertip")
        wanted["persons"] = (len(stored.persons), persons)
    for what, (found, expected) in wanted.items():
        if found != expected:
            problems["counts"].append(f"{r.file}: {what} {found}, expected {expected}")
    twice = [ref for ref, n in Counter(s.ref for s in stored.sightings).items() if n > 1]
    problems["counts"] += [f"{r.file} {ref}: stored twice" for ref in twice]


def _value(r: Referral, sighting: Sighting, problems: Problems) -> None:
    who = r.who(sighting)
    if not who:
        return  # a stray row: reported once, as stray
    value = mailbox(sighting.value) if sighting.selector_type == "email" else sighting.value
    owned = r.truth.owned(who)[sighting.selector_type]
    person = r.stored.person(sighting.person_record_id)
    if r.fmt == "chat" and sighting.selector_type == "username" and person is not None:
        # Nicks drift around the account name: account, account_, Account|away, ACCOUNT.
        account = person.ref.removeprefix("account:")
        owned = {
            normalise("username", account + end, platform="nightrelay").value for end in ("", "_", "|away")
        }
    if value not in owned:
        problems["values"].append(
            f"{r.where(sighting)}: {sighting.selector_type} {sighting.value!r} "
            f"(raw {sighting.raw_value!r}) is not one of {sorted(who)}'s"
        )
    if sighting.selector_type == "ip":
        leases = r.truth.leases(who, sighting.value)
        times = [t for t in (sighting.observed_from, sighting.observed_to) if t is not None]
        for when in map(utc, times):
            if leases and not any(begin <= when <= end for begin, end in leases):
                problems["windows"].append(
                    f"{r.where(sighting)}: {sighting.value} seen {when}, outside {sorted(who)}'s leases of it"
                )


def _tie(r: Referral, sighting: Sighting, problems: Problems) -> None:
    """Tied to the person record of its own subject; untied where the file names no single one."""
    who = r.who(sighting)
    holders = {wid for p in r.stored.persons for wid in r.who(p) if wid in who}
    person = r.stored.person(sighting.person_record_id)
    if person is not None:
        if not r.who(person) & who or len(holders) > 1:
            problems["ties"].append(
                f"{r.where(sighting)} of {sorted(who)} is tied to {person.ref} of {sorted(r.who(person))}"
            )
        return
    # A CyberTip report lists uploads beside, not inside, its reported persons: nobody to tie them to.
    upload = r.fmt == "cybertip" and sighting.ref.startswith("/report/fileDetails[")
    # Untied is right where two records could hold it (an unnamed subject's two accounts in one bundle).
    records = [p for p in r.stored.persons if r.who(p) & who]
    if len(holders) == 1 and len(records) == 1 and not upload:
        problems["ties"].append(f"{r.where(sighting)} of {sorted(who)} is tied to no person record")


def _person(r: Referral, person: PersonRecord, problems: Problems) -> None:
    who = r.who(person)
    if not who:
        return
    if len(who) != 1:
        problems["persons"].append(f"{r.where(person)} stands for several people: {sorted(who)}")
        return
    (wid,) = who
    found = _person_problem(r.fmt, person, r.truth.subjects.get(wid), wid)
    if found:
        problems["persons"].append(f"{r.where(person)} ({wid}): {found}")


def _person_problem(fmt: str, person: PersonRecord, subject: dict[str, str] | None, wid: str) -> str | None:
    stated = (person.full_name, person.given_name, person.family_name, person.date_of_birth)
    if subject is None:  # a child: pseudonymous, never named
        return None if person.role == "victim" and stated == (None,) * 4 else f"victim stated as {stated}"
    role = "unknown" if fmt == "chat" else "suspect"
    if person.role != role:
        return f"role {person.role}, expected {role}"
    given, family = subject["given_name"], subject["family_name"]
    if (person.given_name is None) != (person.family_name is None):
        return f"half a name: {person.given_name!r} {person.family_name!r}"
    if person.given_name and not names_match(person.given_name, person.family_name or "", given, family):
        return f"name {person.given_name} {person.family_name} is not {given} {family}"
    if person.full_name and not full_name_matches(person.full_name, given, family):
        return f"name {person.full_name!r} is not {given} {family}"
    if person.date_of_birth and not dob_matches(
        person.date_of_birth, date.fromisoformat(subject["date_of_birth"])
    ):
        return f"born {person.date_of_birth}, not {subject['date_of_birth']}"
    if person.country and person.country != subject["country"]:
        return f"country {person.country}, not {subject['country']}"
    if person.address and person.address != f"{subject['address']}, {subject['town']}":
        return f"address {person.address!r}"
    return None


def _spellings(name: str) -> set[str]:
    """The name and each single transliteration synth may apply to it (lower case)."""
    low = name.lower()
    out = {low}
    for src, dst in names.TRANSLITERATIONS:
        at = low.find(src)
        while at >= 0:
            out.add(low[:at] + dst + low[at + len(src) :])
            at = low.find(src, at + 1)
    return out


def _one_slip(a: str, b: str) -> bool:
    """b is a with two neighbouring letters swapped, one dropped or one doubled."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2 and diff[1] == diff[0] + 1 and (a[diff[0]], a[diff[1]]) == (b[diff[1]], b[diff[0]])
        )
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def name_is(stated: str, true: str) -> bool:
    low = stated.lower()
    return low in _spellings(true) or _one_slip(true.lower(), low)


def names_match(first: str, second: str, given: str, family: str) -> bool:
    """(first, second) is (given, family), or family first, each at most one slip away."""
    return (name_is(first, given) and name_is(second, family)) or (
        name_is(first, family) and name_is(second, given)
    )


def full_name_matches(full: str, given: str, family: str) -> bool:
    words = full.split()
    if len(words) == 1:  # a display name may be the first name alone
        return name_is(words[0], given) or name_is(words[0], family)
    return len(words) == 2 and names_match(words[0], words[1], given, family)


def dob_matches(stated: date, true: date) -> bool:
    return stated == true or (stated.year, stated.month, stated.day) == (true.year, true.day, true.month)
