"""Lines counted as the importers count them, and the mark an exported line carries back."""

from __future__ import annotations

import json

import pytest

from caseweave.intake.formats.lines import MAX_LINE_BYTES
from caseweave.intake.quarantine_lines import csv_header, mark_of, marked, raw_lines

DATA = b"\xef\xbb\xbfheader\r\nfirst\n\nthird \xff\r\nlast"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64])
def test_lines_are_numbered_like_the_importers_whatever_the_chunks(size: int) -> None:
    blocks = [DATA[i : i + size] for i in range(0, len(DATA), size)]
    assert list(raw_lines(blocks)) == [
        (1, b"header"),
        (2, b"first"),
        (3, b""),
        (4, b"third \xff"),
        (5, b"last"),
    ]
    assert list(raw_lines(blocks, {2, 5}.__contains__)) == [(2, b"first"), (5, b"last")]


def test_a_wanted_line_is_held_only_up_to_the_importers_cap() -> None:
    long = b"x" * (MAX_LINE_BYTES + 10)
    found = list(raw_lines([b"a\n", long[:100], long[100:], b"\nb\n"], {2, 3}.__contains__))
    assert [(n, len(text)) for n, text in found] == [(2, MAX_LINE_BYTES), (3, 1)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"type": "session", "port": 70000}', {"type": "session", "port": 70000}),
        (b"  {}", {}),
        (b'{ "a": 1 }', {"a": 1}),
    ],
)
def test_json_lines_carry_the_mark_as_their_first_key(line: bytes, expected: dict[str, object]) -> None:
    out = marked(line, True, 12, 5)
    assert json.loads(out) == {"caseweave_source": "referral 12 line 5", **expected}
    assert next(iter(json.loads(out))) == "caseweave_source"
    assert mark_of(out) == (12, 5)
    again = marked(out, True, 13, 2)  # exported again from the amendment: the mark is replaced
    assert mark_of(again) == (13, 2) and again.count(b"caseweave_source") == 1


def test_broken_json_keeps_its_mark_and_a_non_object_cannot_carry_one() -> None:
    assert mark_of(marked(b'{"type": "session", "nick": ', True, 3, 7)) == (3, 7)
    assert marked(b"[1, 2, 3]", True, 3, 8) == b"[1, 2, 3]"


def test_csv_rows_carry_the_mark_as_their_first_field() -> None:
    assert csv_header(b"platform,account_id") == b"caseweave_source,platform,account_id"
    assert csv_header(b"caseweave_source,platform") == b"caseweave_source,platform"
    row = marked(b"chatapp,1001,,", False, 12, 5)
    assert row == b"referral 12 line 5,chatapp,1001,," and mark_of(row) == (12, 5)
    moved = b'chatapp,"referral 12 line 5",1001'  # the analyst moved the column in a spreadsheet
    assert mark_of(moved) == (12, 5)
    assert marked(moved, False, 13, 2) == b'chatapp,"referral 13 line 2",1001'
    assert mark_of(b"chatapp,my referral 12 line 5 note,1001") is None
