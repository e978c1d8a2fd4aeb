"""The shapes the figures travel in: counted (internal), protected (public), and what a release asks for.

Every table is additive by construction: a measure's total is the sum of its country cells and also
the sum of its month cells (each counted thing falls in exactly one country and one month). The
disclosure control relies on that: a hidden cell must not be recoverable from a total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

# The order figures are shown in. What each counts is in docs/victims.md ("Operation figures").
MEASURES: tuple[str, ...] = (
    "subjects_investigated",
    "packages_sent",
    "packages_acknowledged",
    "arrests",
    "charges",
    "prosecutions",
    "convictions",
    "children_identified",
    "children_safeguarded",
)

LABELS: dict[str, str] = {
    "subjects_investigated": "subjects investigated",
    "packages_sent": "packages sent",
    "packages_acknowledged": "packages acknowledged",
    "arrests": "arrests",
    "charges": "charges (counts)",
    "prosecutions": "prosecutions",
    "convictions": "convictions",
    "children_identified": "children identified",
    "children_safeguarded": "children safeguarded",
}

Counts = dict[str, int]  # measure → count; every measure of MEASURES present


@dataclass(frozen=True)
class Figures:
    """Internal figures of one operation as one viewer may see them.

    `countries` lists every country of an agency taking part, with zeros where nothing was counted
    (so a country's presence says nothing), plus any other country something was counted in.
    `months` runs from the operation's start month to the month of `as_of`, zeros included, keyed
    "YYYY-MM". totals[m] == sum(c[m] for c in countries.values()) == sum(v[m] for v in months.values()).
    """

    operation_id: int
    operation_name: str
    started_on: date
    as_of: date
    generated_at: datetime
    viewer: str  # "user:analyst.gb (GB-NCA)"
    countries: dict[str, Counts]
    months: dict[str, Counts]
    totals: Counts


CellStatus = Literal["shown", "suppressed", "not_disclosed"]


@dataclass(frozen=True)
class PublicCell:
    """One published figure. `value` is the rounded count when shown, else None; `text` is what a
    reader sees: "45", "about 45", "suppressed" or "not disclosed" (primary and secondary
    suppression read the same, so which cells were small is not given away)."""

    status: CellStatus
    value: int | None
    text: str


@dataclass(frozen=True)
class DisclosureRules:
    threshold: int = 10  # counts below it are suppressed (zero included)
    base: int = 5  # shown counts are rounded to a multiple of it (half up)
    wording: Literal["rounded", "about"] = "rounded"  # "about" writes "about 200"


@dataclass(frozen=True)
class PublicFigures:
    """What may be published: the same shape as Figures with every cell protected."""

    operation_name: str
    started_on: date
    as_of: date
    rules: DisclosureRules
    consenting: tuple[str, ...]  # countries that agreed to release, sorted
    countries: dict[str, dict[str, PublicCell]]
    months: dict[str, dict[str, PublicCell]]
    totals: dict[str, PublicCell]
    notes: tuple[str, ...] = field(default=())  # plain-language notes printed under the table
