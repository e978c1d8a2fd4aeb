"""The one migration chain builds exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import caseweave.db.models  # noqa: F401
from caseweave.db.base import Base
from caseweave.db.migrate import current_revision, head_revision
from caseweave.db.runtime import Database


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_first_use_applies_migrations(tmp_path: object) -> None:
    from pathlib import Path

    from caseweave.config import Settings

    path = Path(str(tmp_path)) / "fresh.db"
    database = Database.open(Settings(database_url=f"sqlite:///{path}"))
    try:
        assert current_revision(database.engine) == head_revision()
    finally:
        database.close()
