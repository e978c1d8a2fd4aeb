"""Find the files to hash: folders walked once each (symlink loops stopped), zip members listed.

The walk only lists: it never opens a file's content (a zip's central directory excepted), so it is
quick beside hashing and gives the progress bar its total. Anything that cannot be listed becomes a
FileProblem with its reason and the walk goes on.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from caseweave.media.records import FileProblem

ARCHIVE_SUFFIXES = (".zip",)
ARCHIVE_MARK = "!/"  # display path of a member: "evidence.zip!/dir/a.jpg"


@dataclass(frozen=True)
class FileItem:
    """A regular file on disk (a symlink to one included)."""

    display: str  # relative to the walked root, "/"-separated: what outputs show
    path: str  # absolute path to open
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        """Same path, size and mtime: already hashed (the journal's resume rule)."""
        return f"{self.path}\0{self.size}\0{self.mtime_ns}"


@dataclass(frozen=True)
class MemberItem:
    """A file inside a zip archive, hashed from the archive's stream, never extracted."""

    display: str
    archive: str  # absolute path of the archive
    member: str  # the member's name inside the archive
    size: int  # uncompressed
    mtime_ns: int  # the archive's: a changed archive is hashed again

    @property
    def key(self) -> str:
        return f"{self.archive}{ARCHIVE_MARK}{self.member}\0{self.size}\0{self.mtime_ns}"


WalkItem = FileItem | MemberItem | FileProblem


def walk(roots: Sequence[str | Path], exclude: Sequence[str | Path] = ()) -> Iterator[WalkItem]:
    """Every file under the roots (files or folders), in a stable order; zip members after their archive.

    `exclude` names files never to list: the run's own output and journal, which may lie inside a
    walked folder (or be reached through a symlink).
    """
    seen: dict[tuple[int, int], str] = {}  # (device, inode) of each folder walked → its display path
    skip = _Skip(exclude)
    for root in roots:
        absolute = os.path.abspath(root)
        display = os.path.basename(absolute.rstrip(os.sep)) or absolute
        try:
            info = os.stat(absolute)
        except OSError as error:
            yield FileProblem(str(root), _os_reason(error, "cannot read"))
            continue
        if stat.S_ISDIR(info.st_mode):
            seen[(info.st_dev, info.st_ino)] = display
            yield from _walk_folder(absolute, display, seen, skip)
        elif not skip(absolute):
            yield from _entry(absolute, display, info)


class _Skip:
    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.real = {os.path.realpath(p) for p in paths}
        self.names = {os.path.basename(p) for p in self.real}

    def __call__(self, path: str, is_link: bool = False) -> bool:
        # the cheap tests first: realpath costs system calls, and almost every file fails them
        if not self.real or not (is_link or os.path.basename(path) in self.names):
            return False
        return os.path.realpath(path) in self.real


def _walk_folder(
    top: str, top_display: str, seen: dict[tuple[int, int], str], skip: _Skip
) -> Iterator[WalkItem]:
    stack = [(top, top_display)]
    while stack:
        folder, display = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            yield FileProblem(display, _os_reason(error, "cannot list folder"))
            continue
        subfolders: list[tuple[str, str]] = []
        for entry in entries:
            child = f"{display}/{entry.name}"
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError as error:
                yield FileProblem(child, _link_reason(entry, error))
                continue
            if stat.S_ISDIR(info.st_mode):
                first = seen.get((info.st_dev, info.st_ino))
                if first is not None:
                    # a symlink back up the tree (a loop) or a second link to a folder: walk it once only
                    yield FileProblem(
                        child, f"folder already walked as {first} (symlink loop or second link)"
                    )
                    continue
                seen[(info.st_dev, info.st_ino)] = child
                subfolders.append((entry.path, child))
            elif not skip(entry.path, entry.is_symlink()):
                yield from _entry(entry.path, child, info)
        stack.extend(reversed(subfolders))  # popped in name order


def _entry(path: str, display: str, info: os.stat_result) -> Iterator[WalkItem]:
    if not stat.S_ISREG(info.st_mode):
        # reading a FIFO or a device could block or never end: such entries are listed, not read
        yield FileProblem(display, "not a regular file (device, FIFO or socket); not read")
        return
    yield FileItem(display, path, info.st_size, info.st_mtime_ns)
    if path.lower().endswith(ARCHIVE_SUFFIXES):
        yield from _members(path, display, info.st_mtime_ns)


def _members(archive: str, display: str, mtime_ns: int) -> Iterator[WalkItem]:
    try:
        with zipfile.ZipFile(archive) as opened:
            infos = opened.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        yield FileProblem(display, f"corrupt zip archive, members not hashed: {error}")
        return
    for info in infos:
        if info.is_dir():
            continue
        member_display = f"{display}{ARCHIVE_MARK}{info.filename}"
        if info.flag_bits & 0x1:
            yield FileProblem(member_display, "encrypted zip member: cannot be read without its password")
            continue
        yield MemberItem(member_display, archive, info.filename, info.file_size, mtime_ns)


def _os_reason(error: OSError, what: str) -> str:
    return f"{what}: {error.strerror or error}"


def _link_reason(entry: os.DirEntry[str], error: OSError) -> str:
    if entry.is_symlink():
        if error.errno == errno.ELOOP:  # a symlink that points (through others) at itself
            return "symlink loop: the link resolves to itself"
        return "broken symlink: its target does not exist"
    return _os_reason(error, "cannot read")
