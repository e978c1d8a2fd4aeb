"""The Splink model of a person: comparisons and blocking rules in code, trained parameters in JSON.

Splink's saved JSON holds SQL of one dialect (a DuckDB model does not parse on Spark) and Splink
hardly checks it (an m probability of 7.5 predicts silently). So the model's shape lives here,
dialect-free, and a stored model contributes only its parameters (prior, m and u per level), after
`check_model` has found them whole and of this shape.

Comparisons (one per signal: modelling a signal twice counts its evidence twice):
- given_name, family_name: exact (with term-frequency adjustment: a rare name says more), Jaro-
  Winkler ≥ 0.92 (typos), ≥ 0.80 (transliterations), given and family name swapped;
- date_of_birth: exact, day and month swapped, one character off, within a year;
- email, phone: any address / number in common;
- username: the same account, the same handle on another platform (or as an e-mail's local
  part), the same core but other trailing digits, the same core (leetspeak, separators aside);
- street: house number and street as stated (linkage.addresses): both, the number with the street
  mistyped, the street alone, street and premise lines swapped, the number alone;
- premise (flat, building, estate): exact, Jaro-Winkler ≥ 0.88, swapped with the street line;
- locality: postcode and town, the postcode alone, the town with the postcode one character off, the
  town alone, the postcode one character off. Postcode and town are one comparison: one says
  much of the other, and two comparisons would count the place twice;
- country: exact, with term-frequency adjustment;
- ip: IP-days in common (2+, 1), an address within a fortnight, addresses on other days (2+, 1).
  A household shares its address on the same days too: names and handles must agree as well.

Blocking (which pairs are scored): names, names swapped, both names' first two letters with one
name's last two, date of birth with a first initial, and any selector value, handle, core or IP
address two records share (one exploded array of tagged tokens; common values left out by
linkage.features). Where addresses are stated: postcode with house number, with the family name's
first two letters or with the premise; date of birth with the postcode's first two characters; house
number with the first three letters of street and town; street with the town's first three letters;
street as the other's premise (same number). Each pairs a place with a second key, so no block is a
whole postcode or town.

Training: the prior from near-certain rules, u from random pairs, m by expectation maximisation in
four sessions blocked on date of birth, full name, first e-mail and first handle (Splink 5 cannot
train EM on an exploded array), so every comparison is trained in at least one session that does not
fix it (no session blocks on an address). A comparison too few records state gets no weight
(splink_engine.sparse).

Term frequencies are not available for arrays; a common handle core is weak through its u.
"""

from __future__ import annotations

import math
from copy import deepcopy
from functools import cache
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

MODEL_FORMAT = "caseweave.splink_person/2"  # 2: street and locality compared


class ModelError(ValueError):
    """A stored model that cannot be used: unreadable, altered, or not of this code's shape."""


def _name(column: str, other: str) -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=column.replace("_", " "),
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(tf_adjustment_column=column, label_for_charts="exact"),
            cll.CustomLevel(f"{column}_l = {other}_r", label_for_charts=f"swapped with {other}"),
            cll.JaroWinklerLevel(column, 0.92).configure(label_for_charts="similar (typo)"),
            cll.JaroWinklerLevel(column, 0.8).configure(label_for_charts="alike (transliteration)"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _date_of_birth() -> ComparisonCreator:
    swapped = (
        "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
        "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
    )
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="exact"),
            cll.CustomLevel(swapped, label_for_charts="day and month swapped"),
            cll.LevenshteinLevel("dob", 1).configure(label_for_charts="one character off"),
            cll.AbsoluteDateDifferenceLevel(
                "dob", input_is_string=True, threshold=1, metric="year"
            ).configure(label_for_charts="within a year"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _shared(output: str, column: str, what: str) -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name=output,
        comparison_description=what,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ArrayIntersectLevel(column, 1).configure(label_for_charts=f"{what} in common"),
            cll.ElseLevel().configure(label_for_charts=f"no {what} in common"),
        ],
    )


def _username() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="username",
        comparison_description="usernames",
        comparison_levels=[
            cll.NullLevel("handles"),
            cll.ArrayIntersectLevel("usernames", 1).configure(label_for_charts="same account"),
            cll.ArrayIntersectLevel("handles", 1).configure(label_for_charts="same handle elsewhere"),
            cll.ArrayIntersectLevel("numbered_cores", 1).configure(
                label_for_charts="same core, other digits"
            ),
            cll.ArrayIntersectLevel("handle_cores", 1).configure(label_for_charts="same handle core"),
            cll.ElseLevel().configure(label_for_charts="different handles"),
        ],
    )


def _ip() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="ip",
        comparison_description="IP addresses (special ranges, proxies and over-correlating ones aside)",
        comparison_levels=[
            cll.NullLevel("ips"),
            cll.ArrayIntersectLevel("ip_days", 2).configure(label_for_charts="2+ IP-days in common"),
            cll.ArrayIntersectLevel("ip_days", 1).configure(label_for_charts="an IP-day in common"),
            cll.ArrayIntersectLevel("ip_weeks", 1).configure(label_for_charts="an IP within a fortnight"),
            cll.ArrayIntersectLevel("ips", 2).configure(label_for_charts="2+ IP addresses, other days"),
            cll.ArrayIntersectLevel("ips", 1).configure(label_for_charts="an IP address, other days"),
            cll.ElseLevel().configure(label_for_charts="no IP address in common"),
        ],
    )


def _either_lacks(*columns: str) -> ComparisonLevelCreator:
    """One of the two records states none of the columns: no evidence either way."""
    missing = (" AND ".join(f"{column}_{side} IS NULL" for column in columns) for side in "lr")
    return cll.CustomLevel(" OR ".join(f"({condition})" for condition in missing)).configure(
        is_null_level=True
    )


class _Swapped(ComparisonLevelCreator):
    """Each record's `column` is alike the other record's `other` (Jaro-Winkler, the engine's own
    function as Splink's levels name it): lines written in the other order. Both ways, or a street
    alike one building's name would count twice."""

    def __init__(self, column: str, other: str, threshold: float = 0.92) -> None:
        self.column, self.other, self.threshold = column, other, threshold

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        jw = sql_dialect.jaro_winkler_function_name
        return " AND ".join(
            f"{jw}({self.column}_{a}, {self.other}_{b}) >= {self.threshold}" for a, b in ("lr", "rl")
        )

    def create_label_for_charts(self) -> str:
        return f"{self.column} and {self.other} lines swapped"


def _street() -> ComparisonCreator:
    same_number = cll.ExactMatchLevel("street_number")
    return cl.CustomComparison(
        output_column_name="street",
        comparison_description="street and house number",
        comparison_levels=[
            _either_lacks("street", "street_number"),
            cll.And(same_number, cll.ExactMatchLevel("street")).configure(label_for_charts="same address"),
            cll.And(same_number, cll.JaroWinklerLevel("street", 0.88)).configure(
                label_for_charts="same number, street alike (typo)"
            ),
            cll.JaroWinklerLevel("street", 0.92).configure(
                label_for_charts="same street, number other or unstated"
            ),
            _Swapped("street", "premise"),
            cll.ExactMatchLevel("street_number").configure(
                label_for_charts="same house number, other street"
            ),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _premise() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="premise",
        comparison_description="other address lines (flat, building, estate)",
        comparison_levels=[
            cll.NullLevel("premise"),
            cll.ExactMatchLevel("premise").configure(label_for_charts="same"),
            cll.JaroWinklerLevel("premise", 0.88).configure(label_for_charts="alike (typo)"),
            _Swapped("premise", "street"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _locality() -> ComparisonCreator:
    def town_alike() -> ComparisonLevelCreator:
        return cll.JaroWinklerLevel("locality", 0.88)

    def postcode_typo() -> ComparisonLevelCreator:
        return cll.LevenshteinLevel("postcode", 1)

    return cl.CustomComparison(
        output_column_name="locality",
        comparison_description="postcode and town",
        comparison_levels=[
            _either_lacks("postcode", "locality"),
            cll.And(cll.ExactMatchLevel("postcode"), town_alike()).configure(
                label_for_charts="same postcode and town"
            ),
            cll.ExactMatchLevel("postcode").configure(
                label_for_charts="same postcode, town other or unstated"
            ),
            cll.And(town_alike(), postcode_typo()).configure(label_for_charts="same town, postcode one off"),
            town_alike().configure(label_for_charts="same town, postcode other or unstated"),
            postcode_typo().configure(label_for_charts="postcode one character off"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _country() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="country",
        comparison_description="country",
        comparison_levels=[
            cll.NullLevel("country"),
            cll.ExactMatchLevel("country").configure(tf_adjustment_column="country", label_for_charts="same"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def comparisons() -> list[ComparisonCreator | dict[str, Any]]:
    return [
        _name("given_name", "family_name"),
        _name("family_name", "given_name"),
        _date_of_birth(),
        _shared("email", "emails", "e-mail address"),
        _username(),
        _shared("phone", "phones", "phone number"),
        _street(),
        _premise(),
        _locality(),
        _country(),
        _ip(),
    ]


TF_COLUMNS = ("given_name", "family_name", "country")
# Feature columns that scoring never reads: the name as stated, and the firsts only training blocks on.
UNSCORED_COLUMNS = ("name", "first_email", "first_handle", "first_ip")

# Candidate pairs: names (also swapped, also with typos inside them), dates of birth, and any
# selector value, handle or IP-day the two records share (block_tokens, common ones left out).
# Typos: both names' first two letters and one name's last two. The first two letters alone made
# 62.6M candidates at 1M records (bench/_scale_data), these 6.8M, keeping 99.8 % of the same-person
# pairs among them (at 100k, 19 of 86.7k pairs above the threshold lost).
PREDICT_BLOCKING: list[BlockingRuleCreator | dict[str, Any]] = [
    block_on("given_name", "family_name"),
    block_on("family_name", "dob"),
    block_on("given_name", "dob"),
    CustomRule("l.given_name = r.family_name AND l.family_name = r.given_name"),
    block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)", "right(given_name, 2)"),
    block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)", "right(family_name, 2)"),
    block_on("dob", "substr(given_name, 1, 1)"),
    # Addresses (Febrl4: equal names or dob alone bring 4,596 of 5,000 true pairs, these 4,995).
    # A postcode or town alone would be one block of thousands in a city: each has a second key.
    block_on("postcode", "street_number"),
    block_on("postcode", "substr(family_name, 1, 2)"),
    block_on("postcode", "premise"),
    block_on("dob", "substr(postcode, 1, 2)"),
    block_on("street_number", "substr(street, 1, 3)", "substr(locality, 1, 3)"),
    block_on("street", "substr(locality, 1, 3)"),
    # lines written in the other order; two rules, as Splink keeps only pairs with l id < r id
    CustomRule("l.street = r.premise AND l.street_number = r.street_number"),
    CustomRule("l.premise = r.street AND l.street_number = r.street_number"),
    block_on("block_tokens", arrays_to_explode=["block_tokens"]),
]

# Pairs that are almost surely one person, for the prior (what share of all pairs match).
PRIOR_RULES: list[BlockingRuleCreator | str] = [
    block_on("given_name", "family_name", "dob"),
    block_on("handles", arrays_to_explode=["handles"]),
]
PRIOR_RECALL = 0.6

# Expectation maximisation: each session fixes the comparisons it blocks on and trains the others.
EM_BLOCKING: list[BlockingRuleCreator | str] = [
    block_on("dob"),
    block_on("given_name", "family_name"),
    block_on("first_email"),
    block_on("first_handle"),
]


def settings_creator() -> SettingsCreator:
    """The model without parameters. Matching columns are retained: the gamma (level) columns that
    explain a link come with them."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=PREDICT_BLOCKING,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


def settings_dict(dialect: str) -> dict[str, Any]:
    """A copy of the model's settings for the dialect, free to change (Splink takes ~70 ms to build
    them, and a run asks several times)."""
    return deepcopy(_settings(dialect))


@cache
def _settings(dialect: str) -> dict[str, Any]:
    return settings_creator().create_settings_dict(dialect)


def shape(dialect: str) -> list[tuple[str, int]]:
    """(comparison name, number of levels) of this code's model."""
    settings = settings_dict(dialect)
    return [(c["output_column_name"], len(c["comparison_levels"])) for c in settings["comparisons"]]


def check_model(model: Any, dialect: str) -> dict[str, Any]:
    """The Splink model dict if it is whole and of this shape, else ModelError saying why."""
    if not isinstance(model, dict) or not isinstance(model.get("comparisons"), list):
        raise ModelError("not a Splink model")
    prior = model.get("probability_two_random_records_match")
    if not _probability(prior) or prior == 1:
        raise ModelError(f"prior {prior!r} is not a probability")
    found: list[tuple[str, int]] = []
    for comparison in model["comparisons"]:
        levels = comparison.get("comparison_levels") if isinstance(comparison, dict) else None
        if not isinstance(levels, list):
            raise ModelError("a comparison without levels")
        name = str(comparison.get("output_column_name"))
        found.append((name, len(levels)))
        for level in levels:
            for key in ("m_probability", "u_probability"):
                value = level.get(key) if isinstance(level, dict) else None
                if value is not None and not _probability(value):
                    raise ModelError(f"{name}: {key} {value!r} is not a probability")
    expected = shape(dialect)
    if found != expected:
        raise ModelError(f"comparisons {found} differ from this version's {expected}")
    return model


def _probability(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 < value <= 1
        and math.isfinite(value)
    )


def with_parameters(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """This code's settings for `dialect`, with the trained parameters of a checked model."""
    settings = settings_dict(dialect)
    settings["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    for target, source in zip(settings["comparisons"], model["comparisons"], strict=True):
        for level, trained in zip(target["comparison_levels"], source["comparison_levels"], strict=True):
            for key in ("m_probability", "u_probability", "tf_minimum_u_value"):
                if key in trained:
                    level[key] = trained[key]
    return settings


def level_labels(settings: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison name → gamma value → level label. Splink numbers the non-null levels from the
    strongest (highest gamma) down to the else level (0); the null level is -1."""
    out: dict[str, dict[int, str]] = {}
    for comparison in settings["comparisons"]:
        levels = comparison["comparison_levels"]
        labels: dict[int, str] = {}
        gamma = sum(1 for level in levels if not level.get("is_null_level")) - 1
        for level in levels:
            label = str(level.get("label_for_charts") or level.get("sql_condition"))
            if level.get("is_null_level"):
                labels[-1] = "missing"
            else:
                labels[gamma] = label
                gamma -= 1
        out[comparison["output_column_name"]] = labels
    return out
