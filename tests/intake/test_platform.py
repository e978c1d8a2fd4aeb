"""The production-order return importer (CSV, JSON Lines) and the shared bounded line reader."""

from __future__ import annotations

import io
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from hypothesis import strategies as st

from caseweave.intake.base import Example, FileRejected
from caseweave.intake.formats.lines import read_lines
from caseweave.intake.formats.platform import VARIANTS, PlatformReturnImporter, canonical_column
from caseweave.intake.records import ParsedItem, PersonRecord, RecordError, ReferralHeader, Sighting
from tests.support.importer_contract import ImporterContract, mutated_lines, read

IMPORTER = PlatformReturnImporter()
EXAMPLES = PlatformReturnImporter.examples()


def parse(content: bytes, name: str = "return.csv") -> list[ParsedItem]:
    return read(IMPORTER, content, name)


def name_for(example: Example) -> str:
    return f"{example.name}.jsonl" if "jsonl" in example.name else f"{example.name}.csv"


class TestContract(ImporterContract):
    importer = IMPORTER
    file = "return.csv"
    fuzz_files = ("r.jsonl", "r.bin")
    unsniffed = frozenset({"jsonl-bad-lines"})  # its first line is broken JSON

    def file_name(self, example: Example) -> str:
        return name_for(example)

    def mutated(self) -> st.SearchStrategy[tuple[bytes, str]]:
        return mutated_lines(self.valid_files())


def test_csv_header_person_and_sightings() -> None:
    items = parse(next(e for e in EXAMPLES if e.name == "csv-two-accounts").content)
    header = items[0]
    assert isinstance(header, ReferralHeader)
    assert (header.external_id, header.platform) == ("", "PixelPost")
    assert header.title == "PixelPost production-order return"
    person = items[1]
    assert isinstance(person, PersonRecord)
    assert (person.ref, person.full_name, person.location.line) == ("PixelPost:1001", "Robin Example", 2)
    sightings = [i for i in items if isinstance(i, Sighting)]
    assert len({s.ref for s in sightings}) == len(sightings)
    reg = next(s for s in sightings if s.context == "registration" and s.selector_type == "ip")
    assert reg.observed_from == reg.observed_to and reg.observed_from is not None
    login = next(s for s in sightings if s.raw_value == "198.51.100.7")
    assert (login.port, login.context, login.ref, login.platform) == (
        51234,
        "login",
        "line3:login_ip",
        "PixelPost",
    )


def test_column_variants_case_spaces_and_dashes() -> None:
    content = b"USER-ID, e_mail ,Last Login IP,LOGIN_TIMESTAMP,Source Port\n"
    content += b"A1,a@example.com,192.0.2.5,2025-01-01,8080\n"
    items = parse(content)
    ip = next(i for i in items if isinstance(i, Sighting) and i.selector_type == "ip")
    assert (ip.raw_value, ip.port, ip.person_ref) == ("192.0.2.5", 8080, "account:A1")
    assert canonical_column("Account ID") == "account_id"
    assert canonical_column("favourite colour") is None
    assert all(canonical_column(v) == name for name, variants in VARIANTS.items() for v in variants)


def test_exact_column_name_wins_over_variant() -> None:
    content = b"ip,account_id,login_ip,login_time\n192.0.2.1,7,198.51.100.1,2025-01-01T00:00:00Z\n"
    ips = [i.raw_value for i in parse(content) if isinstance(i, Sighting)]
    assert ips == ["198.51.100.1"]


def test_missing_account_id_header_names_columns_and_variants() -> None:
    with pytest.raises(FileRejected) as caught:
        parse(b"platform,handle,e-mail\nExample,a,a@example.com\n")
    reason = caught.value.reason
    assert "'handle'" in reason and "'e-mail'" in reason
    assert "user_id" in reason and "Account ID" in reason


def test_jsonl_logins_and_numbers() -> None:
    items = parse(next(e for e in EXAMPLES if e.name == "jsonl-accounts").content, "r.ndjson")
    persons = [i.ref for i in items if isinstance(i, PersonRecord)]
    assert persons == ["ChatterBox:501", "ChatterBox:502"]
    logins = [i for i in items if isinstance(i, Sighting) and i.context == "login"]
    assert [(s.raw_value, s.port, s.ref) for s in logins] == [
        ("198.51.100.20", 443, "line1:logins[1].ip"),
        ("198.51.100.21", None, "line1:logins[2].ip"),
    ]


def test_layout_from_content_when_extension_is_unknown() -> None:
    items = parse(b'{"account_id": "z9", "username": "zed"}\n', "return.txt")
    assert any(isinstance(i, Sighting) and i.raw_value == "zed" for i in items)


def test_invalid_utf8_line_reported_with_line_number() -> None:
    content = b"account_id,username\n1,ok\n2,caf\xe9\n3,fine\n"
    items = parse(content)
    error = next(i for i in items if isinstance(i, RecordError))
    assert error.location.line == 3
    assert error.reason == "not UTF-8 (byte 0xe9 at column 6)"
    assert [i.raw_value for i in items if isinstance(i, Sighting)] == ["ok", "fine"]


def test_sniff_tells_platform_from_chat() -> None:
    assert IMPORTER.sniff(b"platform,account_id,username\n", "r.csv")
    assert IMPORTER.sniff(b'{"platform": "x", "account_id": "1"}\n', "r.jsonl")
    assert not IMPORTER.sniff(b'{"type": "session", "nick": "a", "account": "b"}\n', "r.jsonl")
    assert not IMPORTER.sniff(b"name,colour\n", "r.csv")


# -- the line reader ---------------------------------------------------------------------------


class Endless(io.RawIOBase):
    """A stream of `size` bytes of 'x' (then an optional tail) that never exists in memory whole."""

    def __init__(self, size: int, tail: bytes = b"") -> None:
        self.left = size
        self.tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.left > 0:
            n = min(len(buffer), self.left)
            buffer[:n] = b"x" * n
            self.left -= n
            return n
        n = min(len(buffer), len(self.tail))
        buffer[:n] = self.tail[:n]
        self.tail = self.tail[n:]
        return n


def lines_of(content: bytes, max_line_bytes: int = 1 << 20) -> list[tuple[int, str | RecordError]]:
    return list(read_lines(io.BytesIO(content), "f.txt", max_line_bytes))


def test_read_lines_endings_bom_and_blank_lines() -> None:
    assert lines_of(b"\xef\xbb\xbfa\r\nb\n\nc") == [(1, "a"), (2, "b"), (3, ""), (4, "c")]
    assert lines_of(b"") == []
    assert lines_of(b"only\n") == [(1, "only")]


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_read_lines_refuses_utf16(bom: bytes) -> None:
    with pytest.raises(FileRejected) as caught:
        lines_of(bom + "a\n".encode("utf-16-le"))
    assert caught.value.reason == "UTF-16 file: save as UTF-8"


def test_read_lines_too_long_line_is_skipped_not_held() -> None:
    stream = cast(BinaryIO, io.BufferedReader(Endless(50 * 1024 * 1024, b"\nafter\n")))
    tracemalloc.start()
    try:
        got = list(read_lines(stream, "big.txt", max_line_bytes=4096))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    first = got[0][1]
    assert isinstance(first, RecordError) and first.location.line == 1 and "longer than 4096" in first.reason
    assert got[1] == (2, "after")


def test_read_lines_cap_exactly_and_at_eof() -> None:
    got = lines_of(b"abcd\nabcde\nabcdef", max_line_bytes=4)
    assert got[0] == (1, "abcd")
    assert isinstance(got[1][1], RecordError) and got[1][0] == 2
    assert isinstance(got[2][1], RecordError) and got[2][0] == 3


def test_read_lines_small_chunks_match_large() -> None:
    content = b"one\r\ntwo\n\xff\nthree"
    small = list(read_lines(io.BytesIO(content), "f.txt", chunk_size=1))
    assert small == lines_of(content)


def test_csv_streams_with_flat_memory(tmp_path: Path) -> None:
    """Timed under tracemalloc (slow), so 60k lines, about 4.7 MB; peak must stay far below that."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("platform,account_id,username,email,login_ip,login_port,login_time\n")
        for n in range(LINES):
            account = n % 500
            out.write(f"PixelPost,{account},user{account},u{account}@example.com,")
            out.write(f"198.51.{n % 250}.{n % 200},{1024 + n % 60000},2025-01-01T00:00:00Z\n")
    tracemalloc.start()
    try:
        kinds: Counter[str] = Counter()
        with path.open("rb") as stream:
            for item in IMPORTER.parse(stream, "big.csv"):
                kinds[type(item).__name__] += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kinds["PersonRecord"] == 500
    assert kinds["Sighting"] == LINES + 2 * 500
    assert path.stat().st_size > 4 * 1024 * 1024
    assert peak < 2 * 1024 * 1024  # the file itself is over twice that: it is never held whole


LINES = 60_000
