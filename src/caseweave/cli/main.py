"""Entry point: assembles the command groups and turns user mistakes into one clear line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.exc import DataError, OperationalError

from caseweave.cli import (
    admin,
    attribution,
    audit,
    database,
    dissemination,
    intake,
    linkage,
    login,
    media,
    media_banks,
    outcomes,
    serve,
    stats,
    synth,
    totp,
    victims,
    warninglists,
)
from caseweave.cli.common import err_console
from caseweave.cli.identity import Choice, choose
from caseweave.db.base import MAX_ID
from caseweave.errors import CaseweaveError

app = typer.Typer(
    name="caseweave",
    help="Joint operations against online child sexual exploitation, under need-to-know.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# They set up an installation, so they act as the local operator without being asked.
OPERATOR_COMMANDS = frozenset({"demo"})
DEMO_HELP = (
    "Load the demo operation (or refresh its passwords), print the logins, then serve the API. "
    "Runs as the local operator (it sets up an installation): no login needed."
)


@app.callback()
def choose_identity(
    ctx: typer.Context,
    operator: Annotated[
        bool,
        typer.Option(
            "--operator",
            help="act as the local operator (audited as cli:<your OS account>), who holds the database "
            "anyway: for setting up an installation; not with --user",
        ),
    ] = False,
    user: Annotated[
        str | None,
        typer.Option("--user", help="act as this user: one you logged in as (default: your default login)"),
    ] = None,
) -> None:
    """Every command that uses the database acts as a logged-in user (`caseweave login NAME`), as the
    user whose token is in CASEWEAVE_TOKEN, or as the local operator if asked with --operator."""
    choose(
        Choice(operator=operator, user=user, implicit_operator=ctx.invoked_subcommand in OPERATOR_COMMANDS)
    )


app.command("login")(login.login)
app.command("logout")(login.logout)
app.command("whoami")(login.whoami)
app.add_typer(totp.app, name="totp")
app.add_typer(database.app, name="db")
app.add_typer(admin.operation_app, name="operation")
app.add_typer(admin.agency_app, name="agency")
app.add_typer(admin.membership_app, name="membership")
app.add_typer(admin.user_app, name="user")
app.add_typer(admin.token_app, name="token")
app.add_typer(audit.app, name="audit")
app.add_typer(intake.referral_app, name="referral")
app.add_typer(synth.app, name="synth")
app.add_typer(warninglists.app, name="warninglist")
app.command("import")(intake.import_file)
app.command("link")(linkage.link)
app.command("judge")(linkage.judge)
app.add_typer(linkage.subject_app, name="subject")
app.add_typer(linkage.subject_app, name="subjects", hidden=True)  # `caseweave subjects export` reads well too
app.add_typer(linkage.alert_app, name="alert")
app.add_typer(linkage.eval_app, name="eval")
linkage.eval_app.command("attribution")(attribution.evaluate)
app.command("attribute")(attribution.attribute)
app.add_typer(attribution.app, name="attribution")
linkage.subject_app.command("attribution")(attribution.show)  # `caseweave subject attribution ID`
app.command("disseminate")(dissemination.disseminate)
app.add_typer(dissemination.app, name="package")
app.add_typer(media.app, name="media")
media.app.add_typer(media_banks.bank_app, name="bank")
media.app.command("match")(media_banks.match)
app.add_typer(victims.victim_app, name="victim")
app.add_typer(victims.safeguarding_app, name="safeguarding")
app.add_typer(outcomes.app, name="outcome")
app.add_typer(stats.app, name="stats")
app.command("serve")(serve.serve)
app.command("demo", help=DEMO_HELP)(serve.demo)


def run() -> None:
    try:
        app()
    except CaseweaveError as error:
        # escaped: "[field]" and file names must not be read as Rich markup; one line, never wrapped
        err_console.print(f"[red]error:[/red] {escape(error.one_line())}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except OperationalError as error:
        err_console.print(
            f"[red]error:[/red] cannot use the database: {error.orig} — check CASEWEAVE_DATABASE_URL",
            highlight=False,
        )
        sys.exit(2)
    except (OverflowError, DataError):  # a number no id column holds (SQLite: int64, PostgreSQL: int32)
        err_console.print(
            f"[red]error:[/red] a number given is out of range — ids are at most {MAX_ID}", highlight=False
        )
        sys.exit(2)


if __name__ == "__main__":
    run()
