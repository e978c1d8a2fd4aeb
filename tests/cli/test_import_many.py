"""`caseweave import` of many files and folders in one run, as an operation arrives: every file's
outcome listed, a refused file stops nothing else and stores nothing, a second run adds nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import Referral
from tests.linkage.helpers import HEADER, Row
from tests.support.cli import cli
from tests.support.world import build_world


def referrals(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Referral)) or 0


def test_files_and_folders_import_in_one_run_past_a_refused_file(
    database_url: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    build_world(db, settings, roles=("analyst",))
    folder = tmp_path / "returns"
    (folder / "march").mkdir(parents=True)
    (folder / "a.csv").write_text(HEADER + Row("a1", username="darkfox", email="fox@example.org").line())
    (folder / "march" / "b.csv").write_text(HEADER + Row("b1", username="quietowl").line())
    (folder / "march" / "notes.txt").write_text("not a referral\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")  # hidden: left out
    single = tmp_path / "c.csv"
    single.write_text(HEADER + Row("c1", username="greyowl", email="grey@example.org").line())

    first = cli(database_url, "import", str(folder), str(single), "--operation", "1", "--agency", "LEAD")
    assert first.returncode == 1, first.stderr  # one file was refused
    outcomes = {
        line.split(": ")[1].split(" -> ")[0]: line.split(": ")[0]
        for line in first.stdout.splitlines()
        if line.split(": ")[0] in {"imported", "partial", "refused", "already imported"}
    }
    assert outcomes == {
        str(folder / "a.csv"): "imported",
        str(folder / "march" / "b.csv"): "imported",
        str(folder / "march" / "notes.txt"): "refused",
        str(single): "imported",
    }
    assert "not a format caseweave reads" in first.stdout
    assert "3 imported, 1 refused" in first.stdout.replace("\n", " ")
    assert referrals(db) == 3

    again = cli(database_url, "import", str(folder), str(single), "--operation", "1", "--agency", "LEAD")
    assert "3 already imported, 1 refused" in again.stdout.replace("\n", " ")
    assert referrals(db) == 3, "the same files twice add nothing"


def test_a_missing_path_or_an_empty_folder_is_refused_before_anything_is_imported(
    database_url: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    build_world(db, settings, roles=("analyst",))
    good = tmp_path / "a.csv"
    good.write_text(HEADER + Row("a1", username="darkfox").line())
    (tmp_path / "empty").mkdir()
    missing = cli(
        database_url, "import", str(good), str(tmp_path / "nope"), "--operation", "1", "--agency", "LEAD"
    )
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    empty = cli(database_url, "import", str(tmp_path / "empty"), "--operation", "1", "--agency", "LEAD")
    assert empty.returncode == 2 and "no files to import" in empty.stderr
    assert referrals(db) == 0
