"""From clues to a country distribution, a confidence and a status.

Each fact counts once (clues with the same source_key and country: the heaviest), weights add up per
country, shares are of the counted weight, and confidence = top weight / (counted weight + prior).
The same function scores the full evidence (stored) and the part a viewer may see (views.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from caseweave.attribution.weights import Weights

STATUSES = ("attributed", "contested", "low_confidence", "no_evidence")


class Weighed(Protocol):
    @property
    def source_key(self) -> str: ...
    @property
    def country(self) -> str | None: ...
    @property
    def weight(self) -> float: ...


@dataclass(frozen=True)
class Score:
    status: str
    top_country: str | None
    confidence: float
    distribution: dict[str, float]  # country → share of the counted weight, largest first
    weights: dict[str, float]  # country → counted weight
    total_weight: float
    counted: frozenset[int]  # positions of the clues that counted

    @property
    def runner_up(self) -> str | None:
        countries = list(self.distribution)
        return countries[1] if len(countries) > 1 else None


def score(clues: Sequence[Weighed], weights: Weights) -> Score:
    best: dict[tuple[str, str], int] = {}
    for index, clue in enumerate(clues):
        if clue.country is None or clue.weight <= 0:
            continue
        key = (clue.source_key, clue.country)
        if key not in best or clue.weight > clues[best[key]].weight:
            best[key] = index
    by_country: dict[str, float] = {}
    for index in best.values():
        clue = clues[index]
        assert clue.country is not None
        by_country[clue.country] = by_country.get(clue.country, 0.0) + clue.weight
    total = sum(by_country.values())
    if total <= 0:
        return Score("no_evidence", None, 0.0, {}, {}, 0.0, frozenset())
    ranked = sorted(by_country.items(), key=lambda item: (-item[1], item[0]))
    shares = {country: round(weight / total, 4) for country, weight in ranked}
    top, top_weight = ranked[0]
    confidence = round(top_weight / (total + weights.prior), 4)
    status = "attributed"
    if len(ranked) > 1:
        gap = (top_weight - ranked[1][1]) / total
        if gap < weights.contested_margin or ranked[1][1] == top_weight:
            status = "contested"
    if status == "attributed" and confidence < weights.min_confidence:
        status = "low_confidence"
    return Score(
        status=status,
        top_country=top,
        confidence=confidence,
        distribution=shares,
        weights={country: round(weight, 6) for country, weight in ranked},
        total_weight=round(total, 6),
        counted=frozenset(best.values()),
    )
