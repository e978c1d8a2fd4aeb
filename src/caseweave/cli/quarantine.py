"""`caseweave referral quarantine list|export`: the records a --partial import set aside, for fixing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.cli.common import UserOption, console, table, unit_of_work
from caseweave.errors import Invalid
from caseweave.intake import quarantine

quarantine_app = typer.Typer(
    help="Quarantined records: list them, export them to fix and import with --amends.",
    no_args_is_help=True,
)
EXCERPT = 60


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…")


@quarantine_app.command("list")
def quarantine_list(
    referral_id: Annotated[int, typer.Argument()],
    user: UserOption = None,
) -> None:
    """Where each quarantined record is, why, its raw text, and whether an amendment resolved it."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        records = quarantine.list_quarantined(session, actor, referral_id)
        rows = [
            (
                escape(r.location),
                escape(r.field),
                escape(r.reason),
                _excerpt(r.raw),
                f"resolved by referral {r.resolved_by_referral_id}" if r.resolved else "open",
            )
            for r in records
        ]
    table(
        f"quarantined records of referral {referral_id}",
        ["location", "field", "reason", "raw", "status"],
        rows,
    )
    still_open = sum(1 for row in rows if row[-1] == "open")
    console.print(f"{still_open} open, {len(rows) - still_open} resolved")


@quarantine_app.command("export")
def quarantine_export(
    referral_id: Annotated[int, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", help="the file to write (.csv or .jsonl, as the referral)")],
    user: UserOption = None,
) -> None:
    """Write the open quarantined records: bad lines to fix and import, or a worklist for XML/JSON files."""
    if out.exists():
        raise Invalid(f"{out}: already exists", field="out", hint="choose another file, or remove it")
    partial = out.with_name(f"{out.name}.part")
    try:
        with unit_of_work(user, as_user=True) as (session, actor, _db), partial.open("wb") as stream:
            export = quarantine.export_quarantined(session, actor, referral_id, stream)
            if out.suffix.lower() != export.suffix:  # the importer tells CSV from JSON Lines by the name
                raise Invalid(
                    f"{out}: this export is a {export.suffix} file",
                    field="out",
                    hint=f"name it *{export.suffix}",
                )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    what = f"{export.records} open quarantined record(s) of referral {referral_id}"
    if export.worklist:
        console.print(
            escape(
                f"wrote {what} to {out} as a worklist: correct them in the original file, then import the "
                f"corrected whole file with --amends {referral_id}"
            ),
            soft_wrap=True,
        )
    else:
        console.print(
            escape(
                f"wrote {what} to {out}: fix the lines (keep the caseweave_source mark), then import it "
                f"with --amends {referral_id}"
            ),
            soft_wrap=True,
        )
