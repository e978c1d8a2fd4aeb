"""An online service's answer to a production order: accounts, registration and login IPs.

Two layouts: CSV with one row per event (account columns repeated on each row) and JSON Lines with
one account per line (its logins in a list). Column names vary between services; the accepted
variants are in platform_columns.json. Both layouts stream through the bounded line reader.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from caseweave.bounds import ascii_int
from caseweave.intake.base import Example, FileRejected, Importer
from caseweave.intake.formats.lines import load_json_line, read_lines
from caseweave.intake.formats_common import BadValue, parse_time
from caseweave.intake.records import Location, ParsedItem, PersonRecord, RecordError, ReferralHeader, Sighting

CANONICAL = (
    "platform",
    "account_id",
    "username",
    "display_name",
    "email",
    "phone",
    "registration_ip",
    "registration_time",
    "login_ip",
    "login_port",
    "login_time",
)
LOGIN_FIELDS = ("login_ip", "login_port", "login_time")
CHAT_TYPES = frozenset({"server", "session", "membership"})


def _norm(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " _-")


def _load_variants() -> dict[str, list[str]]:
    raw = json.loads(Path(__file__).with_name("platform_columns.json").read_text(encoding="utf-8"))
    return {name: [str(v) for v in raw.get(name, [])] for name in CANONICAL}


VARIANTS = _load_variants()
_LOOKUP: dict[str, str] = {}
for _name in CANONICAL:
    _LOOKUP[_norm(_name)] = _name
for _name, _variants in VARIANTS.items():
    for _variant in _variants:
        _LOOKUP.setdefault(_norm(_variant), _name)


def canonical_column(name: str) -> str | None:
    """The canonical name a column (or JSON key) stands for, or None when it is not one we read."""
    return _LOOKUP.get(_norm(name))


def map_columns(names: list[str]) -> dict[str, int]:
    """canonical name -> position; an exact canonical name wins over a variant, else the first one."""
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        canonical = canonical_column(name)
        if canonical is None:
            continue
        if canonical not in found or _norm(name) == _norm(canonical):
            if canonical in found and _norm(names[found[canonical]]) == _norm(canonical):
                continue
            found[canonical] = index
    return found


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadValue(f"expected text, found {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _port(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and ascii_int(value, 65535) is not None:
        value = ascii_int(value, 65535)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise BadValue(f"{value!r} is not a port number (0-65535)")
    return value


@dataclass
class _State:
    filename: str
    started: bool = False  # the first data line has been reached (its platform goes in the header)
    first_platform: str | None = None
    persons: set[str] = field(default_factory=set)
    emitted: set[tuple[str, str, str]] = field(default_factory=set)

    def first(self, key: tuple[str, str, str]) -> bool:
        if key in self.emitted:
            return False
        self.emitted.add(key)
        return True


def _account_items(
    state: _State, line: int, record: Mapping[str, Any], logins: list[tuple[str, Mapping[str, Any]]]
) -> Iterator[ParsedItem]:
    """Items for one row/line. `logins` holds (error-field prefix, {login_ip, login_port, login_time})."""
    loc = Location(state.filename, line=line)
    values: dict[str, str | None] = {}
    for name in ("platform", "account_id", "username", "display_name", "email", "phone", "registration_ip"):
        try:
            values[name] = _text(record.get(name))
        except BadValue as exc:
            yield RecordError(loc, name, str(exc), raw=repr(record.get(name))[:200])
            values[name] = None
    platform = values["platform"]
    if not state.started:
        state.started = True
        state.first_platform = platform
    account = values["account_id"]
    if account is None:
        yield RecordError(loc, "account_id", "missing account id")
        return
    ref = f"{platform}:{account}" if platform else f"account:{account}"
    if ref not in state.persons:
        state.persons.add(ref)
        yield PersonRecord(
            ref=ref, location=loc, full_name=values["display_name"], role="suspect", kind="account"
        )
    for name, selector, context in (
        ("username", "username", None),
        ("email", "email", "registration"),
        ("phone", "phone", "registration"),
    ):
        value = values[name]
        if value is not None and state.first((ref, selector, value)):
            yield Sighting(
                f"line{line}:{name}", loc, selector, value, person_ref=ref, platform=platform, context=context
            )
    reg_ip, reg_time = values["registration_ip"], record.get("registration_time")
    if reg_ip is not None and state.first((ref, "registration", f"{reg_ip}|{reg_time}")):
        try:
            when = parse_time(reg_time)
        except BadValue as exc:
            yield RecordError(loc, "registration_time", str(exc), raw=str(reg_time)[:200])
        else:
            yield Sighting(
                f"line{line}:registration_ip",
                loc,
                "ip",
                reg_ip,
                person_ref=ref,
                platform=platform,
                observed_from=when,
                observed_to=when,
                context="registration",
            )
    for prefix, login in logins:
        yield from _login_items(loc, line, ref, platform, prefix, login)


def _label(prefix: str, name: str) -> str:
    """The field name errors show: the CSV column, or the key inside a JSON login ("logins[2].time")."""
    return f"{prefix}{name.removeprefix('login_')}" if prefix else name


def _login_items(
    loc: Location, line: int, ref: str, platform: str | None, prefix: str, login: Mapping[str, Any]
) -> Iterator[ParsedItem]:
    try:
        ip = _text(login.get("login_ip"))
    except BadValue as exc:
        yield RecordError(loc, _label(prefix, "login_ip"), str(exc))
        return
    if ip is None:
        return
    port: int | None = None
    when: datetime | None = None
    for name in ("login_port", "login_time"):
        try:
            if name == "login_port":
                port = _port(login.get(name))
            else:
                when = parse_time(login.get(name))
        except (BadValue, TypeError) as exc:
            yield RecordError(loc, _label(prefix, name), str(exc), raw=str(login.get(name))[:200])
            return
    yield Sighting(
        f"line{line}:{_label(prefix, 'login_ip')}",
        loc,
        "ip",
        ip,
        ref,
        platform,
        port=port,
        observed_from=when,
        observed_to=when,
        context="login",
    )


def _csv_items(state: _State, lines: Iterator[tuple[int, str | RecordError]]) -> Iterator[ParsedItem]:
    columns: dict[str, int] | None = None
    width = 0  # cells in the header row
    for line_no, text in lines:
        if isinstance(text, RecordError):
            if columns is None:
                raise FileRejected(text.location, f"header row cannot be read: {text.reason}")
            yield text
            continue
        if not text.strip():
            continue
        try:
            row = next(csv.reader([text]))
        except (csv.Error, StopIteration) as exc:
            if columns is None:
                raise FileRejected(Location(state.filename, line=line_no), f"header row: {exc}") from None
            yield RecordError(Location(state.filename, line=line_no), "line", f"not a CSV row: {exc}")
            continue
        if columns is None:
            columns, width = map_columns(row), len(row)
            if "account_id" not in columns:
                found = ", ".join(repr(name) for name in row[:30]) or "none"
                accepted = ", ".join(["account_id", *VARIANTS["account_id"]])
                raise FileRejected(
                    Location(state.filename, line=line_no),
                    f"no account id column; found columns {found}; accepted names: {accepted}",
                    field="account_id",
                )
            continue
        if len(row) < width:  # a cut-off row would otherwise pass with its last values cut or missing
            yield RecordError(
                Location(state.filename, line=line_no),
                "line",
                f"{len(row)} of {width} columns: the row is cut short (truncated file?)",
                raw=text[:200],
            )
            continue
        record = {name: row[i] for name, i in columns.items()}
        yield from _account_items(state, line_no, record, [("", record)])
    if columns is None:
        raise FileRejected(Location(state.filename), "file is empty: a header row is required")


def _jsonl_items(state: _State, lines: Iterator[tuple[int, str | RecordError]]) -> Iterator[ParsedItem]:
    for line_no, text in lines:
        if isinstance(text, RecordError):
            yield text
            continue
        if not text.strip():
            continue
        loc = Location(state.filename, line=line_no)
        value, problem = load_json_line(text)
        if problem is not None:
            yield RecordError(loc, "json", problem, raw=text[:200])
            continue
        if not isinstance(value, dict):
            yield RecordError(loc, "line", "expected a JSON object", raw=text[:200])
            continue
        record: dict[str, Any] = {}
        for key, item in value.items():
            canonical = canonical_column(key)
            if canonical is not None and (canonical not in record or key == canonical):
                record[canonical] = item
        logins: list[tuple[str, Mapping[str, Any]]] = [("", record)] if "login_ip" in record else []
        raw_logins = value.get("logins")
        if isinstance(raw_logins, list):
            for i, entry in enumerate(raw_logins, start=1):
                if isinstance(entry, dict):
                    mapped = {canonical_column(k): v for k, v in entry.items()}
                    logins.append((f"logins[{i}].", {k: v for k, v in mapped.items() if k is not None}))
                else:
                    yield RecordError(loc, f"logins[{i}]", "expected a JSON object")
        elif raw_logins is not None:
            yield RecordError(loc, "logins", "expected a list of logins")
        yield from _account_items(state, line_no, record, logins)


class PlatformReturnImporter(Importer):
    name: ClassVar[str] = "platform"
    description: ClassVar[str] = "A service's production-order return: accounts, registration and login IPs"
    extensions: ClassVar[tuple[str, ...]] = (".csv", ".jsonl", ".ndjson")

    def sniff(self, head: bytes, filename: str) -> bool:
        text = head.decode("utf-8-sig", errors="ignore")
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if first.startswith("{"):
            value, problem = load_json_line(first)
            if problem is not None or not isinstance(value, dict) or str(value.get("type")) in CHAT_TYPES:
                return False
            return any(canonical_column(str(key)) == "account_id" for key in value)
        try:
            row = next(csv.reader([first]))
        except (csv.Error, StopIteration):
            return False
        columns = map_columns(row)
        return "account_id" in columns and len(columns) >= 2

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        state = _State(filename)
        lines = read_lines(stream, filename)
        pending: list[tuple[int, str | RecordError]] = []
        for line_no, text in lines:  # find the layout from the first non-blank line
            pending.append((line_no, text))
            if isinstance(text, str) and text.strip():
                break
        as_json = filename.lower().endswith((".jsonl", ".ndjson"))
        if not filename.lower().endswith(tuple(self.extensions)):
            as_json = (
                bool(pending) and isinstance(pending[-1][1], str) and pending[-1][1].lstrip().startswith("{")
            )

        def all_lines() -> Iterator[tuple[int, str | RecordError]]:
            yield from pending
            yield from lines

        body = (_jsonl_items if as_json else _csv_items)(state, all_lines())
        buffered: list[ParsedItem] = []
        for item in body:
            buffered.append(item)
            if state.started:
                break
        platform = state.first_platform
        title = f"{platform} production-order return" if platform else "production-order return"
        yield ReferralHeader(external_id="", title=title, platform=platform)
        yield from buffered
        yield from body

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("csv-two-accounts", _CSV_OK, persons=2, sightings=9, selector_types=_TYPES),
            Example(
                "csv-column-variants", _CSV_VARIANTS, persons=1, sightings=4, selector_types=("email", "ip")
            ),
            Example("jsonl-accounts", _JSONL_OK, persons=2, sightings=7, selector_types=_TYPES),
            Example(
                "csv-bad-values",
                _CSV_BAD,
                persons=1,
                sightings=2,
                error_fields=("login_time", "login_port", "account_id"),
            ),
            Example(
                "jsonl-bad-lines",
                _JSONL_BAD,
                persons=1,
                sightings=1,
                error_fields=("json", "line", "logins[1].time", "account_id"),
                quarantined=1,  # the username: the line names no platform
            ),
            Example(
                "csv-no-account-column", b"platform,username,email\nexample,a,a@example.com\n", rejected=True
            ),
            Example("empty", b"", rejected=True),
            Example("utf16", "account_id\n1\n".encode("utf-16"), rejected=True),
        ]


_TYPES = ("email", "ip", "phone", "username")
_EMAIL_IP = ("email", "ip")
_CSV_OK = (
    b"platform,account_id,username,display_name,email,phone,registration_ip,registration_time,"
    b"login_ip,login_port,login_time\n"
    b"PixelPost,1001,river_fox,Robin Example,robin@example.com,+44 7400 123456,192.0.2.10,"
    b"2025-01-05T10:00:00Z,,,\n"
    b"PixelPost,1001,river_fox,Robin Example,robin@example.com,+44 7400 123456,192.0.2.10,"
    b"2025-01-05T10:00:00Z,198.51.100.7,51234,2025-02-01T08:30:00Z\n"
    b"PixelPost,1001,river_fox,Robin Example,robin@example.com,+44 7400 123456,192.0.2.10,"
    b"2025-01-05T10:00:00Z,198.51.100.8,40000,2025-02-02T09:00:00Z\n"
    b"PixelPost,2002,quiet_owl,,owl@example.org,,,,2001:db8::5,,2025-02-03T11:00:00Z\n"
)
_CSV_VARIANTS = (
    b"User ID,E-Mail,IP Address,Timestamp,Favourite Colour\n"
    b"u-77,sam@example.net,203.0.113.4,2025-03-01T12:00:00+01:00,green\n"
    b"u-77,sam@example.net,203.0.113.5,1740830400,green\n"
    b"u-77,sam@example.net,203.0.113.6,2025-03-02T12:00:00Z,blue\n"
)
_JSONL_OK = (
    b'{"platform": "ChatterBox", "account_id": 501, "username": "moth_light", "display_name": "Kim Sample", '
    b'"email": "kim@example.com", "phone": "+1 202 555 0147", "registration_ip": "192.0.2.44", '
    b'"registration_time": "2024-11-11T11:11:11Z", "logins": [{"ip": "198.51.100.20", "port": 443, '
    b'"time": "2025-01-01T00:00:00Z"}, {"ip": "198.51.100.21", "time": "2025-01-02T00:00:00Z"}]}\n'
    b"\n"
    b'{"platform": "ChatterBox", "account_id": "502", "username": "tin_cup", "logins": []}\n'
)
_CSV_BAD = (
    b"platform,account_id,username,login_ip,login_port,login_time\n"
    b"PixelPost,9,lark,198.51.100.1,22,last tuesday\n"
    b"PixelPost,9,lark,198.51.100.2,99999,2025-01-01T00:00:00Z\n"
    b"PixelPost,,lark,198.51.100.3,22,2025-01-01T00:00:00Z\n"
    b"PixelPost,9,lark,198.51.100.4,,2025-01-01T00:00:00Z\n"
)
_JSONL_BAD = (
    b'{"account_id": "x1", "logins": [\n'
    b"[1, 2, 3]\n"
    b'{"account_id": "x1", "username": "kite", '
    b'"logins": [{"ip": "192.0.2.1", "time": "1970-01-01T00:00:00Z"}]}\n'
    b'{"username": "nobody"}\n'
)
