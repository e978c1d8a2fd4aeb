"""An analyst fixes quarantined records from the shell: list, export, fix, import --amends."""

from __future__ import annotations

import re
from pathlib import Path

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.intake.test_quarantine import HEADER, LINES
from tests.support.cli import fails, ok
from tests.support.world import build_world

OP = "Op Test"


def partial_import(database_url: str, tmp_path: Path) -> int:
    path = tmp_path / "return.csv"
    path.write_text(HEADER + "".join(LINES))
    out = ok(
        database_url,
        *("import", str(path), "--operation", OP, "--user", "analyst.lead", "--partial"),
        *("--label", "AMBER", "--release", "PARTNER"),
    )
    found = re.search(r"referral (\d+) \(platform, AMBER\)", out)
    assert found, out
    return int(found[1])


def test_partial_import_export_fix_and_amend(
    database_url: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    build_world(db, settings, roles=("analyst",))
    original = partial_import(database_url, tmp_path)
    listed = ok(database_url, "referral", "quarantine", "list", str(original), "--user", "analyst.lead")
    assert "login_time" in listed and "last tuesday" in listed and "2 open, 0 resolved" in listed

    fix = tmp_path / "fix.csv"
    done = ok(
        database_url,
        *("referral", "quarantine", "export", str(original), "--out", str(fix), "--user", "analyst.lead"),
    )
    assert "wrote 2 open quarantined record(s)" in done
    exported = fix.read_text()
    assert exported.splitlines()[1].startswith(f"referral {original} line 3,")
    assert "already exists" in fails(
        database_url,
        "referral",
        "quarantine",
        "export",
        str(original),
        "--out",
        str(fix),
        "--user",
        "analyst.lead",
    )
    wrong = tmp_path / "fix.jsonl"
    assert "this export is a .csv file" in fails(
        database_url,
        "referral",
        "quarantine",
        "export",
        str(original),
        "--out",
        str(wrong),
        "--user",
        "analyst.lead",
    )
    assert not wrong.exists() and not (tmp_path / "fix.jsonl.part").exists()

    fix.write_text(exported.replace("last tuesday", "2025-03-05T10:00:00Z").replace("99999", "8080"))
    imported = ok(
        database_url,
        *("import", str(fix), "--operation", OP, "--user", "analyst.lead", "--amends", str(original)),
    )
    assert f"amends referral {original}: resolved 2 quarantined record(s); amended" in imported
    amendment = int(re.findall(r"referral (\d+) \(platform", imported)[0])
    listed = ok(database_url, "referral", "quarantine", "list", str(original), "--user", "analyst.lead")
    assert f"resolved by referral {amendment}" in listed and "0 open, 2 resolved" in listed
    assert "status amended" in ok(database_url, "referral", "show", str(original), "--user", "analyst.lead")
    assert f"status imported, amends referral {original}" in ok(
        database_url, "referral", "show", str(amendment), "--user", "analyst.lead"
    )

    again = ok(
        database_url,
        *("import", str(fix), "--operation", OP, "--user", "analyst.lead", "--amends", str(original)),
    )
    assert f"already imported as referral {amendment}; nothing added" in again
    assert "resolved 0 quarantined record(s); amended" in again


def test_amending_is_refused_in_one_line(
    database_url: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    build_world(db, settings, roles=("analyst",))
    original = partial_import(database_url, tmp_path)
    fix = tmp_path / "fix.csv"
    fix.write_text(HEADER + LINES[0])
    amend = ("import", str(fix), "--operation", OP, "--amends", str(original))
    assert "sent by another agency; only it may amend it" in fails(
        database_url, *amend, "--user", "analyst.partner"
    )
    assert f"referral {original} not found [amends]" in fails(database_url, *amend, "--user", "analyst.late")
    assert "--user NAME" in fails(database_url, *amend, "--agency", "LEAD")
    assert f"referral {original} not found" in fails(
        database_url, "referral", "quarantine", "list", str(original), "--user", "analyst.late"
    )
