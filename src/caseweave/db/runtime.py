"""The database an app or a CLI command works on: settings, engine, sessions, migrated on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from caseweave.config import Settings
from caseweave.db.engine import make_engine, make_session_factory, transaction
from caseweave.db.migrate import upgrade


@dataclass
class Database:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, settings: Settings) -> Database:
        engine = make_engine(settings.database_url)
        if settings.auto_upgrade:
            upgrade(engine)
        return cls(settings, engine, make_session_factory(engine))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
