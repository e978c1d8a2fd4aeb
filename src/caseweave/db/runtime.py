"""The database an app or a CLI command works on: settings, engine, sessions, migrated on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from caseweave.config import Settings
from caseweave.db.engine import (
    deferred_writes,
    make_engine,
    make_session_factory,
    read_only,
    start_deferring,
    transaction,
)
from caseweave.db.migrate import upgrade


@dataclass
class Database:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.read_sessions = make_session_factory(read_only(self.engine))

    @classmethod
    def open(cls, settings: Settings) -> Database:
        # A connection for every request the API lets in at once (api/overload.py).
        engine = make_engine(
            settings.database_url,
            pool_size=settings.http_max_concurrent_requests,
            lock_timeout=settings.db_lock_timeout_seconds,
        )
        if settings.auto_upgrade:
            upgrade(engine)
        return cls(settings, engine, make_session_factory(engine))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work that writes (on SQLite it holds the write lock from its first statement)."""
        with transaction(self.sessions) as session:
            yield session

    @contextmanager
    def read_transaction(self) -> Iterator[Session]:
        """A unit of work that only reads and takes no write lock. The writes it defers (its audit
        entries) run after it, in one short write transaction; if that fails, so does the whole."""
        with transaction(self.read_sessions) as session:
            start_deferring(session)
            yield session
        pending = deferred_writes(session)
        if pending:
            with self.transaction() as writer:
                for write in pending:
                    write(writer)

    def close(self) -> None:
        self.engine.dispose()
