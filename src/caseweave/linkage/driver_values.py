"""Sighting columns as the database driver gives them, read without SQLAlchemy's per-row type
processing (a run reads millions of rows): flags are JSON text (SQLite) or already a list
(psycopg), times naive UTC text (SQLite) or aware datetimes (psycopg). Select the columns through
`raw` and read them with `flags` and `moment`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import String, type_coerce
from sqlalchemy.sql.elements import ColumnElement


def raw(column: Any) -> ColumnElement[Any]:
    """The column without its type's result processing."""
    return type_coerce(column, String)


@cache
def _flags_of(text: str) -> frozenset[str]:
    return frozenset(json.loads(text) or ())


def flags(stored: Any) -> frozenset[str]:
    if stored is None:
        return frozenset()
    return _flags_of(stored) if isinstance(stored, str) else frozenset(stored)


def moment(stored: Any) -> datetime | None:
    """A stored time as db.base.UTCDateTime reads it: aware UTC."""
    if stored is None:
        return None
    value = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
