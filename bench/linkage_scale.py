"""Linkage at scale: a million person records end to end beside raw Splink, then 10k new ones.

    .venv/bin/python bench/linkage_scale.py --records 1000000 --new 10000
    .venv/bin/python bench/linkage_scale.py --records 100000 --new 1000 --keep /tmp/scale-100k
    # then, to time the new records' run again: copy linked.db to scale.db and linked.db.linkage-cache
    # to scale.db.linkage-cache, then
    # .venv/bin/python bench/linkage_scale.py --child new --state /tmp/scale-100k/state.json --out new.json

`bench/_scale_data.py` invents the records (people with typos in their names, dates of birth,
countries and a few selector sightings each, ground truth known) and stores them with
`caseweave.db.bulk.bulk_insert` into a temporary SQLite database, under one referral per 5,000
records. Each measured part then runs in its own process, so peak RSS is its own:

  raw        Splink 5 on DuckDB by hand, as its documentation shows: person records and sightings
             read from the same SQLite file with sqlite3, arrays of selector values built in DuckDB,
             the same fields (names, date of birth, country, e-mails, accounts, handles, phones, IP
             addresses) compared with Splink's standard comparisons, caseweave's blocking rules on
             names, dates of birth and shared values (not its address rules: no address here),
             trained the way caseweave trains (prior at recall 0.6, u from 10⁶ random pairs, EM
             blocked on dob, full name, first e-mail, first handle), predicted and clustered with
             `cluster_pairwise_predictions_at_threshold` at caseweave's threshold;
  full       `link_operation(full=True, use_model=True)`: exact correlation, the feature cache
             and the trained model, clustering with stable ids, alerts; with the time of each part;
  floor      the rows the full run stored, written again with bare sqlite3 into empty tables
             (bench/_storage_floor.py): the least storing them can take, which raw Splink skips;
  new        the last `--new` records are stored as one more referral (not timed), then the run an
             import makes is timed: `link_operation(seeds=their ids)` with the stored model.

Both sides are scored against the truth with `caseweave.linkage.evaluation.score`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from the repository root: bench/ imports
    sys.path.insert(0, str(ROOT))

from bench._scale_data import Population, Stored, create, insert, truth  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    with open("/proc/loadavg") as stream:
        return " ".join(stream.read().split()[:3])


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _scores(predicted: dict[Any, Any], population: Population, indexes: range) -> dict[str, float]:
    from caseweave.linkage.evaluation import score

    result = score(predicted, truth(population, indexes))
    return {
        "pair_p": result.pair_precision,
        "pair_r": result.pair_recall,
        "pair_f1": result.pair_f1,
        "cluster_p": result.cluster_precision,
        "cluster_r": result.cluster_recall,
        "cluster_f1": result.cluster_f1,
        "true_pairs": result.pairs_true,
        "records": result.records,
    }


# --- raw Splink ----------------------------------------------------------------------------------


RAW_FEATURES = """
CREATE TABLE raw_records AS
WITH s AS (
    SELECT pid,
        list(DISTINCT value ORDER BY value) FILTER (WHERE kind = 'email') AS emails,
        list(DISTINCT value ORDER BY value) FILTER (WHERE kind = 'username') AS usernames,
        list(DISTINCT lower(split_part(value, ':', 2)) ORDER BY lower(split_part(value, ':', 2)))
            FILTER (WHERE kind = 'username') AS handles,
        list(DISTINCT value ORDER BY value) FILTER (WHERE kind = 'phone') AS phones,
        list(DISTINCT value ORDER BY value) FILTER (WHERE kind = 'ip') AS ips
    FROM sightings GROUP BY pid
), p AS (
    SELECT id,
        lower(strip_accents(coalesce(given_name, nullif(split_part(full_name, ' ', 1), '')))) AS given_name,
        lower(strip_accents(coalesce(family_name,
            nullif(trim(substr(full_name, length(split_part(full_name, ' ', 1)) + 1)), '')))) AS family_name,
        dob, upper(country) AS country
    FROM persons
)
SELECT p.id AS unique_id, p.given_name, p.family_name, p.dob, p.country,
    s.emails, s.usernames, s.handles, s.phones, s.ips,
    list_min(s.emails) AS first_email, list_min(s.handles) AS first_handle,
    nullif(list_concat(
        coalesce(list_transform(s.emails, lambda x: 'e:' || x), []),
        coalesce(list_transform(s.usernames, lambda x: 'u:' || x), []),
        coalesce(list_transform(s.handles, lambda x: 'h:' || x), []),
        coalesce(list_transform(s.phones, lambda x: 'p:' || x), []),
        coalesce(list_transform(s.ips, lambda x: 'i:' || x), [])
    ), []) AS block_tokens
FROM p LEFT JOIN s ON s.pid = p.id
"""


def run_raw(path: Path, operation_id: int, threshold: float) -> dict[str, Any]:
    """Raw Splink from the SQLite file to clusters; unique_id → cluster and the seconds of each step."""
    import logging

    import duckdb
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.blocking_rule_library import CustomRule

    steps: dict[str, float] = {}
    started = time.perf_counter()
    source = sqlite3.connect(path)
    persons = source.execute(
        "SELECT id, full_name, given_name, family_name, date_of_birth, country FROM person_records "
        "WHERE operation_id = ?",
        (operation_id,),
    ).fetchall()
    names = ("id", "full_name", "given_name", "family_name", "dob", "country")
    persons_table = pa.table(dict(zip(names, map(list, zip(*persons, strict=True)), strict=True)))
    del persons
    sightings = source.execute(
        "SELECT person_record_id, selector_type, value FROM sightings WHERE operation_id = ? "
        "AND selector_type IN ('email', 'username', 'phone', 'ip') AND person_record_id IS NOT NULL",
        (operation_id,),
    ).fetchall()
    sightings_table = pa.table(
        dict(zip(("pid", "kind", "value"), map(list, zip(*sightings, strict=True)), strict=True))
    )
    del sightings
    source.close()
    steps["read"] = time.perf_counter() - started
    con = duckdb.connect()
    con.register("persons", persons_table)
    con.register("sightings", sightings_table)
    con.execute(RAW_FEATURES)
    con.unregister("persons")
    con.unregister("sightings")
    del persons_table, sightings_table
    steps["features"] = time.perf_counter() - started - steps["read"]
    db_api = DuckDBAPI(connection=con)
    records = db_api.register("raw_records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("country").configure(term_frequency_adjustments=True),
            cl.ArrayIntersectAtSizes("emails", [1]),
            cl.ArrayIntersectAtSizes("usernames", [1]),
            cl.ArrayIntersectAtSizes("handles", [1]),
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.ArrayIntersectAtSizes("ips", [2, 1]),
        ],
        blocking_rules_to_generate_predictions=[  # caseweave's prediction blocking
            block_on("given_name", "family_name"),
            block_on("family_name", "dob"),
            block_on("given_name", "dob"),
            CustomRule("l.given_name = r.family_name AND l.family_name = r.given_name"),
            block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)", "right(given_name, 2)"),
            block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)", "right(family_name, 2)"),
            block_on("dob", "substr(given_name, 1, 1)"),
            block_on("block_tokens", arrays_to_explode=["block_tokens"]),
        ],
    )
    linker = Linker(records, settings, log_level=logging.ERROR)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "dob"), block_on("handles", arrays_to_explode=["handles"])],
        recall=0.6,
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    skipped = []
    for rule in (block_on("dob"), block_on("given_name", "family_name"), block_on("first_email"),
                 block_on("first_handle")):  # fmt: skip
        before = linker._settings_obj.core_model_settings.copy()  # type: ignore[no-untyped-call]
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except Exception as error:  # as caseweave does: a refused session is skipped, the model kept
            linker._settings_obj.core_model_settings = before
            skipped.append(str(error)[:80])
    steps["train"] = time.perf_counter() - started - sum(steps.values())
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    steps["predict"] = time.perf_counter() - started - sum(steps.values())
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    result = {
        str(row[0]): row[1]
        for row in clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    }
    steps["cluster"] = time.perf_counter() - started - sum(steps.values())
    pairs = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
    con.close()
    return {
        "seconds": time.perf_counter() - started,
        "steps": steps,
        "clusters": result,
        "pairs": pairs,
        "skipped": skipped,
    }


# --- caseweave -------------------------------------------------------------------------------------


PHASES: dict[str, tuple[str, ...]] = {
    "caseweave.linkage.service": ("correlate", "store_links", "scope_of", "recluster", "refresh_alerts"),
    "caseweave.linkage.probabilistic": ("store_links", "_linker"),
    # probabilistic imports these when it calls them: they are wrapped where they are defined
    "caseweave.linkage.feature_cache": ("start_features", "FeatureWork.finish"),
    "caseweave.linkage.splink_engine": ("train", "predict", "_read"),
}


def _time_phases() -> tuple[dict[str, float], list[str]]:
    """Wrap the functions a run calls so it reports where its time went (cProfile would slow the
    ORM-heavy steps several-fold), and what the feature cache did. A name a module no longer has
    is skipped."""
    import importlib

    spent: dict[str, float] = {}
    notes: list[str] = []

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
                _log(f"    {name}: {spent[name]:.1f} s (peak RSS {_rss_mb():,.0f} MB, load {_load()})")
            if hasattr(result, "how"):
                notes.append(f"features {result.how}")
            return result

        return wrapper

    for module_name, names in PHASES.items():
        module = importlib.import_module(module_name)
        short = module_name.rsplit(".", 1)[1]
        for name in names:
            owner: Any = module
            *path, attribute = name.split(".")  # "Class.method" wraps a method
            for part in path:
                owner = getattr(owner, part, None)
            if hasattr(owner, attribute):
                setattr(owner, attribute, timed(f"{short}.{name}", getattr(owner, attribute)))
    return spent, notes


def run_caseweave(path: Path, operation_id: int, seeds: list[int] | None) -> dict[str, Any]:
    from caseweave.actor import Actor
    from caseweave.config import Settings
    from caseweave.db.runtime import Database
    from caseweave.linkage.export import predicted_subjects
    from caseweave.linkage.service import link_operation

    spent, notes = _time_phases()
    settings = Settings(database_url=f"sqlite:///{path}")
    db = Database.open(settings)
    started = time.perf_counter()
    with db.transaction() as session:
        summary = link_operation(
            session, Actor.cli(), settings, operation_id, full=seeds is None, use_model=True, seeds=seeds
        )
    seconds = time.perf_counter() - started
    with db.transaction() as session:
        predicted = predicted_subjects(session, Actor.cli(), operation_id)
    db.close()
    return {
        "seconds": seconds,
        "steps": dict(spent),
        "predicted": predicted,
        "selector_links": summary.selector_links,
        "probabilistic_links": summary.probabilistic_links,
        "subjects": summary.subjects,
        "alerts_new": summary.alerts_new,
        "note": "; ".join([*notes, summary.model_note or ""]),
    }


# --- processes -------------------------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    state = json.loads(args.state.read_text())
    population = Population(state["records"], state["new"], seed=state["seed"])
    path, op_id = Path(state["path"]), int(state["operation_id"])
    load_before = _load()
    result: dict[str, Any]
    if args.child == "raw":
        from bench._scale_data import file_name, ref
        from caseweave.linkage.baselines import probability

        threshold = probability(state["threshold"])
        raw = run_raw(path, op_id, threshold)
        first = int(state["first_id"])
        predicted = {
            (file_name(population.referral_of(int(uid) - first)), ref(int(uid) - first)): cluster
            for uid, cluster in raw.pop("clusters").items()
            if int(uid) >= first  # the referrals' own one-line returns are not scored
        }
        result = {**raw, "scores": _scores(predicted, population, range(population.records))}
    elif args.child == "floor":
        from bench._storage_floor import storage_floor

        result = {"tables": storage_floor(path)}
    elif args.child == "full":
        ours = run_caseweave(path, op_id, None)
        predicted = ours.pop("predicted")
        result = {**ours, "scores": _scores(predicted, population, range(population.records))}
    else:
        stored = Stored(
            op_id,
            int(state["first_id"]),
            state["referral_ids"],
            {int(k): v for k, v in state["agency_ids"].items()},
        )
        new = range(population.records, population.total)
        inserted = insert(f"sqlite:///{path}", population, stored, new, fast=False)
        seeds = [stored.first_id + index for index in new]
        ours = run_caseweave(path, op_id, seeds)
        predicted = ours.pop("predicted")
        result = {
            **ours,
            "insert_s": inserted,
            "scores": _scores(predicted, population, range(population.total)),
        }
    result["peak_rss_mb"] = _rss_mb()
    result["load"] = f"{load_before} → {_load()}"
    args.out.write_text(json.dumps(result))


def _spawn(phase: str, state: Path, workdir: Path) -> dict[str, Any]:
    out = workdir / f"{phase}.json"
    command = [sys.executable, __file__, "--child", phase, "--state", str(state), "--out", str(out)]
    subprocess.run(command, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _figures(scores: dict[str, float]) -> str:
    return " ".join(
        f"{scores[k]:.3f}" for k in ("pair_p", "pair_r", "pair_f1", "cluster_p", "cluster_r", "cluster_f1")
    )


def _steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in steps.items())


def bench(args: argparse.Namespace, workdir: Path) -> None:
    from caseweave.config import Settings

    population = Population(args.records, args.new, seed=args.seed)
    path = workdir / "scale.db"
    url = f"sqlite:///{path}"
    for stale in workdir.glob("*.db*"):  # a kept folder of an earlier run
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    _log(f"storing {args.records:,} person records ({population.subjects:,} subjects, load {_load()})…")
    stored = create(url, population)
    loaded = insert(url, population, stored, range(population.records), fast=True)
    _log(f"  stored in {loaded:.0f} s: {stored.sightings:,} sightings")
    base = workdir / "base.db"
    shutil.copy(path, base)  # the raw side reads the same records, before caseweave writes
    state = workdir / "state.json"
    state.write_text(
        json.dumps(
            {
                "records": args.records,
                "new": args.new,
                "seed": args.seed,
                "path": str(base),
                "operation_id": stored.operation_id,
                "first_id": stored.first_id,
                "referral_ids": stored.referral_ids,
                "agency_ids": stored.agency_ids,
                "threshold": Settings().link_match_weight_threshold,
            }
        )
    )
    raw: dict[str, Any] | None = None
    if not args.skip_raw:
        _log(f"raw Splink… (load {_load()})")
        raw = _spawn("raw", state, workdir)
        _log(f"  raw Splink {raw['seconds']:.1f} s: {_steps(raw['steps'])}; {_figures(raw['scores'])}")
    fields = json.loads(state.read_text())
    fields["path"] = str(path)
    state.write_text(json.dumps(fields))
    _log(f"caseweave full run… (load {_load()})")
    full = _spawn("full", state, workdir)
    _log(f"  caseweave {full['seconds']:.1f} s; {_figures(full['scores'])}; {full['note']}")
    floor = _spawn("floor", state, workdir)["tables"]
    _log(f"  storage floor {floor['total']['seconds']:.1f} s")
    new: dict[str, Any] | None = None
    if args.keep:  # the linked records before the new ones: `--child new` can be repeated on a copy
        shutil.copy(path, workdir / "linked.db")
        cache = path.with_name(path.name + ".linkage-cache")
        shutil.rmtree(workdir / "linked.db.linkage-cache", ignore_errors=True)
        shutil.copytree(cache, workdir / "linked.db.linkage-cache")
    if args.new:
        _log(f"{args.new:,} new records, one referral… (load {_load()})")
        new = _spawn("new", state, workdir)
    print(f"linkage at scale: {args.records:,} person records, {stored.sightings:,} sightings, "
          f"{population.subjects:,} subjects (seed {args.seed})")  # fmt: skip
    header = " ".join(f"{name:>6s}" for name in ("pair P", "pair R", "pairF1", "clu P", "clu R", "cluF1"))
    print(f"{'run':28s} {header} {'seconds':>8s} {'peak RSS':>9s}  load (1/5/15 min, before → after)")
    rows = [("raw Splink (DuckDB)", raw), ("caseweave full run", full), (f"caseweave +{args.new:,} new", new)]
    for name, result in rows:
        if result is not None:
            print(f"{name:28s} {_figures(result['scores']).replace(' ', '  ')} {result['seconds']:8.1f} "
                  f"{result['peak_rss_mb']:7,.0f} MB  {result['load']}")  # fmt: skip
    written = ", ".join(
        f"{t} {f['rows']:,.0f} in {f['seconds']:.1f} s" for t, f in floor.items() if t != "total"
    )
    print(f"storage floor (bare sqlite3, the full run's rows): {floor['total']['seconds']:.1f} s: {written}")
    if raw is not None:
        least = raw["seconds"] + floor["total"]["seconds"]
        print(f"caseweave / raw Splink: {full['seconds'] / raw['seconds']:.2f}×; raw Splink + storage floor: "
              f"{least:.1f} s = {least / raw['seconds']:.2f}× raw Splink")  # fmt: skip
        print(f"  raw: {_steps(raw['steps'])}; {raw['pairs']:,} pairs ≥ threshold")
    print(f"  caseweave: {_steps(full['steps'])}")
    print(f"  caseweave: {full['selector_links']:,} selector + {full['probabilistic_links']:,} model links, "
          f"{full['subjects']:,} subjects, {full['alerts_new']:,} alerts; {full['note']}")  # fmt: skip
    if new is not None:
        print(f"  new records: stored in {new['insert_s']:.1f} s (not timed); run {new['seconds']:.2f} s: "
              f"{_steps(new['steps'])}; {new['probabilistic_links']:,} model links; "
              f"{new['note']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (databases, results)")
    parser.add_argument("--child", choices=["raw", "full", "floor", "new"], help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        bench(args, args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="cw-scale-") as tmp:
        bench(args, Path(tmp))


if __name__ == "__main__":
    main()
