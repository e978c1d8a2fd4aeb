"""Engines and sessions for the embedded SQLite default and for PostgreSQL.

A unit of work either writes (SQLite: `BEGIN IMMEDIATE`, the write lock up front) or only reads
(`read_only(engine)`: SQLite `BEGIN` with `query_only`, PostgreSQL `READ ONLY`): a read takes no
write lock, and a stray write in it fails at once instead of waiting for the lock. What a read must
still write (its audit entries) it hands to `defer_write`, and the runtime appends it afterwards in
one short write transaction (`db/runtime.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker

READ_ONLY = "caseweave_read_only"  # execution option of the engine that read units of work use
_DEFERRED = "caseweave.deferred_writes"  # Session.info key: writes a read unit of work hands on
_QUERY_ONLY = "caseweave.query_only"  # DBAPI connection info: the PRAGMA's current value

DeferredWrite = Callable[[Session], None]

# Errors that mean "another transaction holds what this one needs" (or no connection was free in
# time): the request may succeed if retried, so the API answers 503 with Retry-After, not 500.
_BUSY_SQLSTATES = frozenset(
    {
        "55P03",  # lock_not_available (lock_timeout)
        "57014",  # query_canceled (statement_timeout)
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "53300",  # too_many_connections
        "57P03",  # cannot_connect_now (starting up or shutting down)
    }
)


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    return on_connect


def _sqlite_begin(connection: Any) -> None:
    # A writing unit of work takes the write lock up front: a deferred transaction that read first
    # could not upgrade once another writer committed (SQLITE_BUSY_SNAPSHOT). A reading one starts
    # a snapshot without any lock, and query_only refuses any write in it.
    reading = bool(connection.get_execution_options().get(READ_ONLY, False))
    if connection.info.get(_QUERY_ONLY, False) != reading:
        connection.exec_driver_sql(f"PRAGMA query_only={int(reading)}")
        connection.info[_QUERY_ONLY] = reading
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _postgres_lock_timeout(timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Wait for a row or table lock at most this long, as SQLite's busy_timeout does.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {timeout_ms}")
        dbapi_connection.commit()

    return on_connect


def make_engine(url: str, *, pool_size: int = 5, lock_timeout: float = 10.0) -> Engine:
    """An engine for `url`. SQLite gets foreign keys, WAL and a busy timeout on every connection,
    PostgreSQL a lock timeout; both wait `lock_timeout` seconds at most for a lock or a pooled
    connection. `pool_size` connections stay open (as many again may be opened under load)."""
    timeout_ms = max(1, int(lock_timeout * 1000))
    parsed = make_url(url)
    pooled = parsed.database not in (None, "", ":memory:")
    pool: dict[str, Any] = (
        {"pool_size": pool_size, "max_overflow": pool_size, "pool_timeout": lock_timeout} if pooled else {}
    )
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": lock_timeout}, **pool
        )
        event.listen(engine, "connect", _sqlite_pragmas(timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **pool)
    event.listen(engine, "connect", _postgres_lock_timeout(timeout_ms))
    return engine


def read_only(engine: Engine) -> Engine:
    """The same engine and pool, for units of work that only read."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return engine.execution_options(**options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def start_deferring(session: Session) -> None:
    """Mark `session` as a read unit of work whose writes are handed on, not executed."""
    session.info[_DEFERRED] = []


def is_read_only(session: Session) -> bool:
    return _DEFERRED in session.info


def defer_write(session: Session, write: DeferredWrite) -> None:
    """Run `write(session)` after this read unit of work, in the write transaction that follows it."""
    pending: list[DeferredWrite] = session.info[_DEFERRED]
    pending.append(write)


def deferred_writes(session: Session) -> list[DeferredWrite]:
    pending: list[DeferredWrite] = session.info.get(_DEFERRED, [])
    return pending


def is_busy(error: BaseException) -> bool:
    """Did this fail only because another transaction held a lock, or no connection was free?"""
    if isinstance(error, exc.TimeoutError):  # the pool had no connection to give in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    original = error.orig
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if isinstance(sqlite_name, str):
        return sqlite_name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    return getattr(original, "sqlstate", None) in _BUSY_SQLSTATES


def beside_sqlite_file(database_url: str, suffix: str) -> Path | None:
    """`<database file><suffix>` next to a SQLite database file; None for a server, in-memory or URI
    database, which has no folder of its own to keep derived files in."""
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in {"", ":memory:"} or database.startswith("file:"):
        return None
    path = Path(database)
    return path.parent / f"{path.name}{suffix}"
