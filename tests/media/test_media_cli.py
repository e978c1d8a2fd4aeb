"""`caseweave media hash` as an operator runs it: a real process, a summary, problems never fatal."""

from __future__ import annotations

import json
from pathlib import Path

from caseweave.media.generated import write_benign_images
from tests.support.cli import cli


def test_media_hash_writes_vics_and_lists_problems(tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    write_benign_images(seized, 3, seed=5)
    (seized / "fake.jpg").write_text("not an image")
    (seized / "loop").symlink_to(seized)
    out = tmp_path / "out.json"
    result = cli(
        f"sqlite:///{tmp_path}/unused.db", "media", "hash", str(seized), "--out", str(out), "--workers", "2"
    )
    assert result.returncode == 0, result.stderr
    assert "4 files: 4 hashed now" in result.stdout and "4 images (3 with PDQ)" in result.stdout
    assert "seized/fake.jpg: not an image" in result.stderr
    assert "seized/loop: folder already walked as seized" in result.stderr
    assert len(json.loads(out.read_text())["value"]) == 4
    again = cli(f"sqlite:///{tmp_path}/unused.db", "media", "hash", str(seized), "--out", str(out))
    assert "0 hashed now, 4 from an earlier run" in again.stdout


def test_media_hash_refuses_a_bad_format_in_one_line(tmp_path: Path) -> None:
    result = cli(
        f"sqlite:///{tmp_path}/u.db", "media", "hash", str(tmp_path), "--out", "x", "--format", "xml"
    )
    assert result.returncode == 2 and result.stderr.startswith("error: unknown format 'xml'")
