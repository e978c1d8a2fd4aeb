"""`caseweave db …`: migrations."""

from __future__ import annotations

import typer

from caseweave.cli.common import console
from caseweave.config import load_settings
from caseweave.db.engine import make_engine
from caseweave.db.migrate import upgrade as upgrade_engine

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply every migration to the configured database (CASEWEAVE_DATABASE_URL). Runs as the local
    operator (it sets up an installation): no login needed."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        revision = upgrade_engine(engine)
    finally:
        engine.dispose()
    console.print(f"database at revision {revision}: {engine.url.render_as_string(hide_password=True)}")
