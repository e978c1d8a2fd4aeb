"""Whether a probabilistic link rests on more than weak shared tokens.

A link between two agencies' records raises an alert on two desks; a false one wastes an
investigator's day and may expose an innocent person. Tokens many people share (a handle's core
with other digits, one name part, a town, a country, an address seen on other days) add up to a
match weight above the threshold more often than they name one person: on an operation written
independently, 24 of 27 links through "same core, other digits" and a common name were false. So a
pair is linked only when at least one signal that names a person agrees:

- a shared e-mail address, phone number, account or handle;
- the date of birth (exact, day and month swapped, one character off);
- the same IP address on the same day (beside the rest: the model has weighed households);
- the same house number and street, or the same building (the street, or its number, and the
  flat / building line agree; or both lines agree written in the other order);
- both name parts (exact, a typo, a transliteration, or given and family name swapped): a full
  name, however common, against one part (a first name) or a handle's core.

A household shares its family name and its address: where a pair states no date of birth and
either record no given name, nothing of the person agrees, only the household's. Such a pair
(`household_only`) is linked only where nobody born on another date is known under that name at
that address (linkage.households); on pseudopeople's census, tax and survey records 57 % of such
pairs were two members of one household, on Febrl's none.

Pure logic over a scored pair's comparison parts ({comparison: {"level": label, "match_weight": w}},
labels as linkage.splink_settings names them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IDENTIFIERS: dict[str, frozenset[str]] = {
    "email": frozenset({"e-mail address in common"}),
    "phone": frozenset({"phone number in common"}),
    "username": frozenset({"same account", "same handle elsewhere"}),
    "ip": frozenset({"2+ IP-days in common", "an IP-day in common"}),
}
BORN = ("date_of_birth", frozenset({"exact", "day and month swapped", "one character off"}))
ADDRESS = (
    "street",
    frozenset({"same address", "same number, street alike (typo)", "street and premise lines swapped"}),
)
# A street (or a house number) alone is many households; with the flat / building line, one building.
BUILDING = (
    ("street", frozenset({"same street, number other or unstated", "same house number, other street"})),
    ("premise", frozenset({"same", "alike (typo)"})),
)
NAME_PARTS = ("given_name", "family_name")
NAME_AGREES = frozenset(
    {
        "exact",
        "similar (typo)",
        "alike (transliteration)",
        "swapped with family_name",
        "swapped with given_name",
    }
)


def _agrees(parts: Mapping[str, Any], comparison: str, levels: frozenset[str]) -> bool:
    part = parts.get(comparison)
    if not isinstance(part, Mapping):
        return False
    weight = part.get("match_weight")
    return part.get("level") in levels and isinstance(weight, (int, float)) and weight > 0


def corroborated(parts: Mapping[str, Any], *, alone_at_address: bool = False) -> bool:
    """Whether the pair's evidence holds a signal that names a person (see the module's text);
    alone_at_address: no one else is known under the pair's family name at its address."""
    if any(_agrees(parts, comparison, levels) for comparison, levels in IDENTIFIERS.items()):
        return True
    if _agrees(parts, *BORN):
        return True
    if household_only(parts):
        return alone_at_address
    if _address(parts):
        return True
    return all(_agrees(parts, name, NAME_AGREES) for name in NAME_PARTS)


def household_only(parts: Mapping[str, Any]) -> bool:
    """The address agrees and nothing of the person is stated on both sides: no given name on one,
    no date of birth (a comparison is left out of the parts where a record does not state it)."""
    return "given_name" not in parts and "date_of_birth" not in parts and _address(parts)


def _address(parts: Mapping[str, Any]) -> bool:
    return _agrees(parts, *ADDRESS) or all(_agrees(parts, c, levels) for c, levels in BUILDING)
