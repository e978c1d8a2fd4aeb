"""Shared checks for hash-set readers: each cell becomes a typed value or one RecordError.

Both readers (VICS JSON, CSV) turn their input into (field, raw value, where) triples and hand them
here, so a corrupt PDQ or a category of "seven" gets the same reason in either format; `where` is
the JSON path or CSV column that goes into the error's location.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from caseweave.errors import Invalid
from caseweave.media.records import HashRecord, Location, RecordError
from caseweave.media.signals import SIGNAL_TYPES

Cell = tuple[Any, str]  # (raw value, where it sits: JSON path or CSV column)
TRUE = {"true", "1", "yes", "y"}
FALSE = {"false", "0", "no", "n"}


class CellError(Exception):
    def __init__(self, field: str, where: str, reason: str, raw: Any) -> None:
        super().__init__(reason)
        self.field, self.where, self.reason, self.raw = field, where, reason, raw


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _int(field: str, cell: Cell, low: int, high: int) -> int | None:
    value, where = cell
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CellError(field, where, f"{field} must be a whole number", value)
    try:
        number = int(value.strip()) if isinstance(value, str) else value
    except ValueError:
        raise CellError(field, where, f"{field} must be a whole number, got {value!r}", value) from None
    if not low <= number <= high:
        raise CellError(field, where, f"{field} must be between {low} and {high}, got {number}", value)
    return number


def _bool(field: str, cell: Cell) -> bool | None:
    value, where = cell
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise CellError(field, where, f"{field} must be true or false, got {value!r}", value)


def _text(field: str, cell: Cell) -> str | None:
    value, where = cell
    if _blank(value):
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    raise CellError(field, where, f"{field} must be text", value)


def make_record(
    location: Location,
    hashes: list[tuple[str, Cell]],
    meta: Mapping[str, Cell],
    paths: tuple[str, ...] = (),
    extra: Mapping[str, str] | None = None,
) -> HashRecord | RecordError:
    """One HashRecord, or the first problem found, located at its JSON path or CSV column.

    One bad hash refuses the whole record: an entry whose PDQ is corrupt is suspect as a whole, and
    the bank import quarantines it with this reason rather than keep half of it.
    """
    try:
        normalised: dict[str, str] = {}
        for name, (value, where) in hashes:
            if _blank(value):
                continue
            if not isinstance(value, str):
                raise CellError(name, where, f"{name} hash must be text", value)
            try:
                normalised[name] = SIGNAL_TYPES[name].normalise(value)
            except Invalid as error:
                hint = f" ({error.hint})" if error.hint else ""
                raise CellError(name, where, error.message + hint, value) from None
        if not normalised:
            where = hashes[0][1][1] if hashes else ""
            raise CellError("hashes", where, "no MD5, SHA-1, SHA-256 or PDQ hash in this record", "")
        empty: Cell = (None, "")
        return HashRecord(
            location=location,
            hashes=normalised,
            paths=paths,
            size=_int("size", meta.get("size", empty), 0, 2**63 - 1),
            pdq_quality=_int("pdq_quality", meta.get("pdq_quality", empty), 0, 100),
            mime_type=_text("mime_type", meta.get("mime_type", empty)),
            media_id=_text("media_id", meta.get("media_id", empty)),
            category=_int("category", meta.get("category", empty), 0, 255),
            series=_text("series", meta.get("series", empty)),
            victim_identified=_bool("victim_identified", meta.get("victim_identified", empty)),
            offender_identified=_bool("offender_identified", meta.get("offender_identified", empty)),
            tags=_text("tags", meta.get("tags", empty)),
            comments=_text("comments", meta.get("comments", empty)),
            extra=dict(extra or {}),
        )
    except CellError as error:
        at = replace(location, path=error.where or location.path)
        return RecordError(at, error.field, error.reason, str(error.raw)[:200])
