"""Alembic environment: the engine comes from caseweave (config.attributes), never from an ini file."""

from __future__ import annotations

from alembic import context

import caseweave.db.models  # noqa: F401  (fills Base.metadata)
from caseweave.db.base import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    # SQLite changes a table's constraints by rebuilding it (batch mode), dropping a table that other
    # rows point at: keys are checked once the migrations have run instead. The pragma only takes
    # effect outside a transaction, so it goes to the driver before SQLAlchemy begins one.
    driver = connection.connection.driver_connection if sqlite else None
    if driver is not None:
        driver.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite)
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
    finally:
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=ON")
