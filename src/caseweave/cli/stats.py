"""`caseweave stats --operation OP [--user U] [--public …]`, `stats consent`, `stats consents`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.cli.common import USER_HELP, console, err_console, table, unit_of_work
from caseweave.errors import Invalid
from caseweave.operations.service import operation_by_ref
from caseweave.stats import consent, release, service
from caseweave.stats.disclosure import as_dict
from caseweave.stats.figures import LABELS, MEASURES, Figures, PublicCell, PublicFigures
from caseweave.stats.report import write_report
from caseweave.stats.schemas import FiguresOut

app = typer.Typer(
    help="Operation figures: internal (need-to-know) or for publication (--public), and release consent.",
    invoke_without_command=True,
    no_args_is_help=False,
)

OperationOption = Annotated[str | None, typer.Option("--operation", help="operation id or name")]
UserOption = Annotated[
    str | None, typer.Option("--user", help=f"{USER_HELP}; the figures are what this user may see")
]


def _operation(operation: str | None) -> str:
    if not operation:
        raise Invalid("name the operation", field="operation", hint="--operation ID or name")
    return operation


@app.callback()
def figures(
    ctx: typer.Context,
    operation: OperationOption = None,
    user: UserOption = None,
    public: Annotated[bool, typer.Option("--public", help="the figures an agency may publish")] = False,
    threshold: Annotated[
        int | None, typer.Option("--threshold", help="--public: suppress below (10)")
    ] = None,
    base: Annotated[int | None, typer.Option("--base", help="--public: round to a multiple of (5)")] = None,
    wording: Annotated[str | None, typer.Option("--wording", help="--public: rounded or about")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="count up to this day, YYYY-MM-DD")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="also write the HTML report here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
) -> None:
    """Figures per country and per month (with no subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    ref = _operation(operation)
    if not public and (threshold is not None or base is not None or wording is not None):
        raise Invalid("--threshold, --base and --wording apply to --public figures", field="public")
    when = _date(as_of) if as_of else None
    rules = release.rules_of(
        10 if threshold is None else threshold, 5 if base is None else base, wording or "rounded"
    )
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        op = operation_by_ref(session, actor, ref).id
        if public:
            published = release.public_release(session, actor, op, rules, when)
            internal = None
        else:
            internal = service.operation_figures(session, actor, op, when)
            published = None
    if html is not None:
        written = write_report(html, figures=internal, public=published)
        (err_console if as_json else console).print(
            f"report written to {escape(str(written))}", highlight=False
        )
    if as_json:
        data = as_dict(published) if published else FiguresOut.of(_present(internal)).model_dump(mode="json")
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif published is not None:
        _show_public(published)
    else:
        _show_internal(_present(internal))


@app.command("consent")
def set_consent(
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    country: Annotated[str, typer.Option("--country", help="your agency's country, e.g. GB")],
    user: UserOption = None,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="withdraw the agreement")] = False,
) -> None:
    """Agree (or withdraw) that your country's figures may be published."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        view = consent.set_consent(
            session, actor, operation_by_ref(session, actor, operation).id, country, agree=not withdraw
        )
        said = "withdrew from" if withdraw else "agreed to"
        console.print(f"{view.country} {said} the release of this operation's figures", highlight=False)


@app.command("consents")
def list_consents(
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    user: UserOption = None,
) -> None:
    """Which countries agreed to release, who agreed or withdrew, and when."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        views = consent.list_consents(session, actor, operation_by_ref(session, actor, operation).id)
        rows = [
            (
                v.country,
                "agreed" if v.current else "withdrawn",
                v.agency,
                v.agreed_by,
                v.agreed_at.strftime("%Y-%m-%d %H:%M"),
                v.withdrawn_by,
                v.withdrawn_at.strftime("%Y-%m-%d %H:%M") if v.withdrawn_at else None,
            )
            for v in views
        ]
    table(
        "release consent",
        ["country", "status", "agency", "agreed by", "agreed at (UTC)", "withdrawn by", "withdrawn at (UTC)"],
        rows,
    )


# Column heads short enough for 35 countries × 9 measures in an 80-column terminal.
SHORT = {
    "subjects_investigated": "subj",
    "packages_sent": "pkg",
    "packages_acknowledged": "ack",
    "arrests": "arr",
    "charges": "chg",
    "prosecutions": "pros",
    "convictions": "conv",
    "children_identified": "c.id",
    "children_safeguarded": "c.sg",
}
ABBREVIATED = {"suppressed": "supp.", "not_disclosed": "n/d"}


def _present(figures: Figures | None) -> Figures:
    assert figures is not None
    return figures


def _show_internal(figures: Figures) -> None:
    head = (
        f"{figures.operation_name}: figures as {figures.viewer} may see them, "
        f"{figures.started_on} to {figures.as_of}"
    )
    console.print(escape(head), highlight=False)
    columns = list(SHORT.values())
    rows: list[list[object]] = [
        [cc, *(counts[m] for m in MEASURES)] for cc, counts in figures.countries.items()
    ]
    rows.append(["Total", *(figures.totals[m] for m in MEASURES)])
    table("per country", ["country", *columns], rows)
    months: list[list[object]] = [
        [key, *(counts[m] for m in MEASURES)] for key, counts in figures.months.items()
    ]
    months.append(["Total", *(figures.totals[m] for m in MEASURES)])
    table("per month", ["month", *columns], months)
    console.print(_legend(), highlight=False)


def _show_public(public: PublicFigures) -> None:
    agreed = ", ".join(public.consenting) or "none"
    rules = public.rules
    console.print(
        escape(
            f"{public.operation_name}: figures for publication, {public.started_on} to {public.as_of} "
            f"(threshold {rules.threshold}, base {rules.base}, {rules.wording}; agreed to release: {agreed})"
        ),
        highlight=False,
    )
    columns = list(SHORT.values())
    table("per country", ["country", *columns], [*_rows(public.countries), ["Total", *_texts(public.totals)]])
    table("per month", ["month", *columns], [*_rows(public.months), ["Total", *_texts(public.totals)]])
    console.print(_legend() + "; supp. = suppressed, n/d = not disclosed", highlight=False)
    for note in public.notes:
        console.print(escape(note), highlight=False)


def _rows(grid: Mapping[str, Mapping[str, PublicCell]]) -> list[list[object]]:
    return [[key, *_texts(cells)] for key, cells in grid.items()]


def _texts(cells: Mapping[str, PublicCell]) -> list[object]:
    return [ABBREVIATED.get(cells[m].status, cells[m].text) if m in cells else "" for m in MEASURES]


def _legend() -> str:
    return "columns: " + ", ".join(f"{SHORT[m]} = {LABELS[m]}" for m in MEASURES)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date (YYYY-MM-DD)", field="as_of") from None
