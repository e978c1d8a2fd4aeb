"""The baselines caseweave's linkage is judged beside, on the same records.

- `naive_exact`: records joined wherever they share any normalised selector value other than an IP
  address (what an analyst with a spreadsheet would do; no warning lists, no limits);
- `raw_splink_person_fields`: plain Splink 5 (DuckDB) dedupe on the person fields alone (given and
  family name, date of birth, country), standard comparison levels, trained with the prior from a
  strict rule, u by random sampling and EM, clustered with Splink's own
  `cluster_pairwise_predictions_at_threshold`.

`caseweave eval linkage` and bench/linkage_accuracy.py print both beside caseweave's own subjects.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

QUIET = logging.WARNING


def naive_exact(sightings: Iterable[tuple[int, str, str]], records: Iterable[int]) -> dict[int, int]:
    """record -> cluster (its smallest record): `records` joined by shared (selector type, value)
    pairs of `sightings` (record, selector type, normalised value), IP addresses left out."""
    parent = {record: record for record in records}

    def find(record: int) -> int:
        while parent[record] != record:
            parent[record] = parent[parent[record]]
            record = parent[record]
        return record

    holder: dict[tuple[str, str], int] = {}
    for record, selector_type, value in sightings:
        if selector_type == "ip" or record not in parent:
            continue
        first = holder.setdefault((selector_type, value), record)
        a, b = find(first), find(record)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {record: find(record) for record in parent}


def probability(match_weight: float) -> float:
    """The match probability of a Splink match weight (log2 odds)."""
    return 1 / (1 + math.pow(2, -match_weight))


def name_comparison(column: str, other: str) -> Any:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
            cll.JaroWinklerLevel(column, 0.92),
            cll.JaroWinklerLevel(column, 0.88),
            cll.LevenshteinLevel(column, 2),
            cll.JaroWinklerLevel(column, 0.7),
            cll.CustomLevel(f"{column}_l = {other}_r", label_for_charts=f"{column} = other {other}"),
            cll.ElseLevel(),
        ],
    )


def dob_comparison() -> Any:
    swap = (
        "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
        "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
    )
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(swap, label_for_charts="day/month swapped"),
            cll.LevenshteinLevel("dob", 1),
            cll.AbsoluteDateDifferenceLevel("dob", input_is_string=True, threshold=1, metric="month"),
            cll.AbsoluteDateDifferenceLevel("dob", input_is_string=True, threshold=1, metric="year"),
            cll.AbsoluteDateDifferenceLevel("dob", input_is_string=True, threshold=10, metric="year"),
            cll.ElseLevel(),
        ],
    )


def train(linker: Linker, prior_rules: list[Any], recall: float, em_rules: list[Any]) -> list[str]:
    """Prior, u and one EM session per rule; returns the sessions Splink refused (as caseweave's
    own training does, a session whose block drives an m probability to 0 is skipped). Splink 5.0.0
    drops the comparisons a session blocks on from the linker's own settings when the session
    starts and puts them back only when it succeeds, so a refused session would leave the model
    without them: the settings are restored from a copy taken before each session."""
    training = linker.training
    training.estimate_probability_two_random_records_match(prior_rules, recall=recall)
    training.estimate_u_using_random_sampling(max_pairs=1e7, seed=42)
    skipped = []
    for n, rule in enumerate(em_rules):
        before = linker._settings_obj.core_model_settings.copy()  # type: ignore[no-untyped-call]
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except Exception as error:  # Splink raises assorted errors where a block holds too little
            linker._settings_obj.core_model_settings = before
            skipped.append(f"EM session {n + 1} of {len(em_rules)} skipped ({str(error)[:60]})")
    return skipped


def clusters_at(linker: Linker, threshold: float) -> dict[str, str]:
    predictions = linker.inference.predict(threshold_match_probability=min(threshold, 0.01))
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    return {str(row["unique_id"]): str(row["cluster_id"]) for row in clusters.as_record_list()}


def raw_splink_person_fields(
    rows: list[dict[str, Any]], threshold: float
) -> tuple[dict[str, str], list[str]]:
    """Plain Splink dedupe on given_name, family_name, dob (ISO text) and country: unique_id →
    cluster. Blocking on names, name prefixes, swapped names and dates of birth."""
    db_api = DuckDBAPI()
    records = db_api.register(rows, dataset_display_name="person_fields")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            name_comparison("given_name", "family_name"),
            name_comparison("family_name", "given_name"),
            dob_comparison(),
            cl.ExactMatch("country").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            block_on("family_name", "dob"),
            block_on("given_name", "dob"),
            CustomRule("l.given_name = r.family_name AND l.family_name = r.given_name"),
            block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)"),
            block_on("dob", "substr(given_name, 1, 1)"),
        ],
    )
    linker = Linker(records, settings, log_level=QUIET)
    skipped = train(
        linker,
        [block_on("given_name", "family_name", "dob")],
        0.8,
        [block_on("dob"), block_on("given_name", "family_name")],
    )
    return clusters_at(linker, threshold), skipped


def baseline_subjects(inputs: Any, *, threshold: float) -> list[tuple[str, dict[tuple[str, str], str] | str]]:
    """Each baseline's labelling of linkage.export.BaselineInputs' records, keyed (file, ref): "naive
    exact" (non-IP selectors) and "plain Splink" (person fields); a baseline that cannot run says why
    instead. threshold: caseweave's match weight threshold."""
    out: list[tuple[str, dict[tuple[str, str], str] | str]] = []
    joined = naive_exact(inputs.sightings, inputs.keys)
    out.append(("naive exact", {inputs.keys[r]: str(c) for r, c in joined.items()}))
    try:
        clusters, _ = raw_splink_person_fields(inputs.people, probability(threshold))
    except Exception as error:  # Splink refuses too few or too uniform records in assorted ways
        out.append(("plain Splink", f"{type(error).__name__}: {str(error)[:120]}"))
    else:
        out.append(("plain Splink", {inputs.keys[int(uid)]: c for uid, c in clusters.items()}))
    return out
