"""Text a parser yields is checked for valid Unicode before anything is stored.

JSON may spell a lone surrogate (`"\\ud800"`), and file names from the file system may carry bytes
that are not UTF-8 (Python keeps them as surrogates): neither can be stored as UTF-8, and either
crashed the database insert. A record holding one becomes a RecordError naming its field, like any
other unreadable record; the file's own header holding one refuses the file. What is kept to show
the problem (a reason, a raw excerpt, a place) has such characters written out as `\\udXXX`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator

from caseweave.intake.base import FileRejected
from caseweave.intake.records import Location, ParsedItem, RecordError, ReferralHeader

_SURROGATE = re.compile("[\ud800-\udfff]")
REASON = "is not valid Unicode text (it holds a lone surrogate, which no UTF-8 text can)"


def readable(text: str) -> str:
    """`text` with each lone surrogate written out as its escape: storable, and still telling."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def checked(items: Iterable[ParsedItem], file_name: str) -> Iterator[ParsedItem]:
    """`items` as they come, but a record with invalid text becomes a RecordError naming the field."""
    for item in items:
        if isinstance(item, ReferralHeader):
            bad = _first_bad_field(item)
            if bad is not None:
                raise FileRejected(Location(file_name), f"the file's {bad} {REASON}", field=bad)
            yield item
            continue
        location = _readable_location(item.location)
        if isinstance(item, RecordError):
            # every part: a field may be named after a key of the file (a STIX property, say)
            yield RecordError(location, readable(item.field), readable(item.reason), readable(item.raw))
            continue
        bad = "location" if location is not item.location else _first_bad_field(item)
        if bad is None:
            yield item
        else:
            raw = item.location.path if bad == "location" else getattr(item, bad)
            yield RecordError(location, bad, f"{bad} {REASON}", readable(repr(raw))[:400])


def _first_bad_field(item: object) -> str | None:
    # On the path of every record of a million-line import: the field names are looked up once per
    # kind, and ASCII text (nearly all of it) is passed without a search.
    for name in _field_names(type(item)):
        value = getattr(item, name)
        if isinstance(value, str) and not value.isascii() and _SURROGATE.search(value):
            return name
    return None


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # of the few ParsedItem kinds


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(kind))
    return names


def _readable_location(location: Location) -> Location:
    path = location.path
    if path is None or path.isascii() or not _SURROGATE.search(path):
        return location
    return Location(location.file, location.line, readable(path))
