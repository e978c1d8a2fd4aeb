"""What every command shares: the database from settings, who acts (cli/identity.py), the console."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.cli.identity import resolve
from caseweave.config import load_settings
from caseweave.db.runtime import Database
from caseweave.errors import Invalid

console = Console()
err_console = Console(stderr=True)

# --user on a command: which of your logins to use, never whom to impersonate.
USER_HELP = "act as this user: one you logged in as with `caseweave login` (default: your default login)"
UserOption = Annotated[str | None, typer.Option("--user", help=USER_HELP)]


@contextmanager
def open_database() -> Iterator[Database]:
    """The configured database, for the few commands that establish who acts (login, logout)."""
    db = Database.open(load_settings())
    try:
        yield db
    finally:
        db.close()


@contextmanager
def unit_of_work(
    user: str | None = None, *, as_user: bool = False
) -> Iterator[tuple[Session, Actor, Database]]:
    """One transaction on the configured database, as the logged-in user (or the operator, if asked for).

    `user` is the command's --user; `as_user` refuses the operator where a command shows or records
    what one user may (the operator reads no case data as if it were someone).
    """
    with open_database() as db, transaction_on(db, user, as_user=as_user) as (session, actor):
        yield session, actor, db


@contextmanager
def transaction_on(
    db: Database, user: str | None, *, as_user: bool = False
) -> Iterator[tuple[Session, Actor]]:
    """One transaction on an open database, with who acts resolved in it (see unit_of_work): a command
    that works through many files opens the database once and gives each its own transaction."""
    with db.transaction() as session:
        actor = resolve(session, db.settings.database_url, user).actor
        if as_user and actor.user is None:
            raise Invalid(
                "this command acts as a user and shows or records what that user may",
                hint="log in (`caseweave login NAME`) and run it as that user (--user NAME), not --operator",
            )
        yield session, actor


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    out = Table(title=title)
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(out)
