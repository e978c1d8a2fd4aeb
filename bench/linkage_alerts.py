"""Linkage benchmark: one new referral's exact alerts with millions of sightings stored.

    .venv/bin/python bench/linkage_alerts.py --sightings 1000000 --engine both
    .venv/bin/python bench/linkage_alerts.py --sightings 10000000 --engine sqlite

An operation of five agencies is built through the services; N sightings (ten per person record:
an e-mail, a username on a platform, a phone and seven logins from three shared dynamic IP
addresses; a few people sent by two agencies) are loaded into the real tables with
`caseweave.db.bulk.bulk_insert` under referrals imported through `import_referral`; one full
`link_operation` makes the subjects. Then, R times, a new platform return of 20 accounts arrives
from another agency, some accounts sharing a stored person's e-mail, handle or two addresses inside
the stored windows; only `link_after_import` (exact correlation, re-clustering of the touched
subjects, alerts) is timed, in the import's own transaction as the CLI runs it.

The raw side answers the same question with the bare driver: for the new referral's
(selector_type, value) pairs, one indexed SELECT of the matching stored sightings, on sqlite3 or
psycopg. Each phase runs in its own process (load, raw, ours), so peak RSS is its own. For
PostgreSQL a throwaway cluster is started the way the tests start theirs, and stopped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from the repository root: bench/ and tests/ import
    sys.path.insert(0, str(ROOT))

from bench._support import AGENCIES, World, load, new_referral  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]  # nearest rank


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values),
        "p95": _percentile(values, 0.95),
        "max": max(values),
        "min": min(values),
    }


# --- the rounds: new referrals, ours and raw ------------------------------------------------------


def pairs_of(csv_text: str) -> list[tuple[str, str]]:
    """The referral's normalised (selector_type, value) pairs, as the import stores them."""
    import csv

    from caseweave.selectors import normalise

    pairs: set[tuple[str, str]] = set()
    for row in csv.DictReader(io.StringIO(csv_text)):
        platform = row["platform"]
        for column, kind in (("username", "username"), ("email", "email"), ("login_ip", "ip")):
            if row[column]:
                pairs.add((kind, normalise(kind, row[column], platform=platform).value))
    return sorted(pairs)


def run_ours(
    url: str, rounds: list[dict[str, Any]], operation_id: int, profile: Path | None
) -> dict[str, Any]:
    from caseweave.actor import Actor
    from caseweave.config import Settings
    from caseweave.db.runtime import Database
    from caseweave.intake.service import import_referral
    from caseweave.linkage.on_import import link_after_import
    from caseweave.linkage.service import RunSummary

    db = Database.open(Settings(database_url=url))
    actor = Actor.cli()
    profiler = cProfile.Profile() if profile else None
    spent = _time_phases()
    results = []
    for spec in rounds:
        with db.transaction() as session:
            started = time.perf_counter()
            outcome = import_referral(
                session,
                actor,
                operation_id,
                io.BytesIO(spec["csv"].encode()),
                f"new-{spec['round']}.csv",
                agency=spec["agency"],
            )
            imported, cpu = time.perf_counter(), time.process_time()
            spent.clear()
            if profiler and spec["phase"] == "profiled":
                profiler.enable()
            linked = link_after_import(session, actor, db.settings, outcome.referral)
            if profiler:
                profiler.disable()
            done, cpu = time.perf_counter(), time.process_time() - cpu
        committed = time.perf_counter()
        if not isinstance(linked, RunSummary):
            raise SystemExit(f"round {spec['round']}: {linked}")
        results.append(
            {
                "round": spec["round"],
                "phase": spec["phase"],
                "records": outcome.counts.get("persons", 0) + outcome.counts.get("accounts", 0),
                "import_ms": (imported - started) * 1000,
                "link_ms": (done - imported) * 1000,
                "link_cpu_ms": cpu * 1000,
                "phases_ms": {name: seconds * 1000 for name, seconds in spent.items()},
                "commit_ms": (committed - done) * 1000,
                "selector_links": linked.selector_links,
                "scope": linked.scope,
                "alerts_new": linked.alerts_new,
                "alerts_updated": linked.alerts_updated,
                "events": linked.events,
            }
        )
    db.close()
    if profiler and profile:
        profiler.dump_stats(str(profile / "link.prof"))
    return {"rounds": results}


PHASES = (  # the steps of linkage.service.link_operation, timed by wrapping the names it calls
    "ensure_bundled",
    "_unlinked",
    "build_matcher",
    "correlate",
    "store_links",
    "scope_of",
    "recluster",
    "refresh_alerts",
    "_active_subjects",
)


def _time_phases() -> dict[str, float]:
    """Wrap the functions link_operation calls so each round reports where its time went (a wrapper
    costs about a microsecond; cProfile would slow the ORM-heavy steps several-fold)."""
    from collections.abc import Callable

    from caseweave.linkage import service

    spent: dict[str, float] = {}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for name in PHASES:
        setattr(service, name, timed(name, getattr(service, name)))
    return spent


def run_raw(url: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One SELECT per round on the bare driver: stored sightings of the referral's values."""
    postgres = url.startswith("postgresql")
    connection: Any
    if postgres:
        import psycopg

        connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        mark = "%s"
    else:
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        mark = "?"
    results = []
    for spec in rounds:
        by_type: dict[str, list[str]] = {}
        for kind, value in spec["pairs"]:
            by_type.setdefault(kind, []).append(value)
        where = " OR ".join(
            f"(selector_type = {mark} AND value IN ({', '.join([mark] * len(values))}))"
            for values in by_type.values()
        )
        params = [item for kind, values in by_type.items() for item in (kind, *values)]
        sql = (
            "SELECT id, person_record_id, owner_agency_id, selector_type, value, observed_from, observed_to "
            f"FROM sightings WHERE {where}"
        )
        started = time.perf_counter()
        rows = connection.execute(sql, params).fetchall()
        seconds = time.perf_counter() - started
        results.append(
            {
                "round": spec["round"],
                "phase": spec["phase"],
                "ms": seconds * 1000,
                "rows": len(rows),
                "persons": len({row[1] for row in rows if row[1] is not None}),
            }
        )
    explain = "EXPLAIN (COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
    plan = [str(row[0] if postgres else row[-1]) for row in connection.execute(explain + sql, params)]
    connection.close()
    return {"rounds": results, "plan": [line.strip() for line in plan if "Cond:" not in line]}


# --- the parent: one process per phase and engine -------------------------------------------------


def child(args: argparse.Namespace) -> None:
    state = json.loads(args.state.read_text())
    world = World(state["persons"], state["per_referral"])
    if args.child == "load":
        result = load(args.url, world, args.profile_out)
    elif args.child == "raw":
        result = run_raw(args.url, state["rounds"])
    else:
        result = run_ours(args.url, state["rounds"], state["operation_id"], args.profile_out)
    result["peak_rss_mb"] = _rss_mb()
    print(json.dumps(result))


def _spawn(phase: str, url: str, state: Path, profile: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", phase, "--url", url, "--state", str(state)]
    if profile:
        command += ["--profile-out", str(profile)]
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench_engine(engine: str, url: str, args: argparse.Namespace, workdir: Path) -> None:
    world = World(args.sightings // 10, args.per_referral)
    if world.referrals < 2:  # new referrals match people of another agency: two stored referrals at least
        raise SystemExit("--sightings must be at least 20 x --per-referral (two stored referrals)")
    rounds = []
    profiled = args.rounds if args.profile else 0
    for n in range(args.warmup + args.rounds + profiled):
        referral = new_referral(world, n)
        rounds.append(
            {
                "round": n,
                "phase": "warmup"
                if n < args.warmup
                else "measured"
                if n < args.warmup + args.rounds
                else "profiled",
                "agency": AGENCIES[referral.agency][0],
                "csv": referral.csv,
                "pairs": pairs_of(referral.csv),
            }
        )
    state_path = workdir / f"state-{engine}.json"
    state: dict[str, Any] = {"persons": world.persons, "per_referral": world.per_referral, "rounds": rounds}
    state_path.write_text(json.dumps(state))
    print(f"[{engine}] loading {world.persons * 10:,} sightings…", file=sys.stderr, flush=True)
    profile = workdir / f"profile-{engine}" if args.profile else None
    if profile:
        profile.mkdir(exist_ok=True)
    loaded = _spawn("load", url, state_path, profile)
    state["operation_id"] = loaded["operation_id"]
    state_path.write_text(json.dumps(state))
    raw = _spawn("raw", url, state_path)
    ours = _spawn("ours", url, state_path, profile)
    report(engine, loaded, raw, ours)
    if profile:
        for name, lines in (("link.prof", 45), ("full.prof", 30)):
            print(f"\n-- cProfile of {name}: profiled rounds after the measured ones / the full run")
            stats = pstats.Stats(str(profile / name), stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(lines)


def report(engine: str, loaded: dict[str, Any], raw: dict[str, Any], ours: dict[str, Any]) -> None:
    measured = [r for r in ours["rounds"] if r["phase"] == "measured"]
    raw_measured = [r for r in raw["rounds"] if r["phase"] == "measured"]
    link = _summary([r["link_ms"] for r in measured])
    bare = _summary([r["ms"] for r in raw_measured])
    print(
        f"\n== {engine}: {loaded['sightings']:,} sightings stored, {loaded['persons']:,} person records, "
        f"{loaded['referrals']} referrals, 5 agencies"
    )
    print(
        f"load {loaded['load_s']:.0f} s (bulk insert {loaded['insert_s']:.0f} s, "
        f"indexes {loaded['index_s']:.0f} s), peak RSS {loaded['peak_rss_mb']:.0f} MB"
    )
    print(
        f"full link_operation: {loaded['full_run_s']:.1f} s"
        f"{' (under cProfile)' if loaded['full_profiled'] else ''}, {loaded['full_subjects']:,} subjects, "
        f"{loaded['full_selector_links']:,} selector links, {loaded['full_alerts']:,} alerts, "
        f"{loaded['full_over_correlating']} over-correlating values"
    )
    for warm in (r for r in ours["rounds"] if r["phase"] == "warmup"):
        print(f"warm-up round: link {warm['link_ms']:.1f} ms (not counted)")
    alerts = sum(r["alerts_new"] for r in measured)
    print(
        f"{len(measured)} new referrals of {measured[0]['records']} accounts: alerts created "
        f"{alerts} ({', '.join(str(r['alerts_new']) for r in measured)}), "
        f"selector links {sum(r['selector_links'] for r in measured)}, "
        f"import p50 {statistics.median(r['import_ms'] for r in measured):.0f} ms (not counted)"
    )
    print("link ms by round: " + ", ".join(f"{r['link_ms']:.0f}" for r in measured))
    phases = {name: statistics.median(r["phases_ms"].get(name, 0.0) for r in measured) for name in PHASES}
    other = statistics.median(r["link_ms"] - sum(r["phases_ms"].values()) for r in measured)
    print(
        "link step, median ms by phase: "
        + ", ".join(f"{name.strip('_')} {ms:.1f}" for name, ms in phases.items())
        + f", rest (run row, savepoint, audit) {other:.1f}; "
        f"process CPU p50 {statistics.median(r['link_cpu_ms'] for r in measured):.0f} ms"
    )
    print(
        f"{'caseweave link_after_import':32s} p50 {link['p50']:7.1f} ms  p95 {link['p95']:7.1f} ms  "
        f"max {link['max']:7.1f} ms  peak RSS {ours['peak_rss_mb']:.0f} MB"
    )
    rows = statistics.median(r["rows"] for r in raw_measured)
    print(
        f"{'raw indexed SELECT':32s} p50 {bare['p50']:7.2f} ms  p95 {bare['p95']:7.2f} ms  "
        f"max {bare['max']:7.2f} ms  ({rows:.0f} matching stored sightings per referral, median)"
    )
    print(f"ratio caseweave/raw: p50 {link['p50'] / bare['p50']:.0f}x, p95 {link['p95'] / bare['p95']:.0f}x")
    print("raw plan: " + " | ".join(raw["plan"]))
    print(f"goal p95 <= 100 ms: {'met' if link['p95'] <= 100 else 'NOT met'}", flush=True)


def _postgres_url(cluster: Any) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE bench"))
    admin.dispose()
    return str(cluster.url("bench"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sightings", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20, help="new referrals measured")
    parser.add_argument("--warmup", type=int, default=1, help="new referrals linked first, not counted")
    parser.add_argument("--per-referral", type=int, default=10_000, help="person records per stored referral")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the full run and as many extra linkage steps after the measured ones (not counted)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the databases here (default: a temp dir)")
    parser.add_argument("--child", choices=["load", "raw", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for engine in engines:
            if engine == "sqlite":
                path = workdir / "bench.db"
                for leftover in workdir.glob("bench.db*"):
                    leftover.unlink()
                bench_engine(engine, f"sqlite:///{path}", args, workdir)
                continue
            from tests.support.postgres import start_cluster

            cluster = start_cluster()
            try:
                bench_engine(engine, _postgres_url(cluster), args, workdir)
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
