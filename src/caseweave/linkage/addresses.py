"""A stated address, one free text, read into the parts the person model compares.

Referrals state an address as one line ("12 Main Street, Flat 3, Springfield IL 62704",
"Hauptstraße 5, 10115 Berlin", "Flat 3, 12 High St, London SW1A 1AA"). No parser knows every
country's format, so this reads only what most share, segments split by commas:
- the street line: the first segment that starts with a house number followed by words (or ends
  in one, as in German), else the first segment; `street_number` is that number ("12", "12a"),
  `street` the rest;
- `premise`: the other segments before the last (flat, building, estate: "flat 3", "villa 2");
- the locality: the last segment (when there are several), without its postcode: town, state;
- `postcode`: the last postcode-like token of the last segment (a single-segment address: after
  its first word): a UK or Canadian postcode, else 4–6 digits (a ZIP+4 as its ZIP). Three digits
  are left out: they are house numbers more often than postcodes.
Text is folded as names are (accents stripped, case folded); digits stay.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SEGMENTS = re.compile(r"[,;\n]+")
_NOT_WORD = re.compile(r"[^\w]+|_")
_POSTCODE = re.compile(
    r"\b(?:[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2}"  # UK: sw1a 1aa
    r"|[a-z]\d[a-z] ?\d[a-z]\d"  # Canada: k1a 0b6
    r"|\d{4,6})\b"  # Australia, Germany, the US, India …
)
_ZIP4 = re.compile(r"\b(\d{5})-\d{4}\b")  # a US ZIP+4: the ZIP is what everyone states
_NUMBER = r"\d+[a-z]?(?:-\d+[a-z]?)?"
_WORD = r"[^\W\d_]{2}"  # a street's name starts with a word ("3 b" is a flat, not a street)
_NUMBER_FIRST = re.compile(rf"^({_NUMBER}) +({_WORD}.*)$")
_NUMBER_LAST = re.compile(rf"^({_WORD}.*?) +({_NUMBER})$")
_NUMBER_ONLY = re.compile(rf"^({_NUMBER})$")


@dataclass(frozen=True)
class Address:
    street_number: str | None = None
    street: str | None = None
    locality: str | None = None
    postcode: str | None = None
    premise: str | None = None


def fold(text: str) -> str:
    """Accents stripped, case folded, punctuation as spaces; commas (segment ends) kept."""
    decomposed = unicodedata.normalize("NFKD", _ZIP4.sub(r"\1", text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    segments = (" ".join(_NOT_WORD.sub(" ", part).split()) for part in _SEGMENTS.split(plain))
    return ", ".join(segment for segment in segments if segment)


def parse_address(text: str | None) -> Address:
    """The parts of a stated address (see the module text); an empty text gives no parts."""
    segments = fold(text).split(", ") if text else []
    if not segments or segments == [""]:
        return Address()
    last = segments[-1] if len(segments) > 1 else None
    postcode = None
    if last is not None:
        found = list(_POSTCODE.finditer(last))
        if found:
            postcode = found[-1].group()
            last = _cut(last, found[-1])
    else:
        first_word, _, rest = segments[0].partition(" ")
        found = list(_POSTCODE.finditer(rest))
        if found:
            postcode = found[-1].group()
            segments = [f"{first_word} {_cut(rest, found[-1]) or ''}".strip()]
    lines = segments[:-1] if len(segments) > 1 else segments
    at, number, street = _street(lines)
    premise = ", ".join(line for n, line in enumerate(lines) if n != at) or None
    return Address(number, street, last or None, postcode.replace(" ", "") if postcode else None, premise)


def _cut(text: str, match: re.Match[str]) -> str | None:
    return " ".join((text[: match.start()] + text[match.end() :]).split()) or None


def _street(segments: list[str]) -> tuple[int, str | None, str | None]:
    """(index, house number, street) of the first segment that holds a house number, else of the
    first segment."""
    for pattern, number_group in ((_NUMBER_FIRST, 1), (_NUMBER_LAST, 2)):
        for at, segment in enumerate(segments):
            match = pattern.match(segment)
            if match:
                return at, match.group(number_group), match.group(3 - number_group)
    match = _NUMBER_ONLY.match(segments[0])
    if match:  # "16, Tunis, …": a number whose street is not stated
        return 0, match.group(1), None
    return 0, None, segments[0] or None
