"""The chat server export importer (JSON Lines): examples, session windows, sniffing, fuzzing."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseweave.intake.base import Example, FileRejected
from caseweave.intake.formats.chat import ChatExportImporter
from caseweave.intake.formats.platform import PlatformReturnImporter
from caseweave.intake.records import (
    MediaHash,
    ParsedItem,
    PersonRecord,
    RecordError,
    ReferralHeader,
    Sighting,
)

IMPORTER = ChatExportImporter()
EXAMPLES = ChatExportImporter.examples()


def parse(content: bytes, name: str = "chat.jsonl") -> list[ParsedItem]:
    return list(IMPORTER.parse(io.BytesIO(content), name))


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def test_examples_are_enough() -> None:
    assert sum(1 for e in EXAMPLES if not e.rejected and not e.error_fields) >= 3
    assert sum(1 for e in EXAMPLES if e.rejected or e.error_fields) >= 3


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example(example: Example) -> None:
    if example.rejected:
        with pytest.raises(FileRejected):
            parse(example.content)
        return
    items = parse(example.content)
    kinds = Counter(type(item) for item in items)
    assert kinds[ReferralHeader] == 1 and isinstance(items[0], ReferralHeader)
    assert (kinds[PersonRecord], kinds[Sighting], kinds[MediaHash]) == (
        example.persons,
        example.sightings,
        example.media_hashes,
    )
    assert tuple(i.field for i in items if isinstance(i, RecordError)) == example.error_fields
    if example.selector_types:
        assert (
            tuple(sorted({i.selector_type for i in items if isinstance(i, Sighting)}))
            == example.selector_types
        )


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


VALID = [e.content for e in EXAMPLES if not e.rejected]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    doc = bytearray(draw(st.sampled_from([v for v in VALID if v])))
    op = draw(st.sampled_from(["truncate", "flip", "field", "field"]))
    at = draw(st.integers(0, len(doc) - 1))
    if op == "truncate":
        del doc[at:]
    elif op == "flip":
        doc[at] ^= 1 << draw(st.integers(0, 7))
    else:
        lines = bytes(doc).split(b"\n")
        index = draw(st.integers(0, len(lines) - 1))
        try:
            record = json.loads(lines[index])
        except ValueError:
            record = None
        if isinstance(record, dict) and record:
            record[draw(st.sampled_from(sorted(record)))] = draw(JSON_VALUES)
            lines[index] = json.dumps(record).encode()
        doc = bytearray(b"\n".join(lines))
    return bytes(doc)


def consume(content: bytes) -> None:
    try:
        items = parse(content)
    except FileRejected:
        return
    assert isinstance(items[0], ReferralHeader)
    assert sum(isinstance(i, ReferralHeader) for i in items) == 1
    assert all(isinstance(i, (PersonRecord, Sighting, RecordError)) for i in items[1:])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(content: bytes) -> None:
    consume(content)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzz_mutated_exports(content: bytes) -> None:
    consume(content)
