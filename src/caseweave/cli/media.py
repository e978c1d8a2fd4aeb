"""`caseweave media hash`: hash seized files where they lie into a VICS 2.0 or CSV hash set.

Bank and matching commands (`media bank …`, `media match`) live in cli/media_banks.py and register
onto this module's `app`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from caseweave.cli.common import console, err_console
from caseweave.errors import Invalid
from caseweave.media.hash_run import RunSummary, hash_paths, journal_path, problems_path
from caseweave.media.hashing import DEFAULT_MAX_PIXELS, Limits

app = typer.Typer(help="Media triage by hash: only hashes, never images or video.", no_args_is_help=True)
SHOWN_PROBLEMS = 50


@app.command("hash")
def hash_command(
    paths: Annotated[list[Path], typer.Argument(help="folders, files or zip archives to hash")],
    out: Annotated[Path, typer.Option("--out", help="the hash set to write")],
    fmt: Annotated[str, typer.Option("--format", help="vics (VICS 2.0 JSON) or csv")] = "vics",
    workers: Annotated[
        int | None, typer.Option("--workers", help="processes hashing at once (default: every core)")
    ] = None,
    max_pixels: Annotated[
        int, typer.Option("--max-pixels", help="images with more pixels are not decoded (bomb guard)")
    ] = DEFAULT_MAX_PIXELS,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="ignore the journal of an earlier run and hash everything again")
    ] = False,
) -> None:
    """MD5, SHA-1, SHA-256 of every file; PDQ + quality of every image. Rerun to resume."""
    if fmt not in ("vics", "csv"):
        raise Invalid(f"unknown format {fmt!r}", field="format", hint="vics or csv")
    if workers is not None and workers < 1:
        raise Invalid("--workers must be at least 1", field="workers")
    if not out.parent.is_dir():
        raise Invalid(f"{out.parent}: no such folder for --out", field="out")
    if fresh:
        journal_path(out).unlink(missing_ok=True)
    count = workers or os.cpu_count() or 1
    columns = (
        TextColumn("hashing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("hash", total=None)

        def started(total: int, resumed: int) -> None:
            bar.update(task, total=total, completed=resumed)

        try:
            summary = hash_paths(
                paths,
                out,
                "vics" if fmt == "vics" else "csv",
                workers=count,
                limits=Limits(max_pixels=max_pixels),
                on_start=started,
                on_progress=lambda n: bar.advance(task, n),
            )
        except KeyboardInterrupt:
            err_console.print(f"interrupted: rerun the same command to resume (journal: {journal_path(out)})")
            raise typer.Exit(130) from None
    print_summary(summary, out)


def print_summary(summary: RunSummary, out: Path) -> None:
    console.print(
        f"{summary.files} files: {summary.hashed} hashed now, {summary.resumed} from an earlier run; "
        f"{summary.images} images ({summary.pdq} with PDQ), {summary.videos} videos "
        f"({summary.vpdq} with vPDQ); {summary.written} records written to {escape(str(out))}",
        highlight=False,
    )
    for notice in summary.notices:
        err_console.print(f"[yellow]notice:[/yellow] {escape(notice)}", highlight=False)
    if summary.problems:
        err_console.print(f"[yellow]{len(summary.problems)} problem(s):[/yellow]", highlight=False)
        for problem in summary.problems[:SHOWN_PROBLEMS]:
            err_console.print(
                f"  {escape(problem.path)}: {escape(problem.reason)}", highlight=False, soft_wrap=True
            )
        if len(summary.problems) > SHOWN_PROBLEMS:
            err_console.print(f"  … and {len(summary.problems) - SHOWN_PROBLEMS} more", highlight=False)
        err_console.print(f"  all of them: {escape(str(problems_path(out)))}", highlight=False)
