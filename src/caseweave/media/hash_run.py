"""`caseweave media hash`: walk, hash in parallel, journal each result, write the hash set.

Resuming: every result is appended to a journal beside the output (`OUT.journal`, JSON Lines, hashes
and file facts only) as soon as it arrives; a rerun skips every file whose path, size and mtime are
in the journal, so an interrupted run over a seized drive picks up where it stopped. Files that
could not be read at all are not journalled: the rerun tries them again. The output file itself is
written last, to a temporary name then renamed, so a half-written hash set never exists.

Parallelism is workers.py's: batches of 8 files, in this process or in N worker processes.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from caseweave.media.hashing import Limits, vpdq_available
from caseweave.media.hashset import HashSetFormat, write_hashset
from caseweave.media.records import FileHashes, FileProblem
from caseweave.media.walk import walk
from caseweave.media.workers import BATCH, Item, hash_batches


@dataclass
class RunSummary:
    files: int = 0  # files and zip members found
    hashed: int = 0  # hashed in this run
    resumed: int = 0  # taken from the journal of an earlier run
    images: int = 0
    pdq: int = 0
    videos: int = 0
    vpdq: int = 0
    written: int = 0  # records in the output (VICS: distinct contents; CSV: files)
    problems: list[FileProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


Progress = Callable[[int], None]  # called with how many more files are done


def journal_path(out: Path) -> Path:
    return out.with_name(out.name + ".journal")


def problems_path(out: Path) -> Path:
    """Every file that was not fully hashed, with the reason: beside the output, as CSV."""
    return out.with_name(out.name + ".problems.csv")


def hash_paths(
    roots: Sequence[str | Path],
    out: Path,
    fmt: HashSetFormat = "vics",
    *,
    workers: int = 1,
    limits: Limits = Limits(),
    on_start: Callable[[int, int], None] | None = None,
    on_progress: Progress | None = None,
) -> RunSummary:
    """Hash every file under roots into a hash set at out; problems are counted, never fatal."""
    summary = RunSummary()
    items: list[Item] = []
    own = (out, journal_path(out), problems_path(out), out.with_name(out.name + ".partial"))
    for found in walk(roots, exclude=own):
        if isinstance(found, FileProblem):
            summary.problems.append(found)
        else:
            items.append(found)
    summary.files = len(items)
    done = _read_journal(journal_path(out))
    todo = [item for item in items if item.key not in done]
    summary.resumed = len(items) - len(todo)
    if on_start:
        on_start(len(items), summary.resumed)
    want_vpdq = vpdq_available()
    with journal_path(out).open("a", encoding="utf-8") as journal:
        if journal.tell() and not _ends_with_newline(journal_path(out)):
            journal.write("\n")  # close a line cut short by a kill, or the next entry would join it
        batches = [todo[i : i + BATCH] for i in range(0, len(todo), BATCH)]
        for item, outcome in hash_batches(batches, workers, limits, want_vpdq):
            if isinstance(outcome, FileHashes):
                done[item.key] = outcome
                journal.write(json.dumps({"k": item.key, "r": asdict(outcome)}) + "\n")
                journal.flush()  # a kill loses at most the file being hashed
            else:
                summary.problems.append(outcome)
            summary.hashed += 1
            if on_progress:
                on_progress(1)
    # the display path is this run's (the same file given as `seized` or `./seized` in two runs)
    results = [_shown(done[item.key], item.display) for item in items if item.key in done]
    _count(results, summary, want_vpdq)
    temporary = out.with_name(out.name + ".partial")
    with temporary.open("w", encoding="utf-8") as stream:
        summary.written = write_hashset(results, stream, fmt)
    os.replace(temporary, out)
    problems = problems_path(out)
    problems.unlink(missing_ok=True)
    if summary.problems:
        with problems.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(("path", "reason"))
            writer.writerows((p.path, p.reason) for p in summary.problems)
    return summary


def _count(results: list[FileHashes], summary: RunSummary, want_vpdq: bool) -> None:
    for r in results:
        summary.images += r.kind == "image"
        summary.pdq += r.pdq is not None
        summary.videos += r.kind == "video"
        summary.vpdq += bool(r.vpdq)
        if r.problem:
            summary.problems.append(FileProblem(r.path, r.problem))
    if summary.videos and not want_vpdq:
        summary.notices.append(
            f"{summary.videos} video file(s) got MD5/SHA-1/SHA-256 only: vPDQ skipped because the optional "
            "`vpdq` package (which needs FFmpeg's libraries) is not installed; see docs/media.md"
        )


def _shown(result: FileHashes, display: str) -> FileHashes:
    return result if result.path == display else replace(result, path=display)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as stream:
        stream.seek(-1, os.SEEK_END)
        return stream.read(1) == b"\n"


def _read_journal(path: Path) -> dict[str, FileHashes]:
    """Results of earlier runs; a last line cut short by an interruption is ignored."""
    done: dict[str, FileHashes] = {}
    if not path.exists():
        return done
    with path.open(encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                entry: dict[str, Any] = json.loads(line)
                fields = entry["r"]
                fields["vpdq"] = tuple(fields.get("vpdq") or ())
                done[entry["k"]] = FileHashes(**fields)
            except (ValueError, KeyError, TypeError):
                continue
    return done
