"""A synthetic operation's stored sightings for the linkage benchmarks, computed from a person's index.

Person `i` belongs to stored referral `i // per_referral`, whose agency is `referral % len(AGENCIES)`:
neighbouring referrals come from different agencies. Every person holds exactly ten sightings: an
e-mail, a username on one platform, a phone number of its agency's country, and seven logins from
three IP addresses of a shared pool (dynamic addresses: other people hold them on other days).
Values are written already normalised, as the importers would store them. A few people are the same
real person as someone in the previous referral (same e-mail or same handle), so the stored data
holds subjects across agencies as a real operation does.

Everything is a pure function of (seed, index): the loader (`load`) streams millions of people in
constant memory, and a new referral can name a stored person's values without reading them back.
"""

from __future__ import annotations

import cProfile
import io
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# code, country, phone prefix (E.164), digits after the prefix (numbers that phonenumbers accepts)
AGENCIES: tuple[tuple[str, str, str, int], ...] = (
    ("GB-NCA", "GB", "+447400", 6),
    ("IE-GARDA", "IE", "+35387", 7),
    ("NL-POLITIE", "NL", "+3161", 7),
    ("DE-BKA", "DE", "+4915112", 6),
    ("FR-OFMIN", "FR", "+33612", 6),
)
PLATFORMS = ("chatapp", "photoshare", "gamechat", "videohub")
DOMAINS = ("mail.example", "inbox.example", "post.example", "webmail.example")
FIRST = ("anna", "ben", "chloe", "david", "emma", "finn", "greta", "hugo", "ines", "jan", "kim", "lars")
LAST = ("smith", "murphy", "devries", "mueller", "martin", "kowalski", "jansen", "byrne", "weber")
WORDS = ("shadow", "blue", "night", "pixel", "river", "storm", "quiet", "lucky", "silver", "wolf")
# Public IPv4 /8s that no bundled warning list covers (checked by the loader's self-check).
FIRST_OCTETS = (31, 62, 77, 79, 80, 81, 82, 83, 84, 85, 86, 87, 89, 90, 92, 93)
YEAR = datetime(2025, 1, 1, tzinfo=UTC)
DUPLICATE_EMAIL = 0.03  # share of people who are someone of the previous referral, by e-mail
DUPLICATE_HANDLE = 0.01  # ... by handle on the same platform
LOGINS = (0, 0, 0, 1, 1, 2, 2)  # which of a person's three addresses each of the seven logins uses


@dataclass(frozen=True)
class Login:
    ip: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Person:
    index: int
    referral: int
    agency: int
    name: str
    email: str
    platform: str
    handle: str
    phone: str
    logins: tuple[Login, ...]

    @property
    def username(self) -> str:
        """The stored (normalised) username selector: the platform names the namespace."""
        return f"{self.platform}:{self.handle}"


@dataclass(frozen=True)
class World:
    """The shape of the stored data: persons, how many per referral, the IP pool, the seed."""

    persons: int
    per_referral: int
    seed: int = 7

    @property
    def referrals(self) -> int:
        return -(-self.persons // self.per_referral)

    @property
    def ip_pool(self) -> int:
        return max(1000, 2 * self.persons)

    def agency_of_referral(self, referral: int) -> int:
        return referral % len(AGENCIES)

    def person(self, index: int) -> Person:
        rng = random.Random(self.seed * 1_000_003 + index)
        referral = index // self.per_referral
        agency = self.agency_of_referral(referral)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        number = (index * 7919 + 13) % 10_000_000
        email = f"{first}.{last}{number}@{rng.choice(DOMAINS)}"
        platform = PLATFORMS[index % len(PLATFORMS)]
        handle = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}{(index * 104729 + 7) % 10_000_000}"
        _, _, prefix, digits = AGENCIES[agency]
        phone = f"{prefix}{(index * 7919 + 12345) % 10**digits:0{digits}d}"
        addresses = [ip_address(rng.randrange(self.ip_pool)) for _ in range(3)]
        logins = []
        for which in LOGINS:
            start = YEAR + timedelta(hours=rng.randrange(365 * 24), minutes=rng.randrange(60))
            logins.append(Login(addresses[which], start, start + timedelta(hours=rng.choice((0, 1, 2, 4)))))
        if referral >= 1:
            draw = rng.random()
            if draw < DUPLICATE_EMAIL:
                email = self.person(index - self.per_referral).email
            elif draw < DUPLICATE_EMAIL + DUPLICATE_HANDLE:
                twin = self.person(index - self.per_referral)
                platform, handle = twin.platform, twin.handle
        return Person(
            index, referral, agency, f"{first.title()} {last.title()}", email, platform, handle, phone,
            tuple(logins),
        )  # fmt: skip


def ip_address(k: int) -> str:
    """The k-th address of the pool: spread over FIRST_OCTETS, a bijection on the lower 24 bits."""
    rest = ((k // len(FIRST_OCTETS)) * 2654435761) % (1 << 24)
    last = rest & 255
    return f"{FIRST_OCTETS[k % len(FIRST_OCTETS)]}.{rest >> 16}.{(rest >> 8) & 255}.{min(max(last, 1), 254)}"


def phone_flags(agency: int) -> list[str]:
    return [f"cc:{AGENCIES[agency][1]}"]


def sighting_rows(person: Person, person_id: int, common: dict[str, Any]) -> list[dict[str, Any]]:
    """The person's ten sightings as rows of the sightings table (every row has the same keys)."""
    ref = f"{person.platform}:acct{person.index}"
    location = f"return-{person.referral}.csv:line {person.index}"
    base = {**common, "location": location, "person_ref": ref, "person_record_id": person_id}

    def row(n: int, kind: str, value: str, flags: list[str], context: str, window: Login | None) -> None:
        rows.append(
            {
                **base,
                "ref": f"p{person.index}:{n}",
                "selector_type": kind,
                "value": value,
                "raw_value": value,
                "flags": flags,
                "platform": person.platform,
                "port": None,
                "observed_from": window.start if window else None,
                "observed_to": window.end if window else None,
                "context": context,
                "possible_proxy": False,
            }
        )

    rows: list[dict[str, Any]] = []
    row(0, "email", person.email, [], "registration", None)
    row(1, "username", person.username, [], "registration", None)
    row(2, "phone", person.phone, phone_flags(person.agency), "registration", None)
    for n, login in enumerate(person.logins, start=3):
        row(n, "ip", login.ip, ["ipv4"], "login", login)
    return rows


def person_row(person: Person, person_id: int, common: dict[str, Any]) -> dict[str, Any]:
    return {
        **common,
        "id": person_id,
        "ref": f"{person.platform}:acct{person.index}",
        "location": f"return-{person.referral}.csv:line {person.index}",
        "full_name": person.name,
        "given_name": None,
        "family_name": None,
        "date_of_birth": None,
        "address": None,
        "country": AGENCIES[person.agency][1],
        "role": "suspect",
    }


HEADER = (
    "platform,account_id,username,display_name,email,phone,registration_ip,registration_time,"
    "login_ip,login_port,login_time\n"
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class NewReferral:
    """One small platform return from `agency`: some accounts match stored people of other agencies."""

    round: int
    agency: int
    platform: str
    csv: str
    matched: dict[str, int]  # how many accounts were built to match, by kind


def new_referral(
    world: World, round_: int, accounts: int = 20, emails: int = 4, handles: int = 2, ips: int = 2
) -> NewReferral:
    """A return whose first accounts reuse a stored person's e-mail (in other case), handle, or two
    of their addresses inside the stored windows (two shared addresses join a subject); the rest are
    new people with new values."""
    rng = random.Random(10_000 + round_)
    agency = round_ % len(AGENCIES)
    platform = PLATFORMS[round_ % len(PLATFORMS)]

    def stored(same_platform: bool = False) -> Person:
        while True:
            index = rng.randrange(world.persons)
            if world.agency_of_referral(index // world.per_referral) == agency:
                continue
            if same_platform and index % len(PLATFORMS) != PLATFORMS.index(platform):
                continue
            person = world.person(index)
            if not same_platform or person.platform == platform:
                return person

    lines: list[str] = []

    def account(n: int, handle: str, email: str, logins: list[tuple[str, datetime]]) -> None:
        for ip, at in logins:
            lines.append(
                f"{platform},new{round_}x{n},{handle},,{email},,,,{ip},{rng.randrange(1024, 65535)},"
            )
            lines[-1] += _iso(at) + "\n"

    def fresh_logins() -> list[tuple[str, datetime]]:
        count = rng.randint(1, 2)
        base = 3_000_000_000 + round_ * 1000  # outside the stored pool's indexes
        return [
            (ip_address(base + rng.randrange(1000)), YEAR + timedelta(hours=rng.randrange(365 * 24)))
            for _ in range(count)
        ]

    n = 0
    for _ in range(emails):
        person = stored()
        local, _, domain = person.email.partition("@")
        account(n, f"fresh_{round_}_{n}", f"{local.title()}@{domain.upper()}", fresh_logins())
        n += 1
    for _ in range(handles):
        person = stored(same_platform=True)
        account(n, person.handle.upper(), f"new.{round_}.{n}@mail.example", fresh_logins())
        n += 1
    for _ in range(ips):
        person = stored()
        distinct: dict[str, Login] = {}
        for login in person.logins:
            distinct.setdefault(login.ip, login)
        two = list(distinct.values())[:2]
        logins = [(login.ip, login.start + (login.end - login.start) / 2) for login in two]
        account(n, f"fresh_{round_}_{n}", f"new.{round_}.{n}@mail.example", logins)
        n += 1
    while n < accounts:
        account(n, f"fresh_{round_}_{n}", f"new.{round_}.{n}@mail.example", fresh_logins())
        n += 1
    matched = {"email": emails, "username": handles, "ip pair": ips}
    return NewReferral(round_, agency, platform, HEADER + "".join(lines), matched)


CHUNK = 5000  # persons per bulk insert and commit (50,000 sightings): memory stays flat
TABLES = ("person_records", "sightings")


# --- load: the operation, the stored referrals, N sightings, one full run -------------------------


def _secondary_indexes(session: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's plain indexes, as the migrations made them."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        query = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
    else:
        query = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        )
    return [(name, sql) for name, sql in session.execute(text(query), {"t": table})]


def bench_operation(session: Any, name: str) -> int:
    """The five AGENCIES and an operation led by the first, the others partners from its start."""
    from caseweave.actor import Actor
    from caseweave.operations import service as ops

    operator = Actor.cli()
    started = date.today() - timedelta(days=400)
    for code, country, _, _ in AGENCIES:
        ops.add_agency(
            session,
            operator,
            code=code,
            name=f"{code} bench",
            country=country,
            kind="police",
            contact_point=f"desk@{code.lower()}.example",
        )
    op = ops.create_operation(session, operator, name=name, lead_agency=AGENCIES[0][0], start_date=started)
    for code, *_ in AGENCIES[1:]:
        ops.invite(session, operator, op.id, agency=code, role="partner", joined_on=started)
    return op.id


def load(url: str, world: World, profile: Path | None = None) -> dict[str, Any]:
    from sqlalchemy import func, select, text

    from caseweave.actor import Actor
    from caseweave.config import Settings
    from caseweave.db.bulk import bulk_insert
    from caseweave.db.runtime import Database
    from caseweave.intake.models import PersonRecord, Sighting
    from caseweave.intake.service import import_referral
    from caseweave.linkage.service import link_operation
    from caseweave.operations import service as ops

    self_check(world)
    settings = Settings(database_url=url)
    db = Database.open(settings)
    postgres = db.engine.dialect.name == "postgresql"
    operator = Actor.cli()
    started = time.perf_counter()
    with db.transaction() as session:
        op_id = bench_operation(session, "Bench linkage")
    referral_ids: list[int] = []
    for referral in range(world.referrals):
        code = AGENCIES[world.agency_of_referral(referral)][0]
        header = "platform,account_id,username,email\n"
        data = f"{header}chatapp,seed{referral},seed_{referral},seed{referral}@{code.lower()}.example\n"
        with db.transaction() as session:
            outcome = import_referral(
                session, operator, op_id, io.BytesIO(data.encode()), f"return-{referral}.csv", agency=code
            )
            referral_ids.append(outcome.referral.id)
    with db.transaction() as session:
        dropped = {table: _secondary_indexes(session, table) for table in TABLES}
        for statements in dropped.values():
            for name, _ in statements:
                session.execute(text(f'DROP INDEX "{name}"'))
        first_id = (session.scalar(select(func.max(PersonRecord.id))) or 0) + 1
    agency_ids: dict[int, int] = {}
    with db.transaction() as session:
        for n, (code, *_) in enumerate(AGENCIES):
            agency_ids[n] = ops.agency_by_code(session, code).id
    persons_table = PersonRecord.metadata.tables[PersonRecord.__tablename__]
    sightings_table = Sighting.metadata.tables[Sighting.__tablename__]
    insert_started = time.perf_counter()
    for start in range(0, world.persons, CHUNK):
        people, seen = [], []
        for index in range(start, min(start + CHUNK, world.persons)):
            person = world.person(index)
            common = {
                "operation_id": op_id,
                "owner_agency_id": agency_ids[person.agency],
                "tlp": "AMBER",
                "referral_id": referral_ids[person.referral],
            }
            people.append(person_row(person, first_id + index, common))
            seen.extend(sighting_rows(person, first_id + index, common))
        with db.transaction() as session:
            bulk_insert(session, persons_table, people)
            bulk_insert(session, sightings_table, seen)
        if start // CHUNK % 20 == 0:
            done = start + len(people)
            rate = done * 10 / (time.perf_counter() - insert_started)
            print(f"  loaded {done * 10:,} sightings ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    inserted = time.perf_counter() - insert_started
    index_started = time.perf_counter()
    with db.transaction() as session:
        for statements in dropped.values():
            for _, create in statements:
                session.execute(text(create))
        if postgres:
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('person_records', 'id'), "
                    "(SELECT max(id) FROM person_records))"
                )
            )
    indexed = time.perf_counter() - index_started
    if postgres:  # what autovacuum would do after a load this size; SQLite runs without statistics
        _vacuum_analyze(db.engine)
    loaded = time.perf_counter() - started
    print(f"  loaded in {loaded:.0f} s; full linkage run…", file=sys.stderr, flush=True)
    full_started = time.perf_counter()
    profiler = cProfile.Profile() if profile else None
    with db.transaction() as session:
        if profiler:
            profiler.enable()
        summary = link_operation(session, operator, settings, op_id, full=True, use_model=False)
        if profiler:
            profiler.disable()
    full = time.perf_counter() - full_started
    if profiler and profile:
        profiler.dump_stats(str(profile / "full.prof"))
    if postgres:
        _vacuum_analyze(db.engine)
    with db.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(Sighting)) or 0
    db.close()
    return {
        "operation_id": op_id,
        "sightings": stored,
        "persons": world.persons,
        "referrals": world.referrals,
        "insert_s": inserted,
        "index_s": indexed,
        "load_s": loaded,
        "full_run_s": full,
        "full_profiled": profiler is not None,
        "full_subjects": summary.subjects,
        "full_selector_links": summary.selector_links,
        "full_alerts": summary.alerts_new,
        "full_over_correlating": len(summary.over_correlating),
    }


def self_check(world: World, people: int = 300) -> None:
    """The generated values are what the importers would store, and none is excluded from linking."""
    from caseweave.linkage.correlation import excluded_because
    from caseweave.linkage.warninglist_match import WarninglistMatcher
    from caseweave.linkage.warninglists import bundled_lists
    from caseweave.selectors import normalise

    matcher = WarninglistMatcher(parsed.spec for parsed in bundled_lists())
    for index in range(0, world.persons, max(1, world.persons // people)):
        for row in sighting_rows(world.person(index), 0, {}):
            kind, value = row["selector_type"], row["value"]
            platform = row["platform"] if kind == "username" else None
            normalised = normalise(kind, value, platform=platform)
            if kind == "username":
                normalised = normalise(kind, value.partition(":")[2], platform=row["platform"])
            assert (normalised.value, sorted(normalised.flags)) == (value, row["flags"]), (row, normalised)
            assert excluded_because(kind, value, matcher) is None, row


def _vacuum_analyze(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
