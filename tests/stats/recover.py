"""An attacker that reads only a published table (`as_dict` output, rules included) and bounds every
hidden cell by interval propagation over the two sum relations of each measure.

Shown cells lie in [value - floor(base/2), value + ceil(base/2) - 1] ∩ [threshold, ∞); hidden cells in
[0, ∞); the country cells sum to the total and so do the month cells. For these tree-shaped sum
constraints propagation to a fixpoint gives the exact bounds.
"""

from __future__ import annotations

import math
from typing import Any

Key = tuple[str, str]
TOTAL: Key = ("total", "")
TABLES = {"country": "countries", "month": "months"}
Bounds = dict[Key, tuple[float, float]]


def attack(table: dict[str, Any]) -> dict[str, Bounds]:
    """measure → the tightest [lo, hi] of every cell of that measure (hi may be infinite)."""
    return {measure: _measure_bounds(table, measure) for measure in table["totals"]}


def recovered(table: dict[str, Any]) -> list[tuple[str, Key, float, float]]:
    """The hidden cells the attacker pins down (lo == hi) or proves small (hi < threshold), and the
    withheld countries it proves to hold something (lo > 0): whether it does is what was withheld."""
    threshold = table["rules"]["threshold"]
    found = []
    for measure, bounds in attack(table).items():
        for key, (lo, hi) in bounds.items():
            status = _cell(table, measure, key)["status"]
            if status != "shown" and (lo == hi or hi < threshold or (status == "not_disclosed" and lo > 0)):
                found.append((measure, key, lo, hi))
    return found


def _cell(table: dict[str, Any], measure: str, key: Key) -> dict[str, Any]:
    kind, name = key
    cell: dict[str, Any] = table["totals"][measure] if key == TOTAL else table[TABLES[kind]][name][measure]
    return cell


def _measure_bounds(table: dict[str, Any], measure: str) -> Bounds:
    relations = [[("country", cc) for cc in table["countries"]], [("month", m) for m in table["months"]]]
    bounds = {k: _start(table, _cell(table, measure, k)) for r in relations for k in [*r, TOTAL]}
    for _ in range(100_000):
        before = dict(bounds)
        for relation in relations:
            _propagate(bounds, relation)
        if bounds == before:
            return bounds
    raise AssertionError(f"{measure}: the published table is inconsistent (no fixpoint)")


def _start(table: dict[str, Any], cell: dict[str, Any]) -> tuple[float, float]:
    if cell["status"] != "shown":
        return (0, math.inf)
    base, threshold, value = table["rules"]["base"], table["rules"]["threshold"], cell["value"]
    return (max(value - base // 2, threshold), value + (base + 1) // 2 - 1)


def _propagate(bounds: Bounds, parts: list[Key]) -> None:
    """One pass of sum(parts) == total over the bounds."""
    los = [bounds[k][0] for k in parts]
    his = [bounds[k][1] for k in parts]
    t_lo, t_hi = bounds[TOTAL]
    t_lo, t_hi = max(t_lo, sum(los)), min(t_hi, sum(his))
    bounds[TOTAL] = (t_lo, t_hi)
    sum_lo, finite_hi, infinite = sum(los), sum(h for h in his if h != math.inf), his.count(math.inf)
    for key, lo, hi in zip(parts, los, his, strict=True):
        others_hi = finite_hi - hi if hi != math.inf else finite_hi
        others_hi = math.inf if infinite - (hi == math.inf) > 0 else others_hi
        bounds[key] = (max(lo, t_lo - others_hi), min(hi, t_hi - (sum_lo - lo)))
