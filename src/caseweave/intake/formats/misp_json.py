"""Reading a whole JSON document with a size cap; shared by the MISP and STIX importers.

(Kept here so the two plugins share one reader; it could move to formats_common.)
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from caseweave.intake.base import FileRejected
from caseweave.intake.records import Location

MAX_BYTES = 256 * 1024 * 1024
CHUNK = 1024 * 1024


def read_capped(stream: BinaryIO, filename: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The stream's bytes, refusing (before reading further) a file larger than max_bytes."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(CHUNK, max_bytes + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise FileRejected(
                Location(filename), f"file is larger than {max_bytes // (1024 * 1024)} MiB; split it"
            )
        parts.append(chunk)
    return b"".join(parts)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def load_json(content: bytes, filename: str) -> Any:
    """Decode UTF-8 JSON, turning every failure into FileRejected with a line where one is known."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise FileRejected(Location(filename, line=line), "file is not UTF-8 text") from None
    if not text.strip():
        raise FileRejected(Location(filename), "file is empty")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "file ends early (truncated?)" if ends_early else f"not valid JSON: {exc.msg}"
        raise FileRejected(
            Location(filename, line=exc.lineno), f"{what} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise FileRejected(Location(filename), f"not valid JSON: {exc}") from None
