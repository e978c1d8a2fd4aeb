"""Person records at scale for bench/linkage_scale.py: invented people, their records, ground truth.

A `Population` of `records + new` person records belongs to subjects (real people) of 1 to 5
records each. A subject has an invented name (syllables, drawn with Zipf-like frequencies from
large vocabularies, so some names are common and most are rare), a date of birth, a country, an
e-mail address, a handle, a phone number and two home IP addresses it uses on a few days. Each of
its records is what one referral states: the name as a full name or in parts, with typos and
transliterations, or no name; often no date of birth, sometimes day and month swapped or a digit
off; a subset of the selectors (the handle spelled another way on another platform, logins from the
home addresses on one of the subject's days). Home addresses come from a pool shared with other
people (households, reassigned leases), so an address alone is weak evidence; no account, e-mail
address or phone number is ever held by two subjects (a platform's handle names one account).

Records are stored in an order unrelated to subjects (an affine permutation of generation order):
the last `new` records, stored as one later referral, hold people already stored as well as new
ones. Everything is a pure function of (seed, index), so the loader streams a million records in
constant memory and the truth of any record can be recomputed.
"""

from __future__ import annotations

import bisect
import io
import itertools
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from bench._support import AGENCIES, DOMAINS, PLATFORMS, Login, bench_operation
from caseweave.synth.names import transliterate, typo

HANDLE_WORDS = (
    ("dark", "silent", "lone", "grey", "night", "cold", "swift", "void", "iron", "lucky", "pale", "wild"),
    ("fox", "owl", "wolf", "raven", "lynx", "moth", "pike", "crow", "hare", "viper", "stag", "eel"),
)
_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiouy"
FIRST_OCTETS = (31, 62, 77, 79, 80, 81, 82, 83, 84, 85, 86, 87, 89, 90, 92, 93)  # public, unlisted
YEAR = datetime(2025, 1, 1, tzinfo=UTC)
SIZES = (1, 1, 1, 2, 2, 2, 3, 3, 4, 5)  # records per subject: mean 2.4
LEET = str.maketrans({"a": "4", "e": "3", "o": "0", "i": "1", "s": "5"})


def _syllables(rng: random.Random, count: int) -> list[str]:
    out: set[str] = set()
    while len(out) < count:
        out.add(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) + rng.choice(("", "", *_CONSONANTS)))
    return sorted(out)


def _vocabulary(rng: random.Random, size: int, parts: int) -> list[str]:
    """`size` distinct invented words of 2..parts syllables, in a random order (rank = frequency)."""
    syllables = _syllables(rng, 220)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, parts))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


def _zipf(size: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(size)))


@dataclass(frozen=True)
class Subject:
    index: int
    agency: int
    given: str
    family: str
    born: date
    email: str
    platform: str
    handle: str
    phone: str
    homes: tuple[str, str]
    days: tuple[int, ...]  # days of the year the subject is online


@dataclass(frozen=True)
class Record:
    """One referral's statement of a subject: what goes into person_records and sightings."""

    index: int  # storage order
    subject: int
    full_name: str | None
    given_name: str | None
    family_name: str | None
    born: date | None
    country: str | None
    emails: tuple[str, ...]
    usernames: tuple[tuple[str, str], ...]  # (platform, handle as stored: "platform:handle")
    phones: tuple[str, ...]
    logins: tuple[Login, ...]


@dataclass(frozen=True)
class Population:
    records: int  # stored before the run
    new: int = 0  # stored afterwards as one more referral
    per_referral: int = 5000
    seed: int = 11

    @property
    def total(self) -> int:
        return self.records + self.new

    @property
    def referrals(self) -> int:
        return -(-self.records // self.per_referral)

    def referral_of(self, index: int) -> int:
        """Stored referral number; the new records are one referral after the others."""
        return self.referrals if index >= self.records else index // self.per_referral

    @cached_property
    def _starts(self) -> list[int]:
        """Generation order: subject k holds positions starts[k] .. starts[k+1] - 1."""
        rng = random.Random(self.seed)
        starts, position = [], 0
        while position < self.total:
            starts.append(position)
            position += rng.choice(SIZES)
        return starts

    @cached_property
    def _permutation(self) -> tuple[int, int, int]:
        """(a, b, a⁻¹ mod total): storage index = (a·position + b) mod total."""
        a = 1_000_003
        while _gcd(a, self.total) != 1:
            a += 2
        return a, 7919 % self.total, pow(a, -1, self.total)

    @cached_property
    def _names(self) -> tuple[list[str], list[float], list[str], list[float]]:
        rng = random.Random(self.seed * 31)
        given = _vocabulary(rng, 12_000, 3)
        family = _vocabulary(rng, 80_000, 4)
        return given, _zipf(len(given), 0.7), family, _zipf(len(family), 0.6)

    @property
    def subjects(self) -> int:
        return len(self._starts)

    def position(self, index: int) -> int:
        _, b, inverse = self._permutation
        return (inverse * (index - b)) % self.total

    def subject_of(self, index: int) -> int:
        return bisect.bisect_right(self._starts, self.position(index)) - 1

    def subject(self, k: int) -> Subject:
        rng = random.Random(self.seed * 1_000_003 + k)
        given, given_weights, family, family_weights = self._names
        agency = rng.randrange(len(AGENCIES))
        first = rng.choices(given, cum_weights=given_weights)[0]
        last = rng.choices(family, cum_weights=family_weights)[0]
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(58 * 365))
        email = f"{first}.{last}{k}@{rng.choice(DOMAINS)}"
        handle = f"{rng.choice(HANDLE_WORDS[0])}{rng.choice(HANDLE_WORDS[1])}{k}"
        _, _, prefix, digits = AGENCIES[agency]
        phone = f"{prefix}{(k * 7919 + 12345) % 10**digits:0{digits}d}"
        pool = max(1000, self.total)  # about two people per address over the year
        homes = (ip_address(rng.randrange(pool)), ip_address(rng.randrange(pool)))
        days = tuple(sorted(rng.sample(range(365), 4)))
        platform = rng.choice(PLATFORMS)
        return Subject(k, agency, first, last, born, email, platform, handle, phone, homes, days)

    def record(self, index: int) -> Record:
        k = self.subject_of(index)
        person = self.subject(k)
        rng = random.Random(self.seed * 7_000_003 + index)
        given, family = _spelled(rng, person.given), _spelled(rng, person.family)
        full_name = given_name = family_name = None
        form = rng.random()
        if form < 0.35:
            full_name = f"{given.title()} {family.title()}"
        elif form < 0.85:
            given_name, family_name = given.title(), family.title()
        born: date | None = None
        if rng.random() < 0.55:
            born = _misdated(rng, person.born)
        country = AGENCIES[person.agency][1] if rng.random() < 0.85 else None
        emails: tuple[str, ...] = (person.email,) if rng.random() < 0.45 else ()
        if rng.random() < 0.1:
            emails += (f"other{index}@{rng.choice(DOMAINS)}",)
        usernames: tuple[tuple[str, str], ...] = ()
        if rng.random() < 0.5:
            platform = person.platform if rng.random() < 0.6 else rng.choice(PLATFORMS)
            handle = _handle_variant(rng, person.handle)
            usernames = ((platform, f"{platform}:{handle.lower()}"),)
        phones = (person.phone,) if rng.random() < 0.25 else ()
        logins = []
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            day = YEAR + timedelta(days=rng.choice(person.days), hours=rng.randrange(24))
            logins.append(Login(rng.choice(person.homes), day, day + timedelta(hours=rng.choice((0, 1, 2)))))
        return Record(
            index, k, full_name, given_name, family_name, born, country, emails, usernames, phones,
            tuple(logins),
        )  # fmt: skip


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _spelled(rng: random.Random, name: str) -> str:
    draw = rng.random()
    if draw < 0.08:
        return typo(rng, name).lower()
    if draw < 0.12:
        return transliterate(rng, name).lower()
    return name


def _misdated(rng: random.Random, born: date) -> date:
    draw = rng.random()
    if draw < 0.05 and born.day <= 12:
        return born.replace(month=born.day, day=born.month)
    if draw < 0.1:
        return born + timedelta(days=rng.choice((-1, 1, -10, 10)))
    return born


def _handle_variant(rng: random.Random, handle: str) -> str:
    """The subject's handle as another platform or referral writes it: leetspeak, a separator, or
    as it is. Its number is the subject's own, so no two subjects ever hold one account."""
    stem = handle.rstrip("0123456789")
    number = handle[len(stem) :]
    kind = rng.randrange(5)
    if kind == 0:
        return stem.translate(LEET) + number
    if kind == 1:
        return f"{stem}_{number}"
    return handle


def ip_address(k: int) -> str:
    """The k-th address of the pool: spread over FIRST_OCTETS, a bijection on the lower 24 bits."""
    rest = ((k // len(FIRST_OCTETS)) * 2654435761) % (1 << 24)
    last = rest & 255
    return f"{FIRST_OCTETS[k % len(FIRST_OCTETS)]}.{rest >> 16}.{(rest >> 8) & 255}.{min(max(last, 1), 254)}"


def file_name(referral: int) -> str:
    return f"scale-{referral}.csv"


def ref(index: int) -> str:
    return f"p{index}"


def truth(population: Population, indexes: range) -> dict[tuple[str, str], int]:
    """(file name, ref) → subject, for caseweave.linkage.evaluation.score."""
    return {(file_name(population.referral_of(i)), ref(i)): population.subject_of(i) for i in indexes}


def person_row(record: Record, person_id: int, common: dict[str, Any]) -> dict[str, Any]:
    return {
        **common,
        "id": person_id,
        "ref": ref(record.index),
        "location": f"line {record.index}",
        "full_name": record.full_name,
        "given_name": record.given_name,
        "family_name": record.family_name,
        "date_of_birth": record.born,
        "address": None,
        "country": record.country,
        "role": "suspect",
    }


def sighting_rows(
    record: Record, person_id: int, common: dict[str, Any], agency: int
) -> list[dict[str, Any]]:
    """The record's sightings as rows of the sightings table, values as the importers store them."""
    base = {**common, "location": f"line {record.index}", "person_ref": ref(record.index)}
    base["person_record_id"] = person_id
    rows: list[dict[str, Any]] = []

    def add(kind: str, value: str, flags: list[str], platform: str | None, window: Login | None) -> None:
        rows.append(
            {
                **base,
                "ref": f"{ref(record.index)}:{len(rows)}",
                "selector_type": kind,
                "value": value,
                "raw_value": value,
                "flags": flags,
                "platform": platform,
                "port": None,
                "observed_from": window.start if window else None,
                "observed_to": window.end if window else None,
                "context": "login" if window else "registration",
                "possible_proxy": False,
            }
        )

    for email in record.emails:
        add("email", email, [], None, None)
    for platform, username in record.usernames:
        add("username", username, [], platform, None)
    for phone in record.phones:
        add("phone", phone, [f"cc:{AGENCIES[agency][1]}"], None, None)
    for login in record.logins:
        add("ip", login.ip, ["ipv4"], None, login)
    return rows


CHUNK = 5000  # records per bulk insert and commit


@dataclass
class Stored:
    operation_id: int
    first_id: int  # person record id of index 0; index i is first_id + i
    referral_ids: list[int]
    agency_ids: dict[int, int]
    seconds: float = 0.0
    sightings: int = 0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def create(url: str, population: Population) -> Stored:
    """The agencies, the operation and one referral per batch (the new records' one included)."""
    from sqlalchemy import func, select

    from caseweave.actor import Actor
    from caseweave.config import Settings
    from caseweave.db.runtime import Database
    from caseweave.intake.models import PersonRecord
    from caseweave.intake.service import import_referral
    from caseweave.operations import service as ops

    db = Database.open(Settings(database_url=url))
    operator = Actor.cli()
    with db.transaction() as session:
        op_id = bench_operation(session, "Bench linkage at scale")
        agency_ids = {n: ops.agency_by_code(session, code).id for n, (code, *_) in enumerate(AGENCIES)}
    referral_ids: list[int] = []
    for referral in range(population.referrals + (1 if population.new else 0)):
        code = AGENCIES[referral % len(AGENCIES)][0]
        # the schema wants each referral stored with its raw file: a one-line return stands for it
        data = f"platform,account_id,username\nchatapp,seed{referral},seed_{referral}\n"
        with db.transaction() as session:
            outcome = import_referral(
                session, operator, op_id, io.BytesIO(data.encode()), file_name(referral), agency=code
            )
            referral_ids.append(outcome.referral.id)
    with db.transaction() as session:
        first_id = (session.scalar(select(func.max(PersonRecord.id))) or 0) + 1
    db.close()
    return Stored(op_id, first_id, referral_ids, agency_ids)


def insert(url: str, population: Population, stored: Stored, indexes: range, *, fast: bool) -> float:
    """Store the records `indexes` with their sightings; fast drops and rebuilds secondary indexes
    around the load (the initial million), as a bulk migration would."""
    from sqlalchemy import text

    from bench._support import _secondary_indexes
    from caseweave.config import Settings
    from caseweave.db.bulk import bulk_insert
    from caseweave.db.runtime import Database
    from caseweave.intake.models import PersonRecord, Sighting

    db = Database.open(Settings(database_url=url))
    started = time.perf_counter()
    tables = ("person_records", "sightings")
    dropped: dict[str, list[tuple[str, str]]] = {}
    if fast:
        with db.transaction() as session:
            dropped = {table: _secondary_indexes(session, table) for table in tables}
            for statements in dropped.values():
                for name, _ in statements:
                    session.execute(text(f'DROP INDEX "{name}"'))
    persons_table = PersonRecord.metadata.tables[PersonRecord.__tablename__]
    sightings_table = Sighting.metadata.tables[Sighting.__tablename__]
    for chunk_start in range(indexes.start, indexes.stop, CHUNK):
        people: list[dict[str, Any]] = []
        seen: list[dict[str, Any]] = []
        for index in range(chunk_start, min(chunk_start + CHUNK, indexes.stop)):
            record = population.record(index)
            referral = population.referral_of(index)
            agency = referral % len(AGENCIES)
            common = {
                "operation_id": stored.operation_id,
                "owner_agency_id": stored.agency_ids[agency],
                "tlp": "AMBER",
                "referral_id": stored.referral_ids[referral],
            }
            person_id = stored.first_id + index
            people.append(person_row(record, person_id, common))
            seen.extend(sighting_rows(record, person_id, common, agency))
        with db.transaction() as session:
            bulk_insert(session, persons_table, people)
            bulk_insert(session, sightings_table, seen)
        stored.sightings += len(seen)
        done = chunk_start + len(people) - indexes.start
        if done % 100_000 < CHUNK:
            _log(f"  stored {done:,} person records ({done / (time.perf_counter() - started):,.0f}/s)")
    with db.transaction() as session:
        for statements in dropped.values():
            for _, create_index in statements:
                session.execute(text(create_index))
    db.close()
    return time.perf_counter() - started


def records(population: Population, indexes: range) -> Iterator[Record]:
    for index in indexes:
        yield population.record(index)
