"""What need-to-know costs on list endpoints: today's services beside the code before issue 17.

    .venv/bin/python bench/access_cost.py --persons 20000 --engine both
    .venv/bin/python bench/access_cost.py --persons 20000 --engine sqlite --old-rev 2946adf

An operation of five agencies is loaded with N person records (ten sightings each, bench/_support.py),
linked once and attributed, all GREEN so that every reader sees every row: both sides then return
the same rows and the difference is the checks alone. A coordinator of the lead agency lists the
operation's subjects, referrals, routes (the coordinator's queue), alerts and victims R times, each
in its own transaction, rolled back. "old" runs the same service functions from a checkout of
`--old-rev` (the code before scoped administration and derived-data checks: `git worktree`), "new"
from this tree, each in its own process against the same database, in --pairs alternating runs
(each side's best median). The goal: new ≤ 1.10 × old.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

from bench._support import AGENCIES, World, load  # noqa: E402

OLD_REV = "2946adf"  # the last landing before issue 17
COORDINATOR = "coord.bench"
ENDPOINTS = ("subjects", "referrals", "routes", "alerts", "victims")


def _prepare(url: str, persons: int) -> int:
    """Load, link, label everything GREEN, attribute, add the coordinator; the operation id."""
    from sqlalchemy import text

    from caseweave.actor import Actor
    from caseweave.attribution.service import attribute_subjects
    from caseweave.auth import service as auth
    from caseweave.config import Settings
    from caseweave.db.runtime import Database

    loaded = load(url, World(persons=persons, per_referral=50))
    op_id = int(loaded["operation_id"])
    settings = Settings(database_url=url)
    db = Database.open(settings)
    try:
        with db.transaction() as session:
            for table in ("referrals", "person_records", "sightings", "alerts"):
                session.execute(text(f"UPDATE {table} SET tlp = 'GREEN'"))
        with db.transaction() as session:
            attribute_subjects(session, Actor.cli(), settings, op_id)
        with db.transaction() as session:
            auth.add_user(
                session,
                Actor.cli(),
                settings,
                username=COORDINATOR,
                agency=AGENCIES[0][0],
                roles=["coordinator"],
                password="bench-only passphrase 7",
            )
    finally:
        db.close()
    return op_id


def child(url: str, op_id: int, rounds: int) -> None:
    """Time each list endpoint's service function as the coordinator (run under either checkout)."""
    from sqlalchemy import text

    from caseweave.actor import Actor
    from caseweave.attribution import queue
    from caseweave.auth.models import User
    from caseweave.config import Settings
    from caseweave.db.runtime import Database
    from caseweave.intake import service as intake
    from caseweave.linkage import alert_workflow
    from caseweave.linkage.explain import list_subjects
    from caseweave.victims import service as victims

    calls: dict[str, Any] = {
        "subjects": lambda s, a: list_subjects(s, a, op_id),
        "referrals": lambda s, a: intake.list_referrals(s, a, op_id),
        "routes": lambda s, a: queue.list_routes(s, a, op_id),
        "alerts": lambda s, a: alert_workflow.list_alerts(s, a, op_id),
        "victims": lambda s, a: victims.list_victims(s, a, op_id),
    }
    db = Database.open(Settings(database_url=url, auto_upgrade=False))
    # The user as plain values: the two checkouts' User models differ in columns (login hardening).
    with db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT id, agency_id FROM users WHERE username = :name"), {"name": COORDINATOR}
        ).one()
    actor = Actor.for_user(
        User(id=row.id, username=COORDINATOR, agency_id=row.agency_id, roles=["coordinator"])
    )
    timings: dict[str, list[float]] = {name: [] for name in calls}
    rows: dict[str, int] = {}
    for round_ in range(rounds + 1):  # the first round warms caches and is not counted
        for name, call in calls.items():
            session = db.sessions()
            try:
                started = time.perf_counter()
                found = call(session, actor)
                elapsed = time.perf_counter() - started
            finally:
                session.rollback()
                session.close()
            rows[name] = len(found)
            if round_:
                timings[name].append(elapsed)
    db.close()
    print(
        json.dumps({name: {"p50": statistics.median(t), "rows": rows[name]} for name, t in timings.items()})
    )


def _run_child(src: Path, url: str, op_id: int, rounds: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    script = Path(__file__).resolve()
    command = [
        sys.executable,
        str(script),
        "--child",
        "--url",
        url,
        "--op",
        str(op_id),
        "--rounds",
        str(rounds),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=str(ROOT), check=False)
    if done.returncode != 0:
        raise SystemExit(f"child under {src} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_engine(engine: str, url: str, args: argparse.Namespace, old_src: Path) -> None:
    print(f"{engine}: loading {args.persons:,} persons ({args.persons * 10:,} sightings)…", flush=True)
    op_id = _prepare(url, args.persons)
    # old, new, old, new: each side's best median, so neither pays for running first or for a
    # neighbour's burst of load (this machine is shared)
    runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    for _ in range(args.pairs):
        runs["old"].append(_run_child(old_src, url, op_id, args.rounds))
        runs["new"].append(_run_child(ROOT / "src", url, op_id, args.rounds))
    old, new = (
        {name: min((run[name] for run in runs[side]), key=lambda r: r["p50"]) for name in ENDPOINTS}
        for side in ("old", "new")
    )
    print(f"{engine}: {'endpoint':10} {'rows':>7} {'old ms':>9} {'new ms':>9} {'new/old':>8}")
    for name in ENDPOINTS:
        ratio = new[name]["p50"] / old[name]["p50"]
        print(
            f"{engine}: {name:10} {new[name]['rows']:>7,} {old[name]['p50'] * 1000:>9.1f} "
            f"{new[name]['p50'] * 1000:>9.1f} {ratio:>7.2f}x"
            + ("" if new[name]["rows"] == old[name]["rows"] else f"  (old listed {old[name]['rows']:,})")
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--pairs", type=int, default=2, help="old/new runs, alternating")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--old-rev", default=OLD_REV, help="the commit to compare with")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--op", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.op, args.rounds)
        return
    workdir = Path(tempfile.mkdtemp(prefix="cw-access-cost-"))
    old_tree = workdir / "old"
    subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), args.old_rev], cwd=ROOT, check=True)
    try:
        if args.engine in ("sqlite", "both"):
            bench_engine("sqlite", f"sqlite:///{workdir / 'bench.db'}", args, old_tree / "src")
        if args.engine in ("postgresql", "both"):
            from tests.support.postgres import start_cluster

            cluster = start_cluster()
            try:
                bench_engine("postgresql", cluster.url("postgres"), args, old_tree / "src")
            finally:
                cluster.stop()
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
