"""A whole hashing run: parallel, resumable, zip members from the stream, problems never fatal."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from caseweave.media.generated import write_benign_images
from caseweave.media.hash_run import hash_paths, journal_path, problems_path
from caseweave.media.hashing import Limits, vpdq_available
from caseweave.media.hashset import read_hashset
from caseweave.media.records import FileProblem, HashRecord
from caseweave.media.walk import FileItem
from caseweave.media.workers import CRASHED, Item, Outcome, hash_batch, hash_batches
from tests.media.images import encoded


def records(path: Path) -> dict[str, HashRecord]:
    found = {}
    for record in read_hashset(path):
        assert isinstance(record, HashRecord), record
        for p in record.paths:
            found[p] = record
    return found


@pytest.fixture()
def seized(tmp_path: Path) -> Path:
    """A small seized folder: images, a duplicate, text, a bad image, a zip, a corrupt zip."""
    root = tmp_path / "seized"
    images = write_benign_images(root / "photos", 6, seed=3)
    shutil.copy(images[0], root / "copy-of-first.jpg")
    (root / "notes.txt").write_text("shopping list")
    (root / "fake.png").write_text("not a png")
    (root / "cut.jpg").write_bytes(encoded(9, (640, 480))[:2000])
    with zipfile.ZipFile(root / "archive.zip", "w") as archive:
        archive.write(images[1], "inner/one.jpg")
        archive.writestr("inner/readme.txt", "hello")
    (root / "broken.zip").write_bytes(b"PK\x03\x04" + bytes(50))
    return root


@pytest.mark.parametrize("workers", [1, 2])
def test_run_writes_every_file_and_reports_problems(seized: Path, tmp_path: Path, workers: int) -> None:
    out = tmp_path / "out.json"
    summary = hash_paths([seized], out, "vics", workers=workers)
    assert summary.files == 14 and summary.hashed == 14 and summary.resumed == 0
    assert summary.images == 10 and summary.pdq == 8
    reasons = {p.path: p.reason for p in summary.problems}
    assert set(reasons) == {"seized/fake.png", "seized/cut.jpg", "seized/broken.zip"}
    assert problems_path(out).read_text().count("\n") == 4
    found = records(out)
    first = (seized / "photos/image-00000.jpg").read_bytes()
    assert found["seized/photos/image-00000.jpg"] is found["seized/copy-of-first.jpg"]  # one Media, two files
    assert found["seized/photos/image-00000.jpg"].hashes["md5"] == hashlib.md5(first).hexdigest()
    member = found["seized/archive.zip!/inner/one.jpg"]
    assert member.hashes == found["seized/photos/image-00001.jpg"].hashes  # same bytes, from the stream
    assert summary.written == len({r.hashes["md5"] for r in found.values()})


def test_same_result_with_one_and_two_workers(seized: Path, tmp_path: Path) -> None:
    hash_paths([seized], tmp_path / "one.csv", "csv", workers=1)
    hash_paths([seized], tmp_path / "two.csv", "csv", workers=2)
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "two.csv").read_text()


def test_rerun_resumes_from_the_journal(seized: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    hash_paths([seized], out, "csv")
    complete = out.read_text()
    # as if killed part-way: only the first 5 results journalled, the 6th cut mid-line
    lines = journal_path(out).read_text().splitlines(keepends=True)
    journal_path(out).write_text("".join(lines[:5]) + lines[5][:40])
    out.unlink()
    summary = hash_paths([seized], out, "csv")
    assert summary.resumed == 5 and summary.hashed == summary.files - 5
    assert out.read_text() == complete
    again = hash_paths([seized], out, "csv")  # the cut line did not spoil the entry after it
    assert again.resumed == again.files and out.read_text() == complete


def test_changed_file_is_hashed_again(seized: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    hash_paths([seized], out)
    notes = seized / "notes.txt"
    notes.write_text("a different list")
    os.utime(notes, ns=(1_000_000_000, 1_000_000_000))
    summary = hash_paths([seized], out)
    assert summary.hashed == 1 and summary.resumed == summary.files - 1
    assert records(out)["seized/notes.txt"].hashes["md5"] == hashlib.md5(b"a different list").hexdigest()


def test_journal_holds_hashes_never_content(seized: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    hash_paths([seized], out)
    for line in journal_path(out).read_text().splitlines():
        entry = json.loads(line)
        assert set(entry["r"]) <= {
            *("path", "size", "md5", "sha1", "sha256", "kind", "mime_type", "pdq", "pdq_quality", "vpdq"),
            "problem",
        }
    assert "shopping list" not in journal_path(out).read_text() + out.read_text()


def test_corrupt_zip_member_spoils_only_itself(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as opened:
        opened.writestr("good.txt", "good " * 100)
        opened.writestr("bad.txt", "bad " * 1000)
    data = bytearray(archive.read_bytes())
    at = data.index(b"bad.txt") + 20  # inside bad.txt's compressed bytes
    data[at : at + 8] = b"\xff" * 8
    archive.write_bytes(bytes(data))
    summary = hash_paths([archive], tmp_path / "out.csv", "csv")
    reasons = {p.path: p.reason for p in summary.problems}
    assert reasons["a.zip!/bad.txt"].startswith("corrupt zip member")
    assert "a.zip!/good.txt" in records(tmp_path / "out.csv")


def test_file_vanished_after_the_walk(tmp_path: Path) -> None:
    item = FileItem("gone.jpg", str(tmp_path / "gone.jpg"), 10, 0)
    [outcome] = hash_batch([item], Limits(), want_vpdq=False)
    assert isinstance(outcome, FileProblem) and outcome.reason.startswith("cannot read")


def test_videos_without_vpdq_get_a_notice(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    summary = hash_paths([tmp_path / "clip.mp4"], tmp_path / "out.json")
    assert summary.videos == 1 and summary.problems == []
    if vpdq_available():
        assert summary.notices == []
    else:
        assert len(summary.notices) == 1 and "vpdq" in summary.notices[0]


def crashing_hasher(batch: list[Item], limits: Limits, want_vpdq: bool) -> list[Outcome]:
    """A decoder segfault on hostile bytes cannot be made on demand: this worker dies the same way."""
    if any(item.display.endswith("crash.bin") for item in batch):
        os._exit(139)
    return hash_batch(batch, limits, want_vpdq)


def test_a_crashing_worker_loses_only_its_file(tmp_path: Path) -> None:
    names = [f"f{i:02d}.txt" for i in range(20)] + ["crash.bin"]
    for name in names:
        (tmp_path / name).write_text(name)
    items: list[Item] = [FileItem(name, str(tmp_path / name), len(name), 0) for name in sorted(names)]
    batches = [items[i : i + 8] for i in range(0, len(items), 8)]
    outcomes = dict(hash_batches(batches, 2, Limits(), False, hasher=crashing_hasher))
    assert len(outcomes) == 21
    problems = {item.display: o.reason for item, o in outcomes.items() if isinstance(o, FileProblem)}
    assert problems == {"crash.bin": CRASHED}
