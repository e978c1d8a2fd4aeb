"""Small readers every format shares: times with sane bounds, TLP tags."""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


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
        if isinstance(text, (int, float)) or (isinstance(text, str) and text.strip().isdigit()):
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
