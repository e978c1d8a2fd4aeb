"""Alembic environment: the engine comes from caseweave (config.attributes), never from an ini file."""

from __future__ import annotations

from alembic import context

import caseweave.db.models  # noqa: F401  (fills Base.metadata)
from caseweave.db.base import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
