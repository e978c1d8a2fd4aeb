"""A seized chat server's logs as JSON Lines: sessions (nick, account, IP, port, times) and memberships.

Line kinds by "type": an optional first "server" line (name, network, exported_at), then "session"
and "membership" lines in any order. Chat logs hold no real names: each distinct account becomes a
PersonRecord with only a ref; nicks and accounts become username sightings, session IPs become IP
sightings with the connected..disconnected window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, ClassVar

from caseweave.bounds import ascii_int
from caseweave.intake.base import Example, Importer
from caseweave.intake.formats.lines import load_json_line, read_lines
from caseweave.intake.formats_common import BadValue, parse_time
from caseweave.intake.records import Location, ParsedItem, PersonRecord, RecordError, ReferralHeader, Sighting

LINE_TYPES = frozenset({"server", "session", "membership"})


def _text(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadValue(f"expected text, found {type(value).__name__}")
    return str(value).strip() or None


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
    platform: str | None = None
    persons: set[str] = field(default_factory=set)
    usernames: set[tuple[str, str, str]] = field(default_factory=set)


def _server_header(record: dict[str, Any], loc: Location) -> tuple[ReferralHeader, list[RecordError]]:
    errors: list[RecordError] = []
    values: dict[str, str | None] = {}
    for key in ("name", "network", "exported_at"):
        try:
            values[key] = _text(record, key)
        except BadValue as exc:
            errors.append(RecordError(loc, key, str(exc)))
            values[key] = None
    platform = values["network"] or values["name"]
    exported: datetime | None = None
    try:
        exported = parse_time(values["exported_at"])
    except BadValue as exc:
        errors.append(RecordError(loc, "exported_at", str(exc), raw=str(values["exported_at"])))
    title = f"{platform} chat server export" if platform else "chat server export"
    summary = f"server {values['name']}" if values["name"] and values["name"] != platform else ""
    return ReferralHeader("", title, reported_at=exported, platform=platform, summary=summary), errors


def _line_items(state: _State, line: int, record: dict[str, Any], kind: str) -> Iterator[ParsedItem]:
    loc = Location(state.filename, line=line)
    keys = (
        ("nick", "account", "ip", "room", "role")
        if kind == "session"
        else ("nick", "account", "room", "role")
    )
    values: dict[str, str | None] = {}
    for key in keys:
        try:
            values[key] = _text(record, key)
        except BadValue as exc:
            yield RecordError(loc, key, str(exc), raw=repr(record.get(key))[:200])
            values[key] = None
    nick, account = values["nick"], values["account"]
    who = account or nick
    if who is None:
        yield RecordError(loc, "account", "neither account nor nick given")
        return
    ref = f"account:{who}"
    if ref not in state.persons:
        state.persons.add(ref)
        yield PersonRecord(ref=ref, location=loc, role="unknown", kind="account")
    context = "chat session" if kind == "session" else "membership"
    joined: datetime | None = None
    if kind == "membership":
        try:
            joined = parse_time(record.get("joined_at"))
        except (BadValue, TypeError) as exc:
            yield RecordError(loc, "joined_at", str(exc), raw=repr(record.get("joined_at"))[:200])
    for key, name in (("nick", nick), ("account", account)):
        if name is None or (key == "account" and name == nick):
            continue
        # A session's names repeat on every session: once per account. Each membership (one room,
        # joined at one time) is its own observation, like each session's IP.
        if kind == "membership" or (ref, name, context) not in state.usernames:
            state.usernames.add((ref, name, context))
            yield Sighting(
                f"line{line}:{key}",
                loc,
                "username",
                name,
                person_ref=ref,
                platform=state.platform,
                observed_from=joined,
                observed_to=joined,
                context=context,
            )
    if kind == "session" and values["ip"] is not None:
        yield from _session_ip(state, loc, line, ref, values["ip"], record)


def _session_ip(
    state: _State, loc: Location, line: int, ref: str, ip: str, record: dict[str, Any]
) -> Iterator[ParsedItem]:
    times: dict[str, datetime | None] = {}
    for key in ("connected_at", "disconnected_at"):
        try:
            times[key] = parse_time(record.get(key))
        except (BadValue, TypeError) as exc:
            yield RecordError(loc, key, str(exc), raw=repr(record.get(key))[:200])
            return
    try:
        port = _port(record.get("port"))
    except BadValue as exc:
        yield RecordError(loc, "port", str(exc), raw=repr(record.get("port"))[:200])
        return
    start, end = times["connected_at"], times["disconnected_at"]
    if start is not None and end is not None and end < start:
        yield RecordError(
            loc, "disconnected_at", f"disconnected ({end.isoformat()}) before connected ({start.isoformat()})"
        )
        return
    yield Sighting(
        f"line{line}:ip",
        loc,
        "ip",
        ip,
        person_ref=ref,
        platform=state.platform,
        port=port,
        observed_from=start,
        observed_to=end,
        context="chat session",
    )


def _first_object(head: bytes) -> dict[str, Any] | None:
    text = head.decode("utf-8-sig", errors="ignore")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    value, problem = load_json_line(first)
    return value if problem is None and isinstance(value, dict) else None


class ChatExportImporter(Importer):
    name: ClassVar[str] = "chat"
    description: ClassVar[str] = "A seized chat server's logs (JSON Lines): sessions with IPs, memberships"
    extensions: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")

    def sniff(self, head: bytes, filename: str) -> bool:
        first = _first_object(head)
        # str(): a "type" that is a list or an object is no line type (and cannot be looked up in a set)
        return first is not None and str(first.get("type")) in LINE_TYPES and "account_id" not in first

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        state = _State(filename)
        started = False
        for line_no, text in read_lines(stream, filename):
            if not started and isinstance(text, str) and not text.strip():
                continue
            loc = Location(filename, line=line_no)
            record: Any = None
            problem: RecordError | None = text if isinstance(text, RecordError) else None
            if isinstance(text, str):
                if not text.strip():
                    continue
                record, reason = load_json_line(text)
                if reason is not None:
                    problem = RecordError(loc, "json", reason, raw=text[:200])
                elif not isinstance(record, dict):
                    problem = RecordError(loc, "line", "expected a JSON object", raw=text[:200])
            if not started:
                started = True
                if problem is None and record.get("type") == "server":
                    header, errors = _server_header(record, loc)
                    state.platform = header.platform
                    yield header
                    yield from errors
                    continue
                yield ReferralHeader("", "chat server export")
            if problem is not None:
                yield problem
                continue
            kind = record.get("type")
            if kind in ("session", "membership"):
                yield from _line_items(state, line_no, record, kind)
            elif kind == "server":
                yield RecordError(loc, "type", "a server line must be the first line of the file")
            else:
                yield RecordError(loc, "type", f"unknown line type {kind!r}"[:200])
        if not started:
            yield ReferralHeader("", "chat server export")

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example("sessions", _OK, persons=2, sightings=8, selector_types=("ip", "username")),
            Example(
                "no-server-line",
                _NO_SERVER,
                persons=1,
                sightings=3,
                selector_types=("ip", "username"),
                quarantined=2,  # its usernames name no platform: no server line says which
            ),
            Example("memberships-only", _MEMBERSHIPS, persons=2, sightings=4, selector_types=("username",)),
            Example(
                "bad-sessions",
                _BAD,
                persons=1,
                sightings=2,
                error_fields=("disconnected_at", "port", "connected_at", "account", "type", "json"),
            ),
            Example(
                "membership-bad-joined-at",
                b'{"type": "membership", "nick": "ivy", "room": "#a", "joined_at": "soon"}\n',
                persons=1,
                sightings=1,
                error_fields=("joined_at",),
                quarantined=1,  # the nick: no server line names the platform
            ),
            Example("utf16", '{"type": "session"}\n'.encode("utf-16"), rejected=True),
            Example("utf16-be", b"\xfe\xff\x00{\x00}", rejected=True),
            Example(
                "not-utf8-line",
                b'{"type": "session", "nick": "ok1", "ip": "192.0.2.9"}\n{"nick": "\xff"}\n',
                persons=1,
                sightings=2,
                error_fields=("line",),
                quarantined=1,  # the nick: no server line names the platform
            ),
            Example("empty", b""),
        ]


_OK = (
    b'{"type": "server", "name": "irc.example.net", "network": "ExampleNet", '
    b'"exported_at": "2026-01-10T09:00:00Z"}\n'
    b'{"type": "session", "nick": "greywolf", "account": "gw_acct", "ip": "198.51.100.30", "port": 6697, '
    b'"connected_at": "2025-12-01T20:00:00Z", "disconnected_at": "2025-12-01T22:15:00Z", "room": "#lobby"}\n'
    b'{"type": "membership", "nick": "greywolf", "account": "gw_acct", "room": "#lobby", '
    b'"joined_at": "2025-11-30T10:00:00Z", "role": "op"}\n'
    b'{"type": "session", "nick": "greywolf", "account": "gw_acct", "ip": "203.0.113.9", "port": "6697", '
    b'"connected_at": "2025-12-02T20:00:00Z", "disconnected_at": "2025-12-02T21:00:00Z"}\n'
    b'{"type": "session", "nick": "pebble", "ip": "2001:db8::44", "connected_at": "2025-12-03T08:00:00Z"}\n'
)
_NO_SERVER = (
    b'{"type": "session", "nick": "n1", "account": "a1", "ip": "192.0.2.77", "port": 6667, '
    b'"connected_at": 1764619200, "disconnected_at": 1764622800}\n'
)
_MEMBERSHIPS = (
    b'{"type": "server", "name": "chat.example.org"}\n'
    b'{"type": "membership", "nick": "fern", "account": "fern", "room": "#a", "role": "member"}\n'
    b'{"type": "membership", "nick": "fern", "account": "fern", "room": "#b", "role": "member"}\n'
    b'{"type": "membership", "nick": "sprout", "account": "sprout_acc", "room": "#a", "role": "op"}\n'
)
_BAD = (
    b'{"type": "server", "network": "ExampleNet"}\n'
    b'{"type": "session", "nick": "zed", "account": "z", "ip": "192.0.2.1", '
    b'"connected_at": "2025-12-01T10:00:00Z", "disconnected_at": "2025-12-01T09:00:00Z"}\n'
    b'{"type": "session", "account": "z", "ip": "192.0.2.2", "port": 70000}\n'
    b'{"type": "session", "account": "z", "ip": "192.0.2.3", "connected_at": "soon"}\n'
    b'{"type": "session", "ip": "192.0.2.4"}\n'
    b'{"type": "kick", "nick": "zed"}\n'
    b'{"type": "session", "nick": \n'
)
