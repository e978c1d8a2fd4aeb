"""`caseweave audit …`: check the chain."""

from __future__ import annotations

import typer

from caseweave.audit.service import require_auditor
from caseweave.audit.service import verify as verify_chain
from caseweave.cli.common import UserOption, console, err_console, unit_of_work

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify(user: UserOption = None) -> None:
    """Walk the whole chain (auditors, oversight, the operator); exit 1 and name the first broken entry
    if anything was altered."""
    with unit_of_work(user) as (session, actor, _db):
        require_auditor(actor)
        result = verify_chain(session)
    if result.ok:
        console.print(
            f"audit log intact: {result.entries} entries; head {result.head_seq} {result.head_hash}",
            highlight=False,
        )
        return
    err_console.print(
        f"[red]audit log broken at entry {result.broken_at}:[/red] {result.reason} "
        f"({result.entries} entries verified before it)",
        highlight=False,
    )
    raise typer.Exit(1)
