"""Bulk insert through each engine's fast path: sqlite3 `executemany`, PostgreSQL `COPY`.

SQLAlchemy's Core insert spends most of its time building per-row parameter dictionaries; for
million-row imports we apply the columns' own bind processors once per value and hand plain
tuples to the driver, inside the session's open transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import JSON, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any] | None
T = TypeVar("T")


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (all with the same keys) into table, in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0])
    defaults = _defaults(table, given)
    names = given + list(defaults)
    processors = [(i, _processor(table.c[name].type, dialect)) for i, name in enumerate(given)]
    active = [(i, proc) for i, proc in processors if proc is not None]
    # a default is one value for every row (a creation time …): bound once
    extra = [_bound_one(_processor(table.c[name].type, dialect), value) for name, value in defaults.items()]
    tuples = [_bound(active, [*map(row.__getitem__, given), *extra]) for row in rows]
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    driver: Any = connection.connection.driver_connection
    if dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy,
        ):
            for values in tuples:
                copy.write_row(values)
        return
    marks = ", ".join("?" for _ in names)
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})", tuples)
    finally:
        cursor.close()


def _processor(column_type: TypeEngine[Any], dialect: Dialect) -> Processor:
    processor = column_type.bind_processor(dialect)
    if processor is None and isinstance(column_type, JSON):
        # psycopg adapts JSON only for bound parameters; COPY needs the text itself.
        return json.dumps
    return processor


def _bound_one(processor: Processor, value: Any) -> Any:
    return value if processor is None else processor(value)


def _bound(active: Sequence[tuple[int, Callable[[Any], Any]]], values: list[Any]) -> tuple[Any, ...]:
    for index, processor in active:
        values[index] = processor(values[index])
    return tuple(values)


def _defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """Python-side column defaults for columns the rows leave out, as the Core insert would apply."""
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None:
            continue
        arg: Any = getattr(default, "arg", None)
        if getattr(default, "is_scalar", False):
            values[column.name] = arg
        elif getattr(default, "is_callable", False):
            values[column.name] = arg(None)  # SQLAlchemy wraps zero-argument callables to take a context
    return values


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """items in lists of at most size: IN lists and batches kept inside every engine's parameter limit."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def refresh_statistics(session: Session, tables: Iterable[str]) -> None:
    """Let the query planner see what a bulk write just added (ANALYZE, in the open transaction).

    PostgreSQL plans from statistics gathered before the write: tables that grew from nothing to
    millions of rows within one run still look empty, and it scans them whole for every later
    lookup (a 10M-sighting full linkage run spent most of its time that way). SQLite needs no help."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        connection.exec_driver_sql(f"ANALYZE {quote(table)}")
