"""Lines of a stored or uploaded file, and the mark an exported line carries back to where it came from.

Line numbers count newlines exactly as the line importers do (formats/lines.py): a UTF-8 BOM is
dropped, a trailing CR is not part of the line. The mark is "referral 12 line 5": the first column
`caseweave_source` of an exported CSV, or the first key "caseweave_source" of an exported JSON line.
The importers ignore both (no column or key of that name is read), so a marked file imports as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from caseweave.intake.formats.lines import MAX_LINE_BYTES, UTF8_BOM

MARK_NAME = b"caseweave_source"
_JSON_MARK = re.compile(rb'"caseweave_source"\s*:\s*"referral (\d+) line (\d+)"')
# In CSV the mark is a whole field (quoted or not), wherever the analyst moved the column.
_CSV_MARK = re.compile(rb'(?:^|,)"?(referral (\d+) line (\d+))"?(?=,|$)')
CHUNK = 1 << 20


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    stream.seek(0)
    while block := stream.read(CHUNK):
        yield block


def raw_lines(
    blocks: Iterable[bytes], wanted: Callable[[int], bool] = lambda _: True
) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, bytes without the line ending) of each line `wanted` accepts.

    Lines not wanted are never held; a wanted line is held up to the importers' cap (a longer one was
    refused by the importer and cannot be imported as it is anyway).
    """
    line_no, keep, buf = 1, wanted(1), bytearray()
    for block in _without_bom(blocks):
        start = 0
        while True:
            newline = block.find(b"\n", start)
            end = len(block) if newline < 0 else newline
            if keep and len(buf) < MAX_LINE_BYTES:
                buf += block[start : min(end, start + MAX_LINE_BYTES - len(buf))]
            if newline < 0:
                break
            if keep:
                yield line_no, bytes(buf).removesuffix(b"\r")
            buf.clear()
            line_no += 1
            keep = wanted(line_no)
            start = newline + 1
    if keep and buf:
        yield line_no, bytes(buf).removesuffix(b"\r")


def _without_bom(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The blocks with a leading UTF-8 BOM dropped, even when it is split over the first blocks."""
    head = b""
    it = iter(blocks)
    for block in it:
        head += block
        if len(head) >= len(UTF8_BOM):
            break
    yield head.removeprefix(UTF8_BOM)
    yield from it


def first_line(blocks: Iterable[bytes]) -> tuple[int, bytes] | None:
    """The first line that is not blank: a CSV's header, a chat export's server line."""
    return next(((n, text) for n, text in raw_lines(blocks) if text.strip()), None)


def is_json_layout(file_name: str, first: bytes | None) -> bool:
    """JSON Lines or CSV, decided as the platform importer decides it: by extension, else by content."""
    name = file_name.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return True
    if name.endswith(".csv"):
        return False
    return first is not None and first.lstrip().startswith(b"{")


def is_server_line(text: bytes) -> bool:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and value.get("type") == "server"


def mark_of(text: bytes) -> tuple[int, int] | None:
    """(referral id, line) a line was exported from, or None when it carries no mark."""
    found = _JSON_MARK.search(text)
    if found:
        return int(found[1]), int(found[2])
    found = _CSV_MARK.search(text)
    return (int(found[2]), int(found[3])) if found else None


def csv_header(header: bytes) -> bytes:
    """The export's header: the file's own, with the mark column first (once: an amendment has it)."""
    return header if MARK_NAME in header.lower() else MARK_NAME + b"," + header


def marked(text: bytes, json_layout: bool, referral_id: int, line: int) -> bytes:
    """The line as exported: carrying its mark (an older mark, from an amendment, is replaced)."""
    value = f"referral {referral_id} line {line}".encode()
    if _JSON_MARK.search(text):
        return _JSON_MARK.sub(b'"caseweave_source": "' + value + b'"', text, count=1)
    if not json_layout:
        old = _CSV_MARK.search(text)
        if old:
            return text[: old.start(1)] + value + text[old.end(1) :]
        return value + b"," + text
    body = text.lstrip()
    if not body.startswith(b"{"):
        return text  # not a JSON object: no place for a mark; fixed, it imports but resolves nothing
    rest = body[1:]
    separator = b"" if rest.lstrip().startswith(b"}") else b", "
    return b'{"caseweave_source": "' + value + b'"' + separator + rest
