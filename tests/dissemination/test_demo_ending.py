"""The demo's ending on a small operation: attribution, packages, the per-country table, three files."""

from __future__ import annotations

from pathlib import Path

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.demo.dissemination import CountryRow, finish_demo
from caseweave.operations.models import Operation
from tests.dissemination.scenario import build


def test_finish_demo_counts_per_country_and_writes_one_package_of_each_kind(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    scene = build(db, settings)
    for run in (1, 2):  # a second `make demo` sends nothing new and writes the same files
        with db.transaction() as session:
            operation = session.get_one(Operation, scene.op)
            result = finish_demo(session, Actor.cli(), settings, operation, tmp_path / "packages")
        assert [
            (r.country, r.agencies, r.routed, r.queued, r.packages_sent, r.urgent) for r in result.rows
        ] == [
            ("CA Canada", "PARTNER", 3, 0, 1, 2),
            ("GB United Kingdom", "LEAD", 1, 0, 1, 0),
            ("IE Ireland", "LATE", 1, 0, 1, 0),
            ("— no country", "—", 0, 1, 0, 0),  # the child's own record: nothing points to a country
        ]
        assert all(isinstance(r, CountryRow) for r in result.rows)
        assert result.queue == {"unallocated": 1}
        outcomes = {r.outcome for r in result.dissemination.results}
        assert outcomes == ({"new"} if run == 1 else {"unchanged"})
        assert result.sample == "PKG-1-PARTNER-V1" and result.folder == (tmp_path / "packages").resolve()
        assert [p.name for p in result.files] == [
            f"PKG-1-PARTNER-V1.{fmt}" for fmt in ("json", "html", "pdf")
        ]
        assert result.files[2].read_bytes().startswith(b"%PDF-")
