"""`caseweave synth operation`: write a synthetic operation in all five formats, with ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from caseweave.cli.admin import parse_date
from caseweave.cli.common import console
from caseweave.synth import write_operation
from caseweave.synth.identifiers import COUNTRIES

app = typer.Typer(
    help="Synthetic data with ground truth, for demos, tests and benchmarks.", no_args_is_help=True
)


@app.command("operation")
def operation(
    out: Annotated[Path, typer.Option("--out", help="folder to write the files and truth.json into")],
    subjects: Annotated[int, typer.Option("--subjects", min=1, help="at least one per country")] = 700,
    countries: Annotated[int, typer.Option("--countries", min=1, max=len(COUNTRIES))] = 35,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    start: Annotated[str, typer.Option("--start", help="operation start date, YYYY-MM-DD")] = "2025-01-06",
) -> None:
    """A seed-shaped operation: a seized chat room, a tip-off, platform returns, partner referrals."""
    if subjects < countries:
        raise typer.BadParameter(
            f"{subjects} subjects cannot cover {countries} countries", param_hint="--subjects"
        )
    summary = write_operation(
        out, subjects=subjects, countries=countries, seed=seed, start=parse_date(start, "start")
    )
    console.print(f"wrote {summary.describe()}", highlight=False)
