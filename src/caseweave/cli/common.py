"""What every command shares: the database from settings, the operator actor, the console."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.auth.service import user_by_name
from caseweave.config import load_settings
from caseweave.db.runtime import Database

console = Console()
err_console = Console(stderr=True)


@contextmanager
def unit_of_work() -> Iterator[tuple[Session, Actor, Database]]:
    """One transaction on the configured database, as the local operator."""
    db = Database.open(load_settings())
    try:
        with db.transaction() as session:
            yield session, Actor.cli(), db
    finally:
        db.close()


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    out = Table(title=title)
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(out)


def acting_as(session: Session, operator: Actor, user: str | None) -> Actor:
    """The named user (who may see what that user may), or the operator when none is named."""
    return Actor.for_user(user_by_name(session, user)) if user else operator
