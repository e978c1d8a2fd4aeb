"""The least time storing a linkage run's results can take: the rows a full run left in its SQLite
file (links, subjects, their members and events, alerts), written again with nothing but sqlite3's
`executemany` into empty tables of the same schema and indexes, foreign keys off, one commit.

Raw Splink stores nothing; caseweave must keep what it found. This floor, beside raw Splink's own
time, is the least any implementation of the issue's full run can take on this machine.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

TABLES = ("links", "subjects", "subject_members", "subject_events", "alerts")


def storage_floor(path: Path) -> dict[str, dict[str, float]]:
    """table -> {"rows": n, "seconds": s}, and "total"; read untimed, written timed."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="storage-floor-") as folder:
        target = sqlite3.connect(Path(folder) / "floor.db")
        target.execute("PRAGMA journal_mode=WAL")  # as caseweave's engine
        for table in TABLES:
            schema = source.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC",
                (table,),
            ).fetchall()  # the table first ("table" > "index"), then its indexes
            for (statement,) in schema:
                target.execute(statement)
        target.commit()
        total = 0.0
        for table in TABLES:
            rows = source.execute(f"SELECT * FROM {table}").fetchall()
            marks = ", ".join("?" for _ in range(len(rows[0]))) if rows else ""
            started = time.perf_counter()
            if rows:
                target.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            target.commit()
            seconds = time.perf_counter() - started
            figures[table] = {"rows": len(rows), "seconds": seconds}
            total += seconds
            del rows
        target.close()
    source.close()
    figures["total"] = {"rows": sum(f["rows"] for f in figures.values()), "seconds": total}
    return figures
