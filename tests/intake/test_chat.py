"""The chat server export importer (JSON Lines): its contract, session windows, sniffing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from caseweave.intake.formats.chat import ChatExportImporter
from caseweave.intake.formats.platform import PlatformReturnImporter
from caseweave.intake.records import ParsedItem, PersonRecord, RecordError, ReferralHeader, Sighting
from tests.support.importer_contract import ImporterContract, mutated_lines, read

IMPORTER = ChatExportImporter()
EXAMPLES = ChatExportImporter.examples()


def parse(content: bytes, name: str = "chat.jsonl") -> list[ParsedItem]:
    return read(IMPORTER, content, name)


class TestContract(ImporterContract):
    importer = IMPORTER
    file = "chat.jsonl"
    unsniffed = frozenset({"empty"})

    def mutated(self) -> st.SearchStrategy[tuple[bytes, str]]:
        return mutated_lines(self.valid_files())


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def test_server_line_gives_header_and_platform() -> None:
    items = parse(next(e for e in EXAMPLES if e.name == "sessions").content)
    header = items[0]
    assert isinstance(header, ReferralHeader)
    assert (header.platform, header.title) == ("ExampleNet", "ExampleNet chat server export")
    assert header.reported_at is not None and header.reported_at.year == 2026
    sightings = [i for i in items if isinstance(i, Sighting)]
    assert {s.platform for s in sightings} == {"ExampleNet"}
    assert len({s.ref for s in sightings}) == len(sightings)


def test_session_ip_window_port_and_person() -> None:
    items = parse(next(e for e in EXAMPLES if e.name == "sessions").content)
    persons = [i for i in items if isinstance(i, PersonRecord)]
    assert [(p.ref, p.full_name) for p in persons] == [("account:gw_acct", None), ("account:pebble", None)]
    ip = next(i for i in items if isinstance(i, Sighting) and i.raw_value == "198.51.100.30")
    assert (ip.port, ip.context, ip.person_ref) == (6697, "chat session", "account:gw_acct")
    assert ip.observed_from is not None and ip.observed_to is not None
    assert (ip.observed_to - ip.observed_from).total_seconds() == 2 * 3600 + 15 * 60
    usernames = [
        (i.raw_value, i.context) for i in items if isinstance(i, Sighting) and i.selector_type == "username"
    ]
    assert usernames == [
        ("greywolf", "chat session"),
        ("gw_acct", "chat session"),
        ("greywolf", "membership"),
        ("gw_acct", "membership"),
        ("pebble", "chat session"),
    ]


def test_disconnected_before_connected_is_an_error() -> None:
    content = jsonl(
        {"type": "session", "nick": "a", "ip": "192.0.2.3", "connected_at": "2025-05-01T10:00:00Z",
         "disconnected_at": "2025-05-01T09:59:59Z"},
    )  # fmt: skip
    items = parse(content)
    errors = [i for i in items if isinstance(i, RecordError)]
    assert [(e.field, e.location.line) for e in errors] == [("disconnected_at", 1)]
    assert "before connected" in errors[0].reason
    assert not any(isinstance(i, Sighting) and i.selector_type == "ip" for i in items)


def test_no_server_line_and_late_server_line() -> None:
    content = jsonl({"type": "session", "nick": "q"}, {"type": "server", "name": "late.example.net"})
    items = parse(content)
    assert isinstance(items[0], ReferralHeader) and items[0].platform is None
    assert [i.field for i in items if isinstance(i, RecordError)] == ["type"]


def test_invalid_utf8_line_reported_with_line_number() -> None:
    content = jsonl({"type": "server", "name": "s"}, {"type": "session", "nick": "a"})
    content += b'{"type": "session", "nick": "\xc3\x28"}\n'
    error = next(i for i in parse(content) if isinstance(i, RecordError))
    assert (error.location.line, error.reason) == (3, "not UTF-8 (byte 0xc3 at column 30)")


def test_first_line_broken_still_gives_header_first() -> None:
    items = parse(b"{oops\n" + jsonl({"type": "session", "nick": "a"}))
    assert isinstance(items[0], ReferralHeader)
    assert isinstance(items[1], RecordError) and items[1].field == "json"


def test_sniff_tells_chat_from_platform() -> None:
    chat = next(e for e in EXAMPLES if e.name == "sessions").content
    platform = b'{"platform": "ChatterBox", "account_id": "1", "logins": []}\n'
    assert IMPORTER.sniff(chat, "x.jsonl")
    assert IMPORTER.sniff(b'{"type": "membership", "nick": "a"}\n', "x.ndjson")
    assert not IMPORTER.sniff(platform, "x.jsonl")
    assert PlatformReturnImporter().sniff(platform, "x.jsonl")
    assert not PlatformReturnImporter().sniff(chat, "x.jsonl")
    assert not IMPORTER.sniff(b"account_id,username\n", "x.csv")
