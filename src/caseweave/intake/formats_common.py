"""Small readers the formats share: times with sane bounds, dates of birth, TLP tags, whole JSON files."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, BinaryIO

from caseweave.bounds import ascii_int
from caseweave.intake.base import FileRejected
from caseweave.intake.records import Location

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_BYTES = 256 * 1024 * 1024  # a whole-document format (MISP, STIX) is read into memory: cap it
CHUNK = 1024 * 1024


class BadValue(ValueError):
    """A field value that cannot be used; the message is the reason shown to the user."""


def parse_time(text: str | int | float | None, *, now: datetime | None = None) -> datetime | None:
    """ISO 8601 (with Z or offset; naive taken as UTC) or Unix seconds → aware UTC datetime.

    Times before 1990 or more than a day in the future are refused: they are typos or clock
    errors, and would make IP windows meaningless.
    """
    if text is None or text == "":
        return None
    try:
        if isinstance(text, (int, float)) or (isinstance(text, str) and ascii_int(text) is not None):
            value = datetime.fromtimestamp(float(text), tz=UTC)
        else:
            value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise BadValue(f"{text!r} is not a date and time (use ISO 8601, e.g. 2026-03-01T14:05:00Z)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    current = now or datetime.now(UTC)
    if value < EARLIEST:
        raise BadValue(f"{text!r} is before 1990")
    if (value - current).total_seconds() > 86400:
        raise BadValue(f"{text!r} is in the future")
    return value


def tlp_from_tags(tags: list[str]) -> str | None:
    """The strictest `tlp:*` tag among tags, as written (e.g. 'tlp:amber+strict'), or None."""
    order = ["tlp:clear", "tlp:white", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red"]
    found = [tag.strip().lower() for tag in tags if tag.strip().lower() in order]
    return max(found, key=order.index) if found else None


def parse_birth_date(text: str, today: date | None = None) -> date:
    """A date of birth as YYYY-MM-DD (a time part is dropped); ValueError with the reason."""
    try:
        value = date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)") from None
    current = today or datetime.now(UTC).date()
    if value > current:
        raise ValueError(f"{text!r} is in the future")
    if value.year < 1900:
        raise ValueError(f"{text!r} is before 1900")
    return value


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
        raise FileRejected(
            Location(filename, line=line), "file is not UTF-8 text", field="encoding"
        ) from None
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
