"""A bounded line reader for line-based formats (CSV, JSON Lines), with flat memory on any input.

`read_lines` yields `(line_no, text)` for each line, or `(line_no, RecordError)` for a line that
cannot be used (longer than the cap, or not UTF-8); the caller yields the error and goes on. A line
over the cap is never held in memory: the reader drops what it has and skips to the next newline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from caseweave.intake.base import FileRejected
from caseweave.intake.records import Location, RecordError

CHUNK = 1 << 16
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MAX_LINE_BYTES = 1 << 20  # the cap the CSV and JSON Lines importers read with


def _read_head(stream: BinaryIO, chunk_size: int) -> bytes:
    """The first chunk, read until it holds at least 3 bytes (for the BOM check) or the file ends."""
    head = stream.read(chunk_size) or b""
    while 0 < len(head) < 3:
        more = stream.read(chunk_size) or b""
        if not more:
            break
        head += more
    return head


def _too_long(filename: str, line_no: int, max_line_bytes: int) -> RecordError:
    return RecordError(
        Location(filename, line=line_no), "line", f"line is longer than {max_line_bytes} bytes; skipped"
    )


def _decode(data: bytes, filename: str, line_no: int) -> str | RecordError:
    if data.endswith(b"\r"):
        data = data[:-1]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RecordError(
            Location(filename, line=line_no),
            "line",
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at column {exc.start + 1})",
            raw=data[:200].decode("utf-8", errors="replace"),
        )


def read_lines(
    stream: BinaryIO, filename: str, max_line_bytes: int = MAX_LINE_BYTES, *, chunk_size: int = CHUNK
) -> Iterator[tuple[int, str | RecordError]]:
    """Yield (1-based line number, text without its line ending) or (line number, RecordError).

    A UTF-8 BOM is dropped; a UTF-16 BOM raises FileRejected. Blank lines are yielded as "".
    """
    chunk = _read_head(stream, chunk_size)
    if chunk.startswith(UTF16_BOMS):
        raise FileRejected(Location(filename, line=1), "UTF-16 file: save as UTF-8", field="encoding")
    if chunk.startswith(UTF8_BOM):
        chunk = chunk[len(UTF8_BOM) :]
    buf = bytearray()
    line_no = 1
    skipping = False  # inside a line already over the cap: drop bytes until the next newline
    while chunk:
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                if not skipping:
                    if len(buf) + len(chunk) - start > max_line_bytes:
                        skipping = True
                        buf.clear()
                    else:
                        buf += chunk[start:]
                break
            if skipping or len(buf) + newline - start > max_line_bytes:
                skipping = False
                buf.clear()
                yield line_no, _too_long(filename, line_no, max_line_bytes)
            else:
                buf += chunk[start:newline]
                data = bytes(buf)
                buf.clear()
                yield line_no, _decode(data, filename, line_no)
            line_no += 1
            start = newline + 1
        chunk = stream.read(chunk_size) or b""
    if skipping:
        yield line_no, _too_long(filename, line_no, max_line_bytes)
    elif buf:
        yield line_no, _decode(bytes(buf), filename, line_no)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def load_json_line(text: str) -> tuple[Any, str | None]:
    """(value, None) for a line of valid JSON, or (None, reason) where it is not."""
    try:
        return json.loads(text, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}"
    except (ValueError, RecursionError) as exc:
        return None, f"not valid JSON: {exc}"
