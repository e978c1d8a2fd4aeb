"""`caseweave import` of many files and folders in one process: an operation arrives as hundreds of
files, and one command per file cost about a second of start-up each.

Each file is imported (and linked) in its own transaction, as a single `caseweave import` would: a
refused file is reported and the rest go on; nothing of a refused file is stored. Every file's outcome
is listed at the end, a line each, and the command exits 1 if any was refused, so a script notices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from caseweave.cli.common import console, err_console, open_database, transaction_on
from caseweave.errors import CaseweaveError, Invalid
from caseweave.intake import service
from caseweave.linkage.on_import import link_after_import
from caseweave.linkage.service import RunSummary
from caseweave.operations.service import operation_by_ref


@dataclass(frozen=True)
class ImportOptions:
    agency: str | None
    fmt: str
    label: str | None
    partial: bool
    released_to: Sequence[str]


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    status: str  # imported, partial, already imported, refused
    referral_id: int | None = None
    detail: str = ""


def files_to_import(paths: Iterable[Path]) -> list[Path]:
    """The files named, and those in the folders named (recursively, hidden ones left out), each once,
    in the order given and by name within a folder."""
    files: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            files[path] = None
        elif path.is_dir():
            for inner in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in inner.relative_to(path).parts)
                if inner.is_file() and not hidden:
                    files[inner] = None
        else:
            raise Invalid(f"{path}: no such file or folder", field="path")
    if not files:
        raise Invalid("no files to import in " + ", ".join(str(path) for path in paths), field="path")
    return list(files)


def import_many(files: Sequence[Path], operation: str, user: str | None, options: ImportOptions) -> None:
    with open_database() as db:
        with transaction_on(db, user) as (session, actor):  # an unknown operation stops here, once
            operation_id = operation_by_ref(session, actor, operation).id
        outcomes: list[FileOutcome] = []
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            sizes = [path.stat().st_size for path in files]  # once: a file may vanish while others import
            task = bar.add_task("import", total=sum(sizes))
            for path, size in zip(files, sizes, strict=True):
                bar.update(task, description=escape(path.name))
                done = bar.tasks[0].completed
                try:
                    with transaction_on(db, user) as (session, actor), path.open("rb") as stream:
                        outcome = service.import_referral(
                            session,
                            actor,
                            operation_id,
                            stream,
                            path.name,
                            agency=options.agency,
                            fmt=options.fmt,
                            label=options.label,
                            partial=options.partial,
                            released_to=options.released_to,
                            progress=lambda n: bar.advance(task, n),
                        )
                        linked = (
                            link_after_import(session, actor, db.settings, outcome.referral)
                            if outcome.created
                            else None
                        )
                    outcomes.append(_described(path, outcome, linked))
                except (CaseweaveError, OSError) as refused:
                    outcomes.append(FileOutcome(path, "refused", detail=str(refused)))
                bar.update(task, completed=done + size)
    _report(outcomes)


def _described(path: Path, outcome: service.ImportOutcome, linked: RunSummary | str | None) -> FileOutcome:
    referral = outcome.referral
    if not outcome.created:
        return FileOutcome(path, "already imported", referral.id, "nothing added")
    counts = counts_text(outcome.counts)
    if isinstance(linked, str):
        counts += f"; {linked}"
    elif linked is not None and linked.alerts_new:
        counts += f"; {linked.alerts_new} new deconfliction alert(s)"
    status = "partial" if outcome.errors else "imported"
    return FileOutcome(path, status, referral.id, f"{referral.format}, {referral.tlp}: {counts}")


def counts_text(counts: dict[str, int]) -> str:
    """An import's counts as words: "3 persons, 12 sightings, 0 quarantined"."""
    return ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())


def _report(outcomes: Sequence[FileOutcome]) -> None:
    """A line per file, its path whole (a table would cut long paths short), then the tally."""
    for o in outcomes:
        referral = f" -> referral {o.referral_id}" if o.referral_id is not None else ""
        console.print(
            f"{o.status}: {escape(str(o.path))}{referral}: {escape(o.detail)}",
            soft_wrap=True,
            highlight=False,
        )
    tally: dict[str, int] = {}
    for outcome in outcomes:
        tally[outcome.status] = tally.get(outcome.status, 0) + 1
    console.print(", ".join(f"{count} {status}" for status, count in tally.items()))
    if tally.get("refused"):
        raise typer.Exit(1)
