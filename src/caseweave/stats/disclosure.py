"""Disclosure control for a public release of an operation's figures (pure logic, no database).

Each measure is two additive relations sharing one total: A = the country cells + the total, and B =
the month cells + the total. A country that has not agreed to release is "not disclosed"; any count
below the threshold is suppressed (primary); then, in every relation holding a hidden cell, the
smallest shown cells are hidden too (secondary) until at least two cells are hidden (the total only
once no other cell is left) and the hidden cells add up to at least the threshold, so no hidden cell
can be worked out from the others and the total, and no withheld country can be shown to hold
anything. An operation of one country that has not agreed publishes none of that measure. Shown
cells are rounded half up to a multiple of the base, each on its own (the total too).
docs/victims.md ("Public release: disclosure control") gives the rules in words;
tests/stats/test_disclosure.py attacks the released tables.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any, Literal, cast

from caseweave.errors import Invalid
from caseweave.stats.figures import MEASURES, DisclosureRules, Figures, PublicCell, PublicFigures

Key = tuple[str, str]  # ("country", "GB"), ("month", "2026-03") or TOTAL
TOTAL: Key = ("total", "")
STATUSES = ("shown", "suppressed", "not_disclosed")


def protect(figures: Figures, rules: DisclosureRules, consenting: Collection[str]) -> PublicFigures:
    """The figures as they may be published under `rules`, given the countries that agreed to release."""
    return _protect(figures, rules, consenting, secondary=True)


def _protect(
    figures: Figures, rules: DisclosureRules, consenting: Collection[str], *, secondary: bool
) -> PublicFigures:
    """`protect`, with secondary suppression switchable off so the tests can show the attack is real."""
    _check(figures, rules)
    agreed = tuple(sorted(set(consenting) & set(figures.countries)))
    countries: dict[str, dict[str, PublicCell]] = {cc: {} for cc in sorted(figures.countries)}
    months: dict[str, dict[str, PublicCell]] = {m: {} for m in sorted(figures.months)}
    totals: dict[str, PublicCell] = {}
    for measure in MEASURES:
        values = _cells(figures, measure)
        withheld = {("country", cc) for cc in figures.countries if cc not in agreed}
        hidden = withheld | {k for k, v in values.items() if v < rules.threshold}
        if secondary:
            hidden = _secondary(values, hidden, max(rules.threshold, 1))
            if len(figures.countries) == 1 and withheld:
                # its cell and the total hide together, and the shown months would bound both from below
                hidden = set(values)
        for (kind, name), value in values.items():
            cell = _cell(value, (kind, name) in withheld, (kind, name) in hidden, rules)
            if kind == "country":
                countries[name][measure] = cell
            elif kind == "month":
                months[name][measure] = cell
            else:
                totals[measure] = cell
    return PublicFigures(
        operation_name=figures.operation_name,
        started_on=figures.started_on,
        as_of=figures.as_of,
        rules=rules,
        consenting=agreed,
        countries=countries,
        months=months,
        totals=totals,
        notes=_notes(rules, countries, months, totals),
    )


def _check(figures: Figures, rules: DisclosureRules) -> None:
    """Refuse rules that make no sense and figures that are not additive (the protection relies on it)."""
    if rules.base < 1 or rules.threshold < 0:
        raise Invalid("the rounding base must be 1 or more and the threshold 0 or more", field="rules")
    for measure in MEASURES:
        total = figures.totals[measure]
        by_country = sum(c[measure] for c in figures.countries.values())
        by_month = sum(m[measure] for m in figures.months.values())
        if not total == by_country == by_month:
            raise Invalid(
                f"{measure}: total {total} is not the sum of the countries ({by_country}) "
                f"and of the months ({by_month})",
                field="figures",
            )
        if min([total, *(c[measure] for c in figures.countries.values())]) < 0:
            raise Invalid(f"{measure}: counts cannot be negative", field="figures")


def _cells(figures: Figures, measure: str) -> dict[Key, int]:
    """One measure's cells: every country, every month, and the shared total."""
    values: dict[Key, int] = {("country", cc): c[measure] for cc, c in sorted(figures.countries.items())}
    values.update({("month", m): v[measure] for m, v in sorted(figures.months.items())})
    values[TOTAL] = figures.totals[measure]
    return values


def _secondary(values: Mapping[Key, int], hidden: set[Key], need: int) -> set[Key]:
    """Hide more cells until each relation with a hidden cell hides ≥ 2 cells adding up to ≥ `need`
    (or hides everything). The total belongs to both relations, so this runs to a fixpoint."""
    hidden = set(hidden)
    relations = [[k for k in values if k[0] == kind] + [TOTAL] for kind in ("country", "month")]
    changed = True
    while changed:
        changed = False
        for relation in relations:
            cell = _next_to_hide(relation, values, hidden, need)
            if cell is not None:
                hidden.add(cell)
                changed = True
    return hidden


def _next_to_hide(relation: list[Key], values: Mapping[Key, int], hidden: set[Key], need: int) -> Key | None:
    """The cell this relation must hide next, or None when it is safe as it stands."""
    inside = [k for k in relation if k in hidden]
    shown = [k for k in relation if k not in hidden]
    if not inside or not shown:
        return None
    if len(inside) >= 2 and sum(values[k] for k in inside) >= need:
        return None
    others = [k for k in shown if k != TOTAL]
    return min(others, key=lambda k: (values[k], k)) if others else TOTAL


def _cell(value: int, withheld: bool, hidden: bool, rules: DisclosureRules) -> PublicCell:
    if withheld:
        return PublicCell("not_disclosed", None, "not disclosed")
    if hidden:
        return PublicCell("suppressed", None, "suppressed")
    shown = round_half_up(value, rules.base)
    return PublicCell("shown", shown, f"about {shown}" if rules.wording == "about" else str(shown))


def round_half_up(value: int, base: int) -> int:
    """`value` to the nearest multiple of `base`, halves up: 12 → 10 and 13 → 15 at base 5."""
    return (value + base // 2) // base * base


def _notes(
    rules: DisclosureRules,
    countries: dict[str, dict[str, PublicCell]],
    months: dict[str, dict[str, PublicCell]],
    totals: dict[str, PublicCell],
) -> tuple[str, ...]:
    cells = [c for row in (*countries.values(), *months.values(), totals) for c in row.values()]
    rounding = "shown exactly" if rules.base == 1 else f"rounded to the nearest {rules.base}"
    notes = [f"Counts below {rules.threshold} are suppressed; others are {rounding}."]
    if any(c.status != "shown" for c in cells):
        notes.append(
            "Some further counts are suppressed so that hidden counts cannot be worked out from the totals."
        )
    if rules.base > 1:
        notes.append(
            "Each figure is rounded on its own, so rounded figures may not add up to the rounded total."
        )
    if any(c.status == "not_disclosed" for c in cells):
        notes.append(
            "Countries that have not agreed to release are shown as not disclosed; the totals include them."
        )
    notes.append("Every participating country is listed, including those with nothing counted.")
    return tuple(notes)


def as_dict(public: PublicFigures) -> dict[str, Any]:
    """The released table in its published (JSON-ready) form, keys in a fixed order."""
    return {
        "operation": public.operation_name,
        "started_on": public.started_on.isoformat(),
        "as_of": public.as_of.isoformat(),
        "rules": {
            "threshold": public.rules.threshold,
            "base": public.rules.base,
            "wording": public.rules.wording,
        },
        "consenting": list(public.consenting),
        "countries": {cc: _row(public.countries[cc]) for cc in sorted(public.countries)},
        "months": {m: _row(public.months[m]) for m in sorted(public.months)},
        "totals": _row(public.totals),
        "notes": list(public.notes),
    }


def _row(row: Mapping[str, PublicCell]) -> dict[str, dict[str, Any]]:
    return {
        m: {"status": row[m].status, "value": row[m].value, "text": row[m].text} for m in MEASURES if m in row
    }


def from_dict(data: Mapping[str, Any]) -> PublicFigures:
    """Read a published table back (the inverse of `as_dict`)."""
    rules = data["rules"]
    if rules["wording"] not in ("rounded", "about"):
        raise Invalid(f"unknown wording {rules['wording']!r}", field="rules.wording")
    wording = cast(Literal["rounded", "about"], rules["wording"])
    return PublicFigures(
        operation_name=str(data["operation"]),
        started_on=date.fromisoformat(data["started_on"]),
        as_of=date.fromisoformat(data["as_of"]),
        rules=DisclosureRules(threshold=int(rules["threshold"]), base=int(rules["base"]), wording=wording),
        consenting=tuple(data["consenting"]),
        countries={cc: _read_row(row) for cc, row in data["countries"].items()},
        months={m: _read_row(row) for m, row in data["months"].items()},
        totals=_read_row(data["totals"]),
        notes=tuple(data["notes"]),
    )


def _read_row(row: Mapping[str, Mapping[str, Any]]) -> dict[str, PublicCell]:
    cells: dict[str, PublicCell] = {}
    for measure, cell in row.items():
        if cell["status"] not in STATUSES:
            raise Invalid(f"unknown status {cell['status']!r}", field=measure)
        value = None if cell["value"] is None else int(cell["value"])
        cells[measure] = PublicCell(cell["status"], value, str(cell["text"]))
    return cells
