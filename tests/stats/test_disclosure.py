"""Disclosure control for public releases: exact behaviour on small tables, and an attacker that
reads only the published table and must never recover a hidden cell (tests/stats/recover.py)."""

from __future__ import annotations

import json
import math
import random
from datetime import date, datetime
from typing import Any, Literal

import pytest

from caseweave.errors import Invalid
from caseweave.stats.disclosure import _protect, as_dict, from_dict, protect, round_half_up
from caseweave.stats.figures import MEASURES, Counts, DisclosureRules, Figures, PublicFigures
from tests.stats.recover import TABLES, TOTAL, attack, recovered

Wording = Literal["rounded", "about"]
EXACT = DisclosureRules(threshold=10, base=1)


def _counts(value: int) -> Counts:
    return dict.fromkeys(MEASURES, value)


def make_figures(countries: dict[str, int], months: dict[str, int] | None = None) -> Figures:
    """Every measure with the same counts; all in one month unless months are given."""
    months = months if months is not None else {"2026-01": sum(countries.values())}
    return Figures(
        operation_id=1,
        operation_name="Operation Test",
        started_on=date(2026, 1, 1),
        as_of=date(2026, 12, 31),
        generated_at=datetime(2027, 1, 1, 9, 0),
        viewer="user:analyst.gb (GB-NCA)",
        countries={cc: _counts(v) for cc, v in countries.items()},
        months={m: _counts(v) for m, v in months.items()},
        totals=_counts(sum(countries.values())),
    )


def texts(public: PublicFigures, measure: str = "arrests") -> dict[str, str]:
    """cc / month / "total" → the text a reader sees for one measure."""
    cells = {cc: row[measure].text for cc, row in public.countries.items()}
    cells.update({m: row[measure].text for m, row in public.months.items()})
    return cells | {"total": public.totals[measure].text}


# --- random operations -----------------------------------------------------------------------------


def random_figures(rng: random.Random) -> tuple[Figures, list[str]]:
    """1–40 countries × 1–14 months, mostly small counts and zeros; a random consent subset."""
    codes = [f"{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(rng.randint(1, 40))]
    months = [f"{2026 + i // 12}-{i % 12 + 1:02d}" for i in range(rng.randint(1, 14))]
    small = rng.random() < 0.2  # some operations have everything small
    size = {cc: 0.0 if small else rng.choice([0.0, 0.02, 0.1, 0.5, 2.0, 8.0]) for cc in codes}
    grid = {
        (cc, m, measure): int(rng.expovariate(1.0) * size[cc] * (0.05 if small else 1.0))
        for cc in codes
        for m in months
        for measure in MEASURES
    }
    figures = Figures(
        operation_id=1,
        operation_name="Operation Random",
        started_on=date(2026, 1, 1),
        as_of=date(2027, 2, 28),
        generated_at=datetime(2027, 3, 1),
        viewer="user:test",
        countries={cc: {x: sum(grid[cc, m, x] for m in months) for x in MEASURES} for cc in codes},
        months={m: {x: sum(grid[cc, m, x] for cc in codes) for x in MEASURES} for m in months},
        totals={x: sum(v for k, v in grid.items() if k[2] == x) for x in MEASURES},
    )
    consenting = rng.sample(codes, rng.choice([0, len(codes), rng.randint(0, len(codes))]))
    return figures, consenting


def true_value(figures: Figures, measure: str, key: tuple[str, str]) -> int:
    kind, name = key
    if key == TOTAL:
        return figures.totals[measure]
    return (figures.countries if kind == "country" else figures.months)[name][measure]


def check_release(figures: Figures, public: PublicFigures) -> int:
    """Everything a release must satisfy against its true figures; returns how many cells are hidden."""
    table = as_dict(public)
    json.dumps(table)
    assert from_dict(json.loads(json.dumps(table))) == public
    assert recovered(table) == []
    hidden = 0
    for measure, bounds in attack(table).items():
        for key, (lo, hi) in bounds.items():
            value = true_value(figures, measure, key)
            assert lo <= value <= hi, (measure, key)  # the attacker's reasoning is sound
            cell = (public.totals if key == TOTAL else getattr(public, TABLES[key[0]])[key[1]])[measure]
            if cell.status == "shown":
                assert value >= public.rules.threshold
                assert cell.value == round_half_up(value, public.rules.base)
            hidden += cell.status != "shown"
    return hidden


@pytest.mark.parametrize("base", [5, 1])
@pytest.mark.parametrize("wording", ["rounded", "about"])
def test_no_hidden_cell_is_recovered_in_random_operations(base: int, wording: Wording) -> None:
    rules = DisclosureRules(threshold=10, base=base, wording=wording)
    hidden = unprotected_leaks = 0
    for seed in range(200):
        figures, consenting = random_figures(random.Random(f"{seed}-{base}-{wording}"))
        hidden += check_release(figures, protect(figures, rules, consenting))
        unprotected = _protect(figures, rules, consenting, secondary=False)
        unprotected_leaks += len(recovered(as_dict(unprotected)))
    assert hidden > 0
    assert unprotected_leaks > 0  # the same attacker beats primary suppression alone


# --- the attack is real --------------------------------------------------------------------------


def test_without_secondary_suppression_the_attacker_recovers_the_small_cell() -> None:
    figures = make_figures({"DE": 40, "FR": 50, "GB": 3})
    table = as_dict(_protect(figures, EXACT, ["DE", "FR", "GB"], secondary=False))
    assert table["countries"]["GB"]["arrests"]["text"] == "suppressed"
    assert ("arrests", ("country", "GB"), 3, 3) in recovered(table)
    protected = as_dict(protect(figures, EXACT, ["DE", "FR", "GB"]))
    assert recovered(protected) == []
    assert protected["countries"]["DE"]["arrests"]["text"] == "suppressed"


def test_without_secondary_suppression_a_withheld_country_is_total_minus_the_others() -> None:
    figures = make_figures({"DE": 40, "FR": 50, "GB": 30})
    table = as_dict(_protect(figures, EXACT, ["DE", "FR"], secondary=False))
    assert ("arrests", ("country", "GB"), 30, 30) in recovered(table)


def test_without_secondary_suppression_rounding_alone_still_shows_a_cell_is_small() -> None:
    figures = make_figures({"DE": 10, "FR": 10, "GB": 3})  # shown "10": 10–12, total "25": 23–27
    table = as_dict(_protect(figures, DisclosureRules(), ["DE", "FR", "GB"], secondary=False))
    assert recovered(table)[0] == ("subjects_investigated", ("country", "GB"), 0, 7)
    assert recovered(as_dict(protect(figures, DisclosureRules(), ["DE", "FR", "GB"]))) == []


# --- exact behaviour -------------------------------------------------------------------------------


def test_counts_below_the_threshold_are_suppressed_and_others_shown() -> None:
    public = protect(make_figures({"DE": 10, "FR": 9, "GB": 20}), EXACT, ["DE", "FR", "GB"])
    assert texts(public) == {
        "DE": "suppressed",
        "FR": "suppressed",
        "GB": "20",
        "2026-01": "39",
        "total": "39",
    }


def test_rounding_is_half_up_and_the_total_is_rounded_on_its_own() -> None:
    assert [round_half_up(v, 5) for v in (12, 13, 10, 0, 7)] == [10, 15, 10, 0, 5]
    assert round_half_up(15, 10) == 20 and round_half_up(14, 10) == 10 and round_half_up(13, 1) == 13
    rules = DisclosureRules(wording="about")
    public = protect(make_figures({"DE": 12, "FR": 13, "GB": 12}), rules, ["DE", "FR", "GB"])
    assert texts(public) == {
        "DE": "about 10",
        "FR": "about 15",
        "GB": "about 10",
        "2026-01": "about 35",
        "total": "about 35",  # 37, not 10 + 15 + 10
    }
    assert public.totals["arrests"].value == 35 and public.countries["FR"]["arrests"].value == 15


def test_a_withheld_country_gets_a_second_hidden_cell() -> None:
    public = protect(make_figures({"DE": 20, "FR": 30, "GB": 50}), EXACT, ["DE", "FR"])
    assert texts(public) == {
        "DE": "suppressed",
        "FR": "30",
        "GB": "not disclosed",
        "2026-01": "100",
        "total": "100",
    }
    assert public.countries["GB"]["arrests"].status == "not_disclosed"
    assert public.countries["DE"]["arrests"].status == "suppressed"
    assert public.consenting == ("DE", "FR")


def test_secondary_suppression_hides_until_the_hidden_cells_reach_the_threshold() -> None:
    figures = make_figures({"AA": 3, "BB": 4, "CC": 12, "DD": 12, "EE": 40})
    public = protect(figures, EXACT, ["AA", "BB", "CC", "DD", "EE"])
    assert texts(public)["CC"] == "suppressed"  # 3 + 4 < 10; of the tied 12s the first goes
    assert texts(public)["DD"] == "12" and texts(public)["total"] == "71"


def test_the_month_relation_is_protected_too() -> None:
    figures = make_figures({"GB": 100}, {"2026-01": 3, "2026-02": 47, "2026-03": 50})
    public = protect(figures, EXACT, ["GB"])
    assert texts(public) == {
        "GB": "100",
        "2026-01": "suppressed",
        "2026-02": "suppressed",
        "2026-03": "50",
        "total": "100",
    }


def test_the_total_is_hidden_only_when_nothing_else_is_left_and_then_in_both_relations() -> None:
    figures = make_figures({"DE": 4, "GB": 5}, {"2026-01": 6, "2026-02": 3})
    public = protect(figures, EXACT, ["DE", "GB"])
    assert set(texts(public).values()) == {"suppressed"}
    assert recovered(as_dict(public)) == []


def test_one_withheld_country_alone_publishes_nothing_of_it() -> None:
    """Its cell equals the total, which the shown months would bound from below (GB ≥ 30)."""
    figures = make_figures({"GB": 50}, {"2026-01": 30, "2026-02": 20})
    public = protect(figures, EXACT, [])
    assert texts(public) == {
        "GB": "not disclosed",
        "2026-01": "suppressed",
        "2026-02": "suppressed",
        "total": "suppressed",
    }
    assert recovered(as_dict(public)) == []
    leaky = as_dict(public)  # as it would read with the first month shown
    leaky["months"]["2026-01"]["arrests"] = {"status": "shown", "value": 30, "text": "30"}
    assert ("arrests", ("country", "GB"), 30, math.inf) in recovered(leaky)


def test_all_zero_figures_show_nothing() -> None:
    figures = make_figures({"DE": 0, "FR": 0}, {"2026-01": 0, "2026-02": 0})
    public = protect(figures, DisclosureRules(), ["DE", "FR"])
    for measure in MEASURES:
        assert set(texts(public, measure).values()) == {"suppressed"}
    assert list(public.countries) == ["DE", "FR"]  # still listed: presence says nothing


def test_the_published_form_has_a_fixed_shape() -> None:
    public = protect(make_figures({"GB": 30, "DE": 20, "FR": 5}), DisclosureRules(), ["GB", "DE", "XX"])
    table = as_dict(public)
    assert list(table) == [
        "operation",
        "started_on",
        "as_of",
        "rules",
        "consenting",
        "countries",
        "months",
        "totals",
        "notes",
    ]
    assert table["started_on"] == "2026-01-01" and table["as_of"] == "2026-12-31"
    assert table["rules"] == {"threshold": 10, "base": 5, "wording": "rounded"}
    assert table["consenting"] == ["DE", "GB"]
    assert list(table["countries"]) == ["DE", "FR", "GB"]
    assert list(table["totals"]) == list(MEASURES)
    assert table["countries"]["FR"]["arrests"] == {
        "status": "not_disclosed",
        "value": None,
        "text": "not disclosed",
    }
    assert table["countries"]["GB"]["arrests"] == {"status": "shown", "value": 30, "text": "30"}
    assert from_dict(table) == public
    assert json.dumps(table) == json.dumps(as_dict(from_dict(table)))


def test_notes_say_what_was_done_in_plain_words() -> None:
    public = protect(make_figures({"DE": 20, "FR": 30, "GB": 50}), DisclosureRules(), ["DE", "FR"])
    assert public.notes[0] == "Counts below 10 are suppressed; others are rounded to the nearest 5."
    withheld = (
        "Countries that have not agreed to release are shown as not disclosed; the totals include them."
    )
    assert withheld in public.notes
    exact = protect(make_figures({"DE": 20, "FR": 30}), EXACT, ["DE", "FR"])
    assert exact.notes[0] == "Counts below 10 are suppressed; others are shown exactly."
    assert not any("not disclosed" in note for note in exact.notes)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"totals": _counts(7)}, "is not the sum"), ({"months": {"2026-01": _counts(8)}}, "is not the sum")],
)
def test_figures_that_do_not_add_up_are_refused(change: dict[str, Any], message: str) -> None:
    figures = make_figures({"DE": 4, "FR": 5})
    broken = Figures(**{**figures.__dict__, **change})
    with pytest.raises(Invalid, match=message):
        protect(broken, EXACT, ["DE"])


def test_rules_that_make_no_sense_are_refused() -> None:
    with pytest.raises(Invalid, match="base"):
        protect(make_figures({"DE": 40}), DisclosureRules(base=0), ["DE"])
