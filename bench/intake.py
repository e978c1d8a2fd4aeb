"""Intake benchmark: a large platform return imported by caseweave beside a bare sqlite3 load.

    .venv/bin/python bench/intake.py --lines 1000000

Each side runs in its own process so peak RSS is its own. The raw side reads the same CSV with
the csv module and inserts every row into one SQLite table in one transaction: the floor for
any importer on this engine. caseweave also normalises selectors, keeps the raw file, links
sightings to accounts and writes the audit entry.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HEADER = (
    "platform,account_id,username,display_name,email,phone,registration_ip,registration_time,"
    "login_ip,login_port,login_time"
)


def generate(path: Path, lines: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    accounts = max(1, lines // 20)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for n in range(lines):
            account = rng.randrange(accounts)
            ip = f"{rng.randrange(11, 220)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            when = (
                f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z"
            )
            port = rng.randrange(1024, 65535)
            out.write(f"chatapp,{account},user{account},,user{account}@example.com,,,,{ip},{port},{when}\n")
            if n % 100000 == 0:
                out.flush()


def run_raw(path: Path, workdir: Path) -> dict[str, float]:
    start = time.perf_counter()
    connection = sqlite3.connect(workdir / "raw.db")
    connection.execute(f"CREATE TABLE rows ({HEADER})")
    with path.open(newline="") as source, connection:
        reader = csv.reader(source)
        next(reader)
        connection.executemany(f"INSERT INTO rows VALUES ({','.join('?' * 11)})", reader)
    rows = connection.execute("SELECT count(*) FROM rows").fetchone()[0]
    connection.close()
    return {"seconds": time.perf_counter() - start, "rows": rows}


def run_ours(path: Path, workdir: Path) -> dict[str, float]:
    from caseweave.actor import Actor
    from caseweave.config import Settings
    from caseweave.db.runtime import Database
    from caseweave.intake.service import import_referral
    from caseweave.operations import service as ops

    db = Database.open(Settings(database_url=f"sqlite:///{workdir / 'ours.db'}"))
    operator = Actor.cli()
    with db.transaction() as session:
        ops.add_agency(
            session, operator, code="GB-X", name="GB", country="GB", kind="police", contact_point="d@x"
        )
        op = ops.create_operation(
            session, operator, name="Bench", lead_agency="GB-X", start_date=date.today() - timedelta(days=400)
        )
    start = time.perf_counter()
    with db.transaction() as session, path.open("rb") as stream:
        outcome = import_referral(session, operator, op.id, stream, path.name, agency="GB-X")
    seconds = time.perf_counter() - start
    db.close()
    return {"seconds": seconds, "rows": outcome.counts["sightings"]}


def child(side: str, path: Path, workdir: Path) -> None:
    result = (run_raw if side == "raw" else run_ours)(path, workdir)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["raw", "ours"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.workdir)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "platform_bench.csv"
        generate(path, args.lines)
        results = {}
        for side in ("raw", "ours"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", side, "--file", str(path), "--workdir", str(workdir)],
                check=True,
                capture_output=True,
                text=True,
            )
            results[side] = json.loads(out.stdout.strip().splitlines()[-1])
    raw, ours = results["raw"], results["ours"]
    print(f"lines: {args.lines:,}  file: platform return CSV")
    for name, result in (("raw sqlite3 executemany", raw), ("caseweave import", ours)):
        print(
            f"{name:26s} {result['seconds']:8.1f} s  {result['rows'] / result['seconds']:10,.0f} rows/s  "
            f"peak RSS {result['peak_rss_mb']:6.0f} MB  ({result['rows']:,} rows)"
        )
    print(f"ratio caseweave/raw time: {ours['seconds'] / raw['seconds']:.2f}x")


if __name__ == "__main__":
    main()
