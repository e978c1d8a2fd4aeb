"""Linkage accuracy: caseweave's subjects beside two baselines, scored against ground truth, with times.

    .venv/bin/python bench/linkage_accuracy.py --dataset synthetic --subjects 700
    .venv/bin/python bench/linkage_accuracy.py --dataset febrl3   # and febrl4; --febrl-dir, see below
    .venv/bin/python bench/linkage_accuracy.py --dataset pseudopeople --pseudopeople-csv /tmp/pseudopeople.csv

Every data set is scored with `caseweave.linkage.evaluation.score` (pairwise and cluster precision,
recall, F1; records keyed by file and the file's own record id) for three configurations on the
same stored records (caseweave.linkage.baselines):
  naive exact  records joined wherever they share a normalised non-IP selector value;
  splink       plain Splink 5 (DuckDB) on person fields alone (given and family name, date of birth,
               country), clustered with Splink's own `cluster_pairwise_predictions_at_threshold` at
               the probability of caseweave's `link_match_weight_threshold`;
  caseweave    `link_operation(full=True, use_model=True)`: exact correlation, the trained model,
               corroboration, constrained clustering with dates of birth kept apart.
               On the synthetic operation also with the model trained on another seed's
               operation (--train-seed, default 2) and stored before a full run that keeps it.

synthetic: `caseweave.synth.write_operation` writes an operation's referral files and truth.json;
they are imported as `caseweave demo` imports them into a temporary SQLite database.
febrl3 / febrl4: Febrl's records (bench/_linkage_data.py: where they come from), inserted as person
records (given name, family name, date of birth, the address as one text, country AU) of one
referral; Febrl3 is one file to deduplicate (2,000 originals, 3,000 duplicates), Febrl4 two files
of 5,000 to link. Raw Splink with the prototype's Febrl model (names, dob, address parts, wide
blocking; threshold 0.9) is a fourth row. Truth: rec-N-org and rec-N-dup-K are one person. Febrl
states no selector, so the naive exact baseline links nothing there.
pseudopeople: the CSV bench/pseudopeople_prepare.py writes (census, surveys, tax forms, SSA
events of one simulated town, with pseudopeople's noise), one referral per source, truth by
simulant_id.
Times are the linkage alone (training, prediction, clustering), not generation or import.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from the repository root: bench/ imports
    sys.path.insert(0, str(ROOT))

from bench._linkage_data import (  # noqa: E402
    DEFAULT_FEBRL_DIR,
    febrl_dir,
    read_febrl,
    splink_febrl,
)
from caseweave.actor import Actor  # noqa: E402
from caseweave.config import Settings  # noqa: E402
from caseweave.db.runtime import Database  # noqa: E402
from caseweave.linkage.baselines import probability, raw_splink_person_fields  # noqa: E402
from caseweave.linkage.evaluation import (  # noqa: E402
    RecordKey,
    Scores,
    load_truth,
    score,
    through_shared_exit,
)
from caseweave.linkage.export import BaselineInputs, baseline_inputs, predicted_subjects  # noqa: E402
from caseweave.linkage.service import RunSummary, link_operation  # noqa: E402

Row = tuple[str, Scores | None, float, str]  # configuration, scores (None: failed), seconds, note
T = TypeVar("T")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ours(
    db: Database,
    settings: Settings,
    op_id: int,
    truth: dict[RecordKey, str],
    inputs: BaselineInputs,
    *,
    retrain: bool = True,
) -> tuple[dict[RecordKey, str] | None, float, str]:
    """One full run (retrain False: with the stored model), then every record's subject; a run
    that raises is reported, not fatal."""
    operator = Actor.cli()
    started = time.perf_counter()
    try:
        with db.transaction() as session:
            summary: RunSummary = link_operation(
                session, operator, settings, op_id, full=True, retrain=retrain
            )
    except Exception as error:  # the benchmark reports a failing run and goes on
        return None, time.perf_counter() - started, f"FAILED: {type(error).__name__}: {error}"
    seconds = time.perf_counter() - started
    with db.transaction() as session:
        predicted = predicted_subjects(session, operator, op_id)
        exits, false = _links_through_exits(session, op_id, truth, inputs)
    note = (
        f"{summary.selector_links} selector + {summary.probabilistic_links} model links; "
        f"{false} false of {exits} through a VPN/Tor/CGNAT address"
    )
    return predicted, seconds, note


EXITS: set[str] = set()  # the synthetic operation's shared exits, from its truth.json


def _links_through_exits(
    session: Any, op_id: int, truth: dict[RecordKey, str], inputs: BaselineInputs
) -> tuple[int, int]:
    """Links made through a VPN, Tor or CGNAT address (a warning-listed one, or one the truth
    names; `through_shared_exit`), and how many of them join two people."""
    from sqlalchemy import select

    from caseweave.linkage.models import Link
    from caseweave.linkage.warninglists import build_matcher

    matcher = build_matcher(session)
    ips: dict[int, set[str]] = {}
    exits: set[str] = set()
    for record, kind, value in inputs.sightings:
        if kind == "ip":
            ips.setdefault(record, set()).add(value)
            if value in EXITS or matcher.match("ip", value) is not None:
                exits.add(value)
    links = session.execute(
        select(Link.a_id, Link.b_id, Link.kind, Link.value, Link.contributions).where(
            Link.operation_id == op_id
        )
    )
    through = {
        (a, b)
        for a, b, kind, value, parts in links
        if through_shared_exit(kind, value, parts, ips.get(a, set()) & ips.get(b, set()), exits)
    }
    false = 0
    for a, b in through:
        left, right = truth.get(inputs.keys[a]), truth.get(inputs.keys[b])
        false += left is not None and right is not None and left != right
    return len(through), false


# --threshold, --seed and --train-seed: the match weight threshold to try, the synthetic operation's
# seed and the seed of the operation its model is trained on
OVERRIDES: dict[str, Any] = {}
SEED = [1, 2]


def _settings(path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{path}", **OVERRIDES)


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
    """The operation of seed SEED[0], judged with the model trained on the one of SEED[1] (and,
    for comparison, with a model trained on itself)."""
    from caseweave.linkage import model_store

    seed, train_seed = SEED
    _log(f"the operation of seed {train_seed}, to train the model on…")
    db, settings, op_id, _ = _synthetic_operation(subjects, train_seed, workdir / "train")
    with db.transaction() as session:
        link_operation(session, Actor.cli(), settings, op_id, full=True)
        trained = model_store.latest(session, op_id)
        assert trained is not None
        model = model_store.load(trained, "duckdb")
    db.close()
    _log(f"the operation of seed {seed}, to judge…")
    db, settings, op_id, data = _synthetic_operation(subjects, seed, workdir / "judged")
    truth = load_truth(data / "truth.json")
    exits = json.loads((data / "truth.json").read_text(encoding="utf-8"))["shared_exits"]
    EXITS.update(ip for addresses in exits.values() for ip in addresses)
    rows = _three(db, settings, op_id, truth, closing=False)
    rows[-1] = (f"{rows[-1][0]}, own seed", *rows[-1][1:])
    with db.transaction() as session:
        model_store.save(session, op_id, model.engine, model.records, model.model)
    _log(f"caseweave full run with the model of seed {train_seed}…")
    with db.transaction() as session:
        inputs = baseline_inputs(session, Actor.cli(), op_id)
    predicted, seconds, note = _ours(db, settings, op_id, truth, inputs, retrain=False)
    rows.append(_row(f"caseweave, model of seed {train_seed}", _score(predicted, truth), seconds, note))
    db.close()
    records = rows[0][1].records if rows[0][1] is not None else 0
    title = f"synthetic operation, {subjects:,} subjects, seed {seed} ({records:,} person records scored)"
    return title, rows


def _synthetic_operation(subjects: int, seed: int, workdir: Path) -> tuple[Database, Settings, int, Path]:
    """An operation written by the generator and imported as `caseweave demo` imports it."""
    from caseweave.demo.referrals import import_folder
    from caseweave.demo.seed import seed_demo
    from caseweave.synth import write_operation

    data = workdir / "data"
    started = time.perf_counter()
    summary = write_operation(data, subjects=subjects, countries=35, seed=seed)
    _log(f"generated {summary.describe()} in {time.perf_counter() - started:.0f} s")
    settings = _settings(workdir / "bench.db")
    db = Database.open(settings)
    started = time.perf_counter()
    with db.transaction() as session:
        demo = seed_demo(session, Actor.cli(), settings)
        op_id = demo.operation.id
        imported = import_folder(session, Actor.cli(), demo.operation, data, lambda name: None)
    _log(
        f"imported {imported.referrals} referrals, {imported.persons} persons and "
        f"{imported.accounts} accounts as records, "
        f"{imported.sightings} sightings in {time.perf_counter() - started:.0f} s"
    )
    return db, settings, op_id, data


def febrl(dataset: str, folder: Path, workdir: Path) -> tuple[str, list[Row]]:
    """Febrl3 (one file, 2,000 originals and 3,000 duplicates, dedupe) or Febrl4 (two files, link)."""
    folder = febrl_dir(folder)
    if dataset == "febrl4":
        rows_a, rows_b = read_febrl(folder, "dataset4a.csv"), read_febrl(folder, "dataset4b.csv")
        everyone, second = rows_a + rows_b, rows_b
    else:
        everyone, second = read_febrl(folder, "dataset3.csv"), None
        rows_a = everyone
    name = f"{dataset}.csv"
    truth = {str(row["unique_id"]): str(row["entity"]) for row in everyone}
    truth_keys = {(name, uid): entity for uid, entity in truth.items()}
    results: list[Row] = []

    _log("raw Splink (prototype's Febrl model, wide blocking)…")
    (clusters, skipped), seconds = _timed(lambda: splink_febrl(rows_a, second, 0.9))
    note = "; ".join(["p ≥ 0.9, names+dob+address", *skipped])
    results.append(_row("raw Splink, Febrl model", score(clusters, truth), seconds, note))

    settings = _settings(workdir / "febrl.db")
    db = Database.open(settings)
    with db.transaction() as session:
        op_id = _operation(session, "AU", dataset)
        _store_people(session, op_id, "AU-X", name, [_febrl_person(row) for row in everyone])

    results += _three(db, settings, op_id, truth_keys)
    return f"{dataset.capitalize()} ({len(everyone):,} records)", results


def pseudopeople(path: Path, workdir: Path) -> tuple[str, list[Row]]:
    """pseudopeople's census, survey, tax and SSA records of one simulated town (see
    bench/pseudopeople_prepare.py): one referral per source, truth by simulant_id."""
    import csv
    from collections import defaultdict

    if not path.exists():
        raise SystemExit(f"no {path}: write it with bench/pseudopeople_prepare.py (see its text)")
    by_source: dict[str, list[Person]] = defaultdict(list)
    truth: dict[RecordKey, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            street = " ".join(p for p in (row["street_number"], row["street_name"], row["unit_number"]) if p)
            town = " ".join(p for p in (row["city"], row["state"], row["zipcode"]) if p)
            address = ", ".join(p for p in (street, town) if p)
            born = _date(row["date_of_birth"])
            person = Person(
                row["record_id"], row["first_name"] or None, row["last_name"] or None, born, address, "US"
            )
            by_source[row["source"]].append(person)
            truth[(f"{row['source']}.csv", row["record_id"])] = row["simulant_id"]
    settings = _settings(workdir / "pseudopeople.db")
    db = Database.open(settings)
    with db.transaction() as session:
        op_id = _operation(session, "US", "pseudopeople")
        for source, people in by_source.items():
            _store_people(session, op_id, "US-X", f"{source}.csv", people)
    title = f"pseudopeople sample ({len(truth):,} records, {len(by_source)} sources)"
    return title, _three(db, settings, op_id, truth)


def _operation(session: Any, country: str, name: str) -> int:
    """An agency `<country>-X` and an operation it leads; the operation's id."""
    from caseweave.operations import service as ops

    operator, code = Actor.cli(), f"{country}-X"
    contact = f"d@{country.lower()}.example"
    ops.add_agency(
        session, operator, code=code, name=country, country=country, kind="police", contact_point=contact
    )
    started = date.today() - timedelta(days=400)
    return ops.create_operation(session, operator, name=name, lead_agency=code, start_date=started).id


def _three(
    db: Database, settings: Settings, op_id: int, truth: dict[RecordKey, str], *, closing: bool = True
) -> list[Row]:
    """The two baselines (naive exact correlation on non-IP selectors, plain Splink on person
    fields) and caseweave, on the same records; the database closed after unless closing is False."""
    from caseweave.linkage.baselines import naive_exact

    rows: list[Row] = []
    with db.transaction() as session:
        inputs = baseline_inputs(session, Actor.cli(), op_id)
    _log("naive exact correlation on non-IP selectors…")
    joined, seconds = _timed(lambda: naive_exact(inputs.sightings, inputs.keys))
    by_key = {inputs.keys[record]: str(cluster) for record, cluster in joined.items()}
    note = "records sharing any value joined"
    rows.append(_row("naive exact, non-IP selectors", score(by_key, truth), seconds, note))
    _log("plain Splink on person fields…")
    threshold = probability(settings.link_match_weight_threshold)
    (clusters, skipped), seconds = _timed(lambda: raw_splink_person_fields(inputs.people, threshold))
    by_key = {inputs.keys[int(uid)]: cluster for uid, cluster in clusters.items()}
    note = "; ".join([f"p ≥ {threshold:.3f}", *skipped])
    rows.append(_row("plain Splink, person fields", score(by_key, truth), seconds, note))
    _log("caseweave full run with the model…")
    predicted, seconds, note = _ours(db, settings, op_id, truth, inputs)
    rows.append(_row("caseweave (exact + model)", _score(predicted, truth), seconds, note))
    if closing:
        db.close()
    return rows


def _febrl_person(row: dict[str, Any]) -> Person:
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
    return Person(row["unique_id"], row["given_name"], row["surname"], _date(row["dob"]), address, "AU")


class Person(NamedTuple):
    ref: str
    given_name: str | None
    family_name: str | None
    born: date | None
    address: str | None
    country: str


def _store_people(session: Any, op_id: int, agency: str, name: str, people: list[Person]) -> None:
    """People as person records of one referral (a one-line seed file names it), inserted in bulk."""
    from caseweave.db.bulk import bulk_insert
    from caseweave.intake.models import PersonRecord
    from caseweave.intake.service import import_referral
    from caseweave.operations import service as ops

    # the file's own name in it: two identical seed files would be one referral (imported once)
    seed = f"platform,account_id,username\nchatapp,seed,seed_{name.replace(',', '_')}\n"
    outcome = import_referral(session, Actor.cli(), op_id, io.BytesIO(seed.encode()), name, agency=agency)
    agency_id = ops.agency_by_code(session, agency).id
    rows = [
        {
            "operation_id": op_id,
            "owner_agency_id": agency_id,
            "tlp": "AMBER",
            "referral_id": outcome.referral.id,
            "ref": person.ref,
            "location": f"{name}:line {n + 2}",
            "full_name": None,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": person.born,
            "address": person.address or None,
            "country": person.country,
            "role": "suspect",
        }
        for n, person in enumerate(people)
    ]
    bulk_insert(session, PersonRecord.metadata.tables[PersonRecord.__tablename__], rows)


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
    parser.add_argument(
        "--dataset", choices=["synthetic", "febrl3", "febrl4", "pseudopeople"], default="synthetic"
    )
    parser.add_argument("--pseudopeople-csv", type=Path, default=Path("/tmp/pseudopeople.csv"))
    parser.add_argument("--subjects", type=int, default=700)
    parser.add_argument("--febrl-dir", type=Path, default=DEFAULT_FEBRL_DIR)
    parser.add_argument("--seed", type=int, default=1, help="the synthetic operation's seed")
    parser.add_argument(
        "--train-seed", type=int, default=2, help="the seed of the operation the model is trained on"
    )
    parser.add_argument(
        "--threshold", type=float, help="match weight threshold (default: the setting's), to choose it"
    )
    args = parser.parse_args()
    SEED[:] = [args.seed, args.train_seed]
    if args.threshold is not None:
        OVERRIDES["link_match_weight_threshold"] = args.threshold
    with tempfile.TemporaryDirectory() as tmp:
        if args.dataset == "synthetic":
            title, rows = synthetic(args.subjects, Path(tmp))
        elif args.dataset == "pseudopeople":
            title, rows = pseudopeople(args.pseudopeople_csv, Path(tmp))
        else:
            title, rows = febrl(args.dataset, args.febrl_dir, Path(tmp))
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
