"""Walking seized folders: every file once, symlink loops stopped, zip members listed, never fatal."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from caseweave.media.records import FileProblem
from caseweave.media.walk import FileItem, MemberItem, walk


def listed(*roots: Path, exclude: tuple[Path, ...] = ()) -> tuple[list[str], dict[str, str]]:
    items, problems = [], {}
    for found in walk(list(roots), exclude=exclude):
        if isinstance(found, FileProblem):
            problems[found.path] = found.reason
        else:
            items.append(found.display)
    return items, problems


def test_nested_folders_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "seized/b/c").mkdir(parents=True)
    for name in ("seized/z.txt", "seized/a.txt", "seized/b/c/d.txt", "seized/b/e.txt"):
        (tmp_path / name).write_text(name)
    items, problems = listed(tmp_path / "seized")
    assert items == ["seized/a.txt", "seized/z.txt", "seized/b/e.txt", "seized/b/c/d.txt"]
    assert problems == {}


def test_symlink_loops_and_second_links_are_walked_once(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub/f.txt").write_text("x")
    (root / "sub/up").symlink_to(root)  # a loop back to the top
    (root / "again").symlink_to(root / "sub")  # a second way into the same folder
    (root / "self").symlink_to(root / "self")  # a link that resolves to itself
    (root / "gone").symlink_to(tmp_path / "missing")
    items, problems = listed(root)
    assert items.count("root/again/f.txt") + items.count("root/sub/f.txt") == 1
    walked_sub = "root/sub" if "root/sub/f.txt" in items else "root/again"
    assert "already walked as root " in problems[f"{walked_sub}/up"]
    other = "root/again" if walked_sub == "root/sub" else "root/sub"
    assert problems[other] == f"folder already walked as {walked_sub} (symlink loop or second link)"
    assert problems["root/self"].startswith("symlink loop")
    assert problems["root/gone"].startswith("broken symlink")


def test_fifo_is_listed_as_a_problem_and_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    items, problems = listed(tmp_path)
    assert items == [] and "not a regular file" in problems[f"{tmp_path.name}/pipe.jpg"]


def test_zip_members_follow_their_archive(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "evidence.zip", "w") as archive:
        archive.writestr("dir/", "")
        archive.writestr("dir/a.txt", "a")
        archive.writestr("b.txt", "bb")
    found = list(walk([tmp_path / "evidence.zip"]))
    assert [f.display for f in found if not isinstance(f, FileProblem)] == [
        "evidence.zip",
        "evidence.zip!/dir/a.txt",
        "evidence.zip!/b.txt",
    ]
    assert isinstance(found[0], FileItem) and isinstance(found[1], MemberItem)
    assert isinstance(found[2], MemberItem) and found[2].size == 2 and found[2].member == "b.txt"


def test_corrupt_zip_is_hashed_as_a_file_and_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    items, problems = listed(tmp_path / "broken.zip")
    assert items == ["broken.zip"]
    assert problems["broken.zip"].startswith("corrupt zip archive")


def test_missing_root_is_a_problem(tmp_path: Path) -> None:
    items, problems = listed(tmp_path / "nope", tmp_path)
    assert items == [] and "cannot read" in problems[str(tmp_path / "nope")]


def test_outputs_inside_the_walked_folder_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "out.json").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "out.json")
    items, _ = listed(tmp_path, exclude=(tmp_path / "out.json",))
    assert items == [f"{tmp_path.name}/a.txt"]
