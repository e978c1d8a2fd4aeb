"""`caseweave warninglist load|load-bundled|list|disable|enable`: values that must never link people."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from caseweave.cli.common import console, table, unit_of_work
from caseweave.linkage import warninglists as service

app = typer.Typer(
    help="Warning lists (MISP format): Tor exits, VPN and hosting ranges, CGNAT, junk values.",
    no_args_is_help=True,
)


def _report(outcomes: list[service.LoadOutcome]) -> None:
    for outcome in outcomes:
        row = outcome.warninglist
        was = "new" if outcome.previous_version is None else f"replaces version {outcome.previous_version}"
        state = "" if row.enabled else " (disabled: `warninglist enable` to use it)"
        console.print(
            f"{row.name}: {row.list_type}, {row.category}, version {row.version} ({was}){state}",
            highlight=False,
        )
        if not row.selector_types:
            console.print("  applies to none of our selector types: it will never match", highlight=False)
        if outcome.ignored_attributes:
            ignored = ", ".join(outcome.ignored_attributes)
            console.print(f"  matching_attributes without a selector type here: {ignored}", highlight=False)


@app.command("load")
def load(
    paths: Annotated[list[Path], typer.Argument(help="MISP warninglist JSON files (list.json)")],
    category: Annotated[
        str | None,
        typer.Option("--category", help="tor, vpn, cgnat, hosting, junk or other; default: from the name"),
    ] = None,
) -> None:
    """Load warning lists; a list with a name already stored replaces it. All files or none."""
    with unit_of_work() as (session, actor, _):
        _report(service.load_files(session, actor, paths, category=category))


@app.command("load-bundled")
def load_bundled() -> None:
    """(Re)load the lists shipped with caseweave."""
    with unit_of_work() as (session, actor, _):
        _report(service.load_bundled(session, actor))


@app.command("list")
def list_lists() -> None:
    with unit_of_work() as (session, _, _db):
        rows = [
            (
                row.name,
                row.list_type,
                row.category,
                ", ".join(row.selector_types),
                entries,
                row.version,
                row.source,
                "yes" if row.enabled else "no",
            )
            for row, entries in service.list_warninglists(session)
        ]
    table(
        "warning lists",
        ["name", "type", "category", "applies to", "entries", "version", "source", "enabled"],
        rows,
    )


@app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="list name (or id)")]) -> None:
    """Stop using a list: its values link people again from the next linkage run."""
    with unit_of_work() as (session, actor, _):
        row = service.set_enabled(session, actor, name, False)
    console.print(f"warning list {row.name} disabled", highlight=False)


@app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="list name (or id)")]) -> None:
    with unit_of_work() as (session, actor, _):
        row = service.set_enabled(session, actor, name, True)
    console.print(f"warning list {row.name} enabled", highlight=False)
