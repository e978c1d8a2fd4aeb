"""What the probabilistic model compares: one row per person record of an operation.

A row holds the record's name (split into given and family name when only a full name is stated;
accents stripped and case folded for comparison, the stated name kept as `name`), date of birth
(ISO text, so day/month swaps and typos compare as text), country, the stated address read into
`street_number`, `street`, `premise`, `locality` and `postcode` (linkage.addresses; all null where
no address is stated, as in most referrals), and arrays built from the record's sightings:
- `emails`, `usernames` ("platform:handle"), `phones`: the normalised selectors;
- `handles`: each handle (and each e-mail's local part, where people reuse it) without case and
  separators, so DarkFox_88 on one platform meets darkfox88 on another; `handle_cores`: its letters,
  leetspeak undone, trailing digits dropped (d4rkf0x and DarkFox_88 share "darkfox");
  `numbered_cores`: the cores of handles that end in digits (darkfox12 and darkfox88: one core,
  other digits, often other people);
- `ips`; `ip_days`: "ip|YYYY-MM-DD" for each day an IP sighting covers (widened by half the IP
  tolerance, since services' clocks disagree); `ip_weeks`: "ip|YYYY-Www" within a week of it.

An IP address is evidence only beside the other fields: a household shares its address on the same
days. Addresses that never identify one person are left out, as exact correlation leaves them out:
special-purpose ranges (private, CGNAT …), values on enabled warning lists (Tor, VPN, hosting) and
sightings the file marks as a possible proxy. Values on warning lists are left out of every array
("admin", "test@test.com"), and so are selector values held by more than `max_records` records
(over-correlating). Handles and cores stay for comparison however common (a common one says little,
but not nothing), yet only values held by at most `max_records` records go into `block_tokens`,
the tagged values that make candidate pairs: a common value would make blocking quadratic.

Rows are read from SQL in pages (keyset on person record id, sightings by their person_record_id
index) and loaded into a DuckDB table; the filtering above runs there, in SQL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.intake.models import PersonRecord, Sighting
from caseweave.linkage.addresses import parse_address
from caseweave.linkage.correlation import EXCLUDED_IP_FLAGS
from caseweave.linkage.driver_values import flags as driver_flags
from caseweave.linkage.driver_values import moment, raw

SELECTORS = ("email", "username", "phone", "ip")
CHUNK = 5000  # person records per page
MAX_PERIODS = 48  # IP-days (and IP-weeks) per record
MAX_DAYS_PER_SIGHTING = 7  # a window longer than a week says little about a day
MAX_WEEKS_PER_SIGHTING = 6
WEEK = timedelta(days=7)

ARRAYS = (
    "emails",
    "usernames",
    "handles",
    "handle_cores",
    "numbered_cores",
    "phones",
    "ips",
    "ip_days",
    "ip_weeks",
)
ADDRESS_PARTS = ("street_number", "street", "premise", "locality", "postcode")
SCALARS = ("unique_id", "name", "given_name", "family_name", "dob", "country", *ADDRESS_PARTS)
SCHEMA = pa.schema(
    [
        ("unique_id", pa.int64()),
        ("name", pa.string()),
        ("given_name", pa.string()),
        ("family_name", pa.string()),
        ("dob", pa.string()),
        ("country", pa.string()),
        *((column, pa.string()) for column in ADDRESS_PARTS),
        *((column, pa.list_(pa.string())) for column in ARRAYS),
    ]
)
# Arrays of selector values, from which over-correlating values are left out entirely.
SELECTOR_ARRAYS = ("emails", "usernames", "phones", "ips", "ip_days", "ip_weeks")
# Blocking on every value in common but IP-days (their address is in common too): kind → tag.
_TOKEN_TAGS = {
    "emails": "e",
    "usernames": "u",
    "handles": "h",
    "handle_cores": "c",
    "phones": "p",
    "ips": "i",
}
_UNLEET = str.maketrans({"4": "a", "3": "e", "0": "o", "1": "i", "5": "s", "7": "t", "@": "a", "$": "s"})
_NOT_NAME = re.compile(r"[^\w\s'-]|[\d_]")
_NOT_ALNUM = re.compile(r"[\W_]+")
_NOT_LETTER = re.compile(r"[^a-z]+")
_LEET_INSIDE = re.compile(r"[a-z][0-9]+[a-z]")

Excluded = Callable[[str, str], bool]  # (selector type, value) → never evidence (warning lists)


@dataclass
class Features:
    unique_id: int
    name: str | None = None  # as stated
    given_name: str | None = None
    family_name: str | None = None
    dob: str | None = None
    country: str | None = None
    street_number: str | None = None
    street: str | None = None
    premise: str | None = None
    locality: str | None = None
    postcode: str | None = None
    emails: set[str] = field(default_factory=set)
    usernames: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    handle_cores: set[str] = field(default_factory=set)
    numbered_cores: set[str] = field(default_factory=set)  # cores of handles that end in digits
    phones: set[str] = field(default_factory=set)
    ips: set[str] = field(default_factory=set)
    ip_days: set[str] = field(default_factory=set)
    ip_weeks: set[str] = field(default_factory=set)


def name_key(text: str | None) -> str | None:
    """A name for comparison: accents stripped, case folded, digits and punctuation gone."""
    if not text:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_NAME.sub(" ", plain).split()) or None


def split_name(full: str | None, given: str | None, family: str | None) -> tuple[str | None, str | None]:
    """(given, family) for comparison; a full name alone gives its first word and the rest."""
    given_key, family_key = name_key(given), name_key(family)
    if given_key or family_key:
        return given_key, family_key
    words = (name_key(full) or "").split()
    if not words:
        return None, None
    return words[0], " ".join(words[1:]) or None


def handle_forms(handle: str) -> tuple[str | None, set[str]]:
    """("darkfox88", {"darkfox"}) for "DarkFox_88": the handle without case and separators, and its
    cores: letters only, trailing digits dropped and leetspeak undone ("d4rkf0x" → "darkfox"; where
    a digit stands between letters, also the whole handle undone: "5w1fth4r3" → "swifthare").
    An IRC-style status ("nick|away") is not part of the handle."""
    key = _NOT_ALNUM.sub("", handle.split("|", 1)[0].casefold())
    if not key:
        return None, set()
    cores = {_NOT_LETTER.sub("", key.rstrip("0123456789").translate(_UNLEET))}
    if _LEET_INSIDE.search(key):
        cores.add(_NOT_LETTER.sub("", key.translate(_UNLEET)))
    return key, {core for core in cores if len(core) >= 3}


def username_handle(value: str) -> str:
    """The handle of a normalised username ("platform:handle")."""
    return value.partition(":")[2] or value


def email_handle(value: str) -> str:
    """The local part of an e-mail address without its +tag: people reuse their handle there."""
    return value.rpartition("@")[0].split("+", 1)[0]


def ip_days(
    ip: str,
    start: datetime | None,
    end: datetime | None,
    *,
    margin: timedelta,
    limit: int = MAX_DAYS_PER_SIGHTING,
) -> list[str]:
    """ "ip|YYYY-MM-DD" for each day of the window widened by margin on each side (clocks of
    different services disagree by hours), at most `limit` days from its start; none without a time."""
    if start is None:
        return []
    first = (start - margin).date()
    last = max(first, ((end or start) + margin).date())
    return [f"{ip}|{day}" for day in _days(first, last, limit)]


def ip_weeks(
    ip: str, start: datetime | None, end: datetime | None, *, limit: int = MAX_WEEKS_PER_SIGHTING
) -> list[str]:
    """ "ip|YYYY-Www" for each ISO week within a week of the window: two sightings of an address
    up to a fortnight apart share one (an ISP lease lasts weeks; then the address goes to someone else)."""
    if start is None:
        return []
    first = (start - WEEK).date()
    last = max(first, ((end or start) + WEEK).date())
    return [f"{ip}|{week}" for week in _weeks(first, last, limit)]


# Spans repeat (an operation covers a few years of days): their days and weeks are worked out once.
@lru_cache(maxsize=1 << 16)
def _days(first: date, last: date, limit: int) -> tuple[str, ...]:
    return tuple((first + timedelta(days=n)).isoformat() for n in range(min((last - first).days + 1, limit)))


@lru_cache(maxsize=1 << 16)
def _weeks(first: date, last: date, limit: int) -> tuple[str, ...]:
    weeks: list[str] = []
    day = first
    while day <= last and len(weeks) < limit:  # one step per ISO week: its first day, then Mondays
        year, week, weekday = day.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        day += timedelta(days=8 - weekday)
    return tuple(weeks)


def stream_features(
    session: Session,
    operation_id: int,
    *,
    excluded: Excluded,
    margin: timedelta = timedelta(hours=12),
    chunk: int = CHUNK,
    after: int = 0,
) -> Iterator[list[Features]]:
    """The operation's person records (with ids above `after`) in pages of `chunk`, each with its
    sightings' features."""
    last = after
    verdicts: dict[tuple[str, str], bool] = {}

    def skip(selector_type: str, value: str) -> bool:
        key = (selector_type, value)
        if key not in verdicts:
            verdicts[key] = excluded(selector_type, value)
        return verdicts[key]

    while True:
        page = session.execute(
            select(
                PersonRecord.id,
                PersonRecord.full_name,
                PersonRecord.given_name,
                PersonRecord.family_name,
                PersonRecord.date_of_birth,
                PersonRecord.country,
                PersonRecord.address,
            )
            .where(PersonRecord.operation_id == operation_id, PersonRecord.id > last)
            .order_by(PersonRecord.id)
            .limit(chunk)
        ).all()
        if not page:
            return
        rows: dict[int, Features] = {}
        for record_id, full, given, family, born, country, address in page:
            given_key, family_key = split_name(full, given, family)
            stated = full or " ".join(part for part in (given, family) if part) or None
            where = parse_address(address)
            rows[record_id] = Features(
                record_id,
                stated,
                given_key,
                family_key,
                _iso(born),
                country.upper() if country else None,
                where.street_number,
                where.street,
                where.premise,
                where.locality,
                where.postcode,
            )
        _add_sightings(session, page[0][0], page[-1][0], rows, skip, margin)
        last = page[-1][0]
        yield list(rows.values())


def _iso(born: date | None) -> str | None:
    return born.isoformat() if born else None


def _add_sightings(
    session: Session,
    first: int,
    last: int,
    rows: dict[int, Features],
    skip: Excluded,
    margin: timedelta,
) -> None:
    # Core rows with the flags and times as the driver gives them: the ORM's per-row work and the
    # JSON and datetime processors of every row were most of the time of a large operation's load.
    # Only the record id range is in SQL, so that SQLite reads it by its index: with the operation
    # or the selector type beside it, SQLite chose their index and read every sighting of the
    # operation for each page (0.7 s a page at a million records, against 0.02 s). The page's own
    # records (`rows`) are of the operation.
    sightings = session.connection().execute(
        select(
            Sighting.person_record_id,
            Sighting.selector_type,
            Sighting.value,
            raw(Sighting.flags),
            Sighting.possible_proxy,
            raw(Sighting.observed_from),
            raw(Sighting.observed_to),
        ).where(Sighting.person_record_id.between(first, last))
    )
    for record_id, selector_type, value, flags, proxy, start, end in sightings:
        row = rows.get(record_id) if record_id is not None else None  # never None in the range
        if row is None or selector_type not in SELECTORS:
            continue
        if selector_type == "ip":
            if proxy or EXCLUDED_IP_FLAGS.intersection(driver_flags(flags)) or skip("ip", value):
                continue
            row.ips.add(value)
            if start is not None:
                begun, ended = moment(start), moment(end)
                row.ip_days.update(ip_days(value, begun, ended, margin=margin))
                row.ip_weeks.update(ip_weeks(value, begun, ended))
        elif skip(selector_type, value):
            continue
        elif selector_type == "phone":
            row.phones.add(value)
        else:
            if selector_type == "email":
                row.emails.add(value)
                key, cores = handle_forms(email_handle(value))
            else:
                row.usernames.add(value)
                key, cores = handle_forms(username_handle(value))
            if key:
                row.handles.add(key)
                if key[-1].isdigit():
                    row.numbered_cores.add(_NOT_LETTER.sub("", key.rstrip("0123456789").translate(_UNLEET)))
            row.handle_cores.update(cores)


def to_arrow(rows: Sequence[Features]) -> pa.Table:
    """The rows as a table of SCHEMA: each array sorted (IP-days and IP-weeks cut to the first
    MAX_PERIODS), None where empty (Splink's null level). Built column by column: a million rows."""
    columns: dict[str, list[Any]] = {name: [getattr(row, name) for row in rows] for name in SCALARS}
    for column in ARRAYS:
        limit = MAX_PERIODS if column in ("ip_days", "ip_weeks") else None
        columns[column] = [
            sorted(held)[:limit] if held else None for held in (getattr(row, column) for row in rows)
        ]
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def load_features(
    con: Any,
    table: str,
    session: Session,
    operation_id: int,
    *,
    excluded: Excluded,
    max_records: int,
    margin: timedelta = timedelta(hours=12),
    chunk: int = CHUNK,
) -> int:
    """Create DuckDB table `table` with the operation's features; returns its number of rows.

    A value held by more than max_records records (for IP-days: an address) is over-correlating,
    as in exact correlation: it is left out of the arrays and of blocking. The SQL lives in
    linkage.feature_cache, which builds the same table once and keeps it between runs."""
    from caseweave.linkage.feature_cache import build_table  # it imports this module

    return build_table(
        con, table, session, operation_id, excluded=excluded, max_records=max_records, margin=margin,
        chunk=chunk,
    )  # fmt: skip
