"""`caseweave outcome add|list|import FILE`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.access.labels import TLP
from caseweave.cli.common import UserOption, console, table, unit_of_work
from caseweave.errors import Invalid
from caseweave.operations.service import operation_by_ref
from caseweave.outcomes import bulk, service

app = typer.Typer(help="Outcomes: arrests, charges, pleas, verdicts, sentences.", no_args_is_help=True)

OperationOption = Annotated[str, typer.Option("--operation", help="operation id or name")]


@app.command("add")
def add(
    operation: OperationOption,
    subject: Annotated[str, typer.Argument(help="subject id, e.g. SUB-000123")],
    kind: Annotated[str, typer.Argument(help="arrested, charged, plea, convicted, acquitted, sentenced, …")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD")],
    country: Annotated[str | None, typer.Option("--country", help="default your agency's")] = None,
    counts: Annotated[int | None, typer.Option("--counts", help="charged: number of counts")] = None,
    offence: Annotated[str | None, typer.Option("--offence")] = None,
    plea: Annotated[str | None, typer.Option("--plea", help="guilty or not_guilty")] = None,
    sentence: Annotated[str | None, typer.Option("--sentence")] = None,
    indeterminate: Annotated[bool, typer.Option("--indeterminate")] = False,
    note: Annotated[str, typer.Option("--note")] = "",
    tlp: Annotated[TLP, typer.Option("--tlp")] = TLP.AMBER,
    user: UserOption = None,
) -> None:
    """Record one outcome of a subject, as a user of the reporting agency."""
    data = service.OutcomeIn(
        subject=subject,
        kind=kind,
        occurred_on=_date(on),
        country=country,
        counts=counts,
        offence=offence,
        plea=plea,
        sentence=sentence,
        indeterminate=indeterminate,
        note=note,
        tlp=tlp,
    )
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        event = service.add_outcome(
            session, actor, operation_by_ref(session, actor, operation).id, data, source="cli"
        )
        assert event is not None
        console.print(
            f"outcome {event.id}: {event.kind} on {event.occurred_on} ({event.country})", highlight=False
        )


@app.command("list")
def list_outcomes(
    operation: OperationOption,
    user: UserOption = None,
    subject: Annotated[str | None, typer.Option("--subject")] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
) -> None:
    """Outcomes you may see, oldest first."""
    with unit_of_work(user) as (session, actor, _db):
        rows = service.list_outcomes(
            session,
            actor,
            operation_by_ref(session, actor, operation).id,
            subject=subject,
            country=country,
        )
        shown = [
            (
                e.occurred_on,
                public_id,
                e.country,
                e.kind,
                escape(_detail(e.counts, e.offence, e.plea, e.sentence, e.indeterminate)),
                e.source,
            )
            for e, public_id in rows
        ]
    table("outcomes", ["date", "subject", "country", "outcome", "detail", "source"], shown)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV: subject,kind,date[,country,counts,offence,plea,…]")],
    operation: OperationOption,
    tlp: Annotated[TLP, typer.Option("--tlp")] = TLP.AMBER,
    user: UserOption = None,
) -> None:
    """Import an agency's bulk return; any bad line refuses the file; lines already held are skipped."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot read {file}: {exc}", field="file") from None
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        result = bulk.import_csv(
            session, actor, operation_by_ref(session, actor, operation).id, text, file.name, tlp
        )
    console.print(
        f"{len(result.added)} outcome(s) added, {len(result.skipped)} already held", highlight=False
    )


def _detail(
    counts: int | None, offence: str | None, plea: str | None, sentence: str | None, indet: bool
) -> str:
    parts = [f"{counts} count(s)" if counts else "", offence or "", plea or "", sentence or ""]
    if indet:
        parts.append("indeterminate")
    return "; ".join(p for p in parts if p)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date (YYYY-MM-DD)", field="date") from None
