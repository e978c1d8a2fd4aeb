"""The person model's features, kept between runs in one DuckDB file per operation.

Deriving features (`linkage.features.stream_features`: names split and folded, handles and their
cores, IP-days and IP-weeks) is Python per record and sighting; at a million person records it was
most of a run, and an incremental run paid it for every stored record to link a few new ones.
Person records and their sightings are stored once and never change (a referral is immutable), so
neither do their features, unless the code that derives them, the warning lists or the settings
change. The file holds:

  raw      each record's features as derived (features.SCHEMA), over-correlating values included;
  counts   per array and value key, how many records hold it (an IP-day's key is its address),
           as rows to add up: an append adds rows instead of updating them in place, which
           would have DuckDB rewrite much of the table at each commit (they are added up again
           once appends have doubled the table);
  over_limit  the keys more than `link_max_persons_per_value` records hold;
  records  what the model reads (linkage.feature_sql): raw with values held by more than
           `link_max_persons_per_value` records left out, block tokens, first e-mail / handle / IP;
  meta     what it was built from (a fingerprint) and how far (the watermark).

Each run compares the fingerprint (the code that derives features, the enabled warning lists, the
IP tolerance, the over-correlation limit, the operation) and the watermark with the database, in a few indexed
queries: the count and id sum of the records up to the cached highest id (a record removed, or
cached by a run whose transaction was rolled back), the creation time of the highest cached record
(SQLite gives a rolled-back transaction's ids to the next records), and any sighting added since to
a cached record (a full run as well; `rebuild` forces a fresh file). If all agree, only records with a higher
id are derived and appended: their values' counts are added, and the cached records holding a value
that has now become over-correlating are rebuilt from raw. Anything else starts the file again. The
records table is therefore always what a fresh load gives (tests/linkage/test_feature_cache.py).
At a million records the file takes about 0.7 GB.

Without a folder (`Settings.linkage_cache_dir`; by default beside a SQLite database file, none for
a server database), or when another run holds the file or it cannot be used, the same tables are
built in memory (`features.load_features`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseweave.config import Settings
from caseweave.db.engine import beside_sqlite_file
from caseweave.intake.models import PersonRecord, Sighting
from caseweave.linkage import feature_sql, features
from caseweave.linkage.correlation import EXCLUDED_IP_FLAGS
from caseweave.linkage.features import (
    CHUNK,
    Excluded,
    stream_features,
    to_arrow,
)
from caseweave.linkage.models import Warninglist, WarninglistEntry
from caseweave.operations.models import Operation

FORMAT = "caseweave.features/2"
CACHE = "fc"  # the attached file's name in the run's DuckDB connection

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    records: int  # rows of the features table
    how: str  # "built", "appended N", "unchanged", "in memory" (+ why)


def cache_dir(settings: Settings) -> Path | None:
    """Where the operations' feature files live: the setting, else beside a SQLite file, else none."""
    if not settings.linkage_feature_cache:
        return None
    if settings.linkage_cache_dir:
        return Path(settings.linkage_cache_dir)
    return beside_sqlite_file(settings.database_url, ".linkage-cache")


def cache_path(settings: Settings, operation_id: int) -> Path | None:
    folder = cache_dir(settings)
    return None if folder is None else folder / f"operation-{operation_id}.duckdb"


def invalidate(settings: Settings, operation_id: int) -> None:
    """Forget an operation's cached features (for code that ever deletes or alters stored records)."""
    path = cache_path(settings, operation_id)
    if path is not None:
        _remove(path)


def prepare_features(
    con: duckdb.DuckDBPyConnection,
    table: str,
    session: Session,
    settings: Settings,
    operation_id: int,
    *,
    excluded: Excluded,
    rebuild: bool = False,
) -> Prepared:
    """Make `table` in con hold the operation's features (as features.load_features builds them):
    a view on the operation's cache file, brought up to date first (rebuilt from SQL when `rebuild`,
    as a full run does), or an in-memory table."""
    work = start_features(con, table, session, settings, operation_id, excluded=excluded, rebuild=rebuild)
    prepared = work.finish_or_in_memory()
    work.checkpoint()
    return prepared


class CacheFailed(Exception):
    """The cache file failed while new records were merged into it; it was removed."""


def start_features(
    con: duckdb.DuckDBPyConnection,
    table: str,
    session: Session,
    settings: Settings,
    operation_id: int,
    *,
    excluded: Excluded,
    rebuild: bool = False,
) -> FeatureWork:
    """prepare_features in two steps. This one does what needs the session: the checks, a rebuild,
    and reading the records to append. `finish()` of what it returns merges those into the file,
    DuckDB work without the session, so another thread can do it while this one uses the session;
    if the file fails there, it raises CacheFailed and `in_memory()` (with the session) builds the
    table instead."""
    store = _Store(
        session,
        operation_id,
        excluded=excluded,
        max_records=settings.link_max_persons_per_value,
        margin=timedelta(hours=settings.link_ip_tolerance_hours / 2),
    )
    path = cache_path(settings, operation_id)
    work = FeatureWork(con, table, store, path)
    if path is None:
        work.done = work.in_memory("no cache folder")
        return work
    try:
        work.merge = _refreshed(con, path, store, rebuild=rebuild)
    except (OSError, duckdb.Error) as error:  # held by another run, damaged, disk full …
        work.done = work.in_memory(_not_used(path, error))
    return work


class FeatureWork:
    """What start_features left to do: merging into the cache file, or nothing (`done`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, store: _Store, path: Path | None) -> None:
        self.con, self.table, self.store, self.path = con, table, store, path
        self.merge: Callable[[], str] = lambda: "unchanged"
        self.done: Prepared | None = None
        self.failed: str | None = None  # why the file failed in the merge
        self.merged = False  # the table is a view on the file

    def finish(self) -> Prepared:
        """The merge done (once); CacheFailed if the file failed (then and on every later call)."""
        if self.done is None:
            if self.failed is not None:
                raise CacheFailed(self.failed)
            try:
                how = self.merge()
            except (OSError, duckdb.Error) as error:
                self.failed = _not_used(self.path, error)
                raise CacheFailed(self.failed) from error
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {self.table} AS SELECT * FROM {CACHE}.records")
            self.done, self.merged = Prepared(self.store.count(self.con, CACHE), how), True
        return self.done

    def finish_or_in_memory(self) -> Prepared:
        """finish(), or if the file failed, the table built in memory (with the session)."""
        try:
            return self.finish()
        except CacheFailed as error:
            self.done = self.in_memory(str(error))
            return self.done

    def in_memory(self, reason: str) -> Prepared:
        return Prepared(_build_in_memory(self.con, self.table, self.store), f"in memory ({reason})")

    def checkpoint(self) -> None:
        """Write what was committed from the write-ahead log into the cache file (DuckDB alone: a
        caller may do it on another thread while it stores links; closing would do it too)."""
        if self.merged:
            self.con.execute(f"CHECKPOINT {CACHE}")


def _not_used(path: Path | None, error: BaseException) -> str:
    reason = f"cache not used: {str(error).splitlines()[0]}"
    log.warning("feature cache %s: %s", path, reason)
    return reason


def _refreshed(
    con: duckdb.DuckDBPyConnection, path: Path, store: _Store, *, rebuild: bool
) -> Callable[[], str]:
    """Attach the operation's file and check it; rebuild it now, or read the records to append and
    return the merge. A file to rebuild (or a damaged one) is started again, so that it never keeps
    the space of what it held before; one that fails later is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"ATTACH '{quoted}' AS {CACHE}")
        reason = "asked to rebuild" if rebuild else store.stale(con, CACHE)
    except duckdb.Error as error:
        if "lock" in str(error).lower() or "conflict" in str(error).lower():
            raise  # another run holds it
        log.warning("feature cache %s is unreadable (%s): started again", path, error)
        reason = "the file could not be read"

    def removed_on_failure(work: Callable[[], T]) -> T:
        try:
            return work()
        except duckdb.Error:
            con.execute(f"DETACH DATABASE IF EXISTS {CACHE}")
            _remove(path)  # what it holds can no longer be vouched for
            raise

    if reason is None:
        merge = removed_on_failure(lambda: store.read_new(con, CACHE))
        return lambda: removed_on_failure(merge)

    def started_again() -> str:
        if any(
            row[0] == CACHE for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
        ):
            con.execute(f"DETACH {CACHE}")
        _remove(path)
        con.execute(f"ATTACH '{quoted}' AS {CACHE}")
        return store.rebuild(con, CACHE, reason)

    how = removed_on_failure(started_again)
    return lambda: how


def _remove(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


def build_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    session: Session,
    operation_id: int,
    *,
    excluded: Excluded,
    max_records: int,
    margin: timedelta,
    chunk: int = CHUNK,
) -> int:
    """Table `table` with the operation's features, built afresh in memory (features.load_features)."""
    store = _Store(
        session, operation_id, excluded=excluded, max_records=max_records, margin=margin, chunk=chunk
    )
    return _build_in_memory(con, table, store)


def _build_in_memory(con: duckdb.DuckDBPyConnection, table: str, store: _Store) -> int:
    con.execute("CREATE SCHEMA IF NOT EXISTS _features_build")
    count = store.build(con, "_features_build")
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _features_build.records")
    con.execute("DROP SCHEMA _features_build CASCADE")
    return count


class _Store:
    """The raw, counts, records and meta tables of one operation in one DuckDB database."""

    def __init__(
        self,
        session: Session,
        operation_id: int,
        *,
        excluded: Excluded,
        max_records: int,
        margin: timedelta,
        chunk: int = CHUNK,
    ) -> None:
        self.session, self.operation_id, self.chunk = session, operation_id, chunk
        self.excluded, self.max_records, self.margin = excluded, max_records, margin

    def count(self, con: duckdb.DuckDBPyConnection, db: str) -> int:
        return _scalar(con, f"SELECT count(*) FROM {db}.records")

    def _stream(self, after: int) -> Iterable[Any]:
        for rows in stream_features(
            self.session,
            self.operation_id,
            excluded=self.excluded,
            margin=self.margin,
            chunk=self.chunk,
            after=after,
        ):
            yield to_arrow(rows)

    def build(self, con: duckdb.DuckDBPyConnection, db: str) -> int:
        """Every table afresh from SQL; returns the number of records."""
        con.register("_features_chunk", to_arrow([]))
        con.execute(f"CREATE OR REPLACE TABLE {db}.raw AS SELECT * FROM _features_chunk")
        for chunk in self._stream(0):
            con.register("_features_chunk", chunk)
            con.execute(f"INSERT INTO {db}.raw SELECT * FROM _features_chunk")
        con.unregister("_features_chunk")
        con.execute(f"CREATE OR REPLACE TABLE {db}.counts AS {feature_sql.counts(db + '.raw')}")
        over = feature_sql.over_limit(f"{db}.counts", self.max_records)
        con.execute(f"CREATE OR REPLACE TABLE {db}.over_limit AS {over}")
        con.execute(
            f"CREATE OR REPLACE TABLE {db}.records AS "
            f"SELECT * FROM ({feature_sql.filtered(db + '.raw', db + '.over_limit')}) "
            "ORDER BY unique_id"
        )
        return self.count(con, db)

    def rebuild(self, con: duckdb.DuckDBPyConnection, db: str, reason: str) -> str:
        """Build every table afresh from SQL; what was done."""
        con.execute("BEGIN TRANSACTION")
        try:
            self.build(con, db)
            mark = self._sql_watermark(self._max_id(con, db))
            self._commit(con, db, mark, compacted=None)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return f"built ({reason})"

    def read_new(self, con: duckdb.DuckDBPyConnection, db: str) -> Callable[[], str]:
        """Derive the records stored since the cache was made (with the session, here) and return
        their merge into the file (DuckDB alone)."""
        meta = _read_meta(con, db)
        assert meta is not None  # stale() said the file is current
        new = list(self._stream(int(meta["max_id"])))
        top = max((int(pa.compute.max(chunk["unique_id"]).as_py() or 0) for chunk in new), default=0)
        mark = self._sql_watermark(max(int(meta["max_id"]), top))
        self.fingerprint  # noqa: B018 -- worked out now: it reads the session

        def merge() -> str:
            con.execute("BEGIN TRANSACTION")
            try:
                how = self._append(con, db, meta, new)
                self._commit(con, db, mark, compacted=int(meta["counts_compacted"]))
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return how

        return merge

    def _commit(
        self, con: duckdb.DuckDBPyConnection, db: str, sql_mark: dict[str, Any], *, compacted: int | None
    ) -> None:
        """Write the meta table and commit. `compacted`: the counts' rows when they were last added
        up (None: just built); once appends have doubled them, they are added up again."""
        rows = _scalar(con, f"SELECT count(*) FROM {db}.counts")
        if compacted is not None and rows > 2 * compacted:
            con.execute(
                f"CREATE OR REPLACE TABLE {db}.counts AS "
                f"SELECT col, k, sum(n) AS n FROM {db}.counts GROUP BY col, k"
            )
            compacted = None
        if compacted is None:
            compacted = _scalar(con, f"SELECT count(*) FROM {db}.counts")
        [row] = con.execute(f"SELECT count(*), coalesce(sum(unique_id), 0) FROM {db}.raw").fetchall()
        persons, id_sum = (int(value) for value in row)
        meta = {"format": FORMAT, "fingerprint": self.fingerprint, "persons": persons, "id_sum": id_sum}
        _write_meta(con, db, {**meta, **sql_mark, "counts_compacted": compacted})
        con.execute("COMMIT")  # written to the file by FeatureWork.checkpoint, or on closing

    def _max_id(self, con: duckdb.DuckDBPyConnection, db: str) -> int:
        return _scalar(con, f"SELECT coalesce(max(unique_id), 0) FROM {db}.raw")

    def stale(self, con: duckdb.DuckDBPyConnection, db: str) -> str | None:
        """Why the cache in `db` cannot be appended to, or None."""
        meta = _read_meta(con, db)
        if meta is None:
            return "no cache"
        if meta.get("format") != FORMAT or meta.get("fingerprint") != self.fingerprint:
            return "code, warning lists or settings changed"
        op = PersonRecord.operation_id == self.operation_id
        persons, id_sum = self.session.execute(
            select(func.count(), func.coalesce(func.sum(PersonRecord.id), 0)).where(
                op, PersonRecord.id <= meta["max_id"]
            )
        ).one()
        if (persons, id_sum) != (meta["persons"], meta["id_sum"]):
            return "stored records changed"
        if _created(self.session, meta["max_id"]) != meta["top_created"]:
            # SQLite gives the ids of a rolled-back transaction to the next records: the highest
            # cached id is then a new record (or, if not yet reused, missing and counted above)
            return "the last records cached were rolled back"
        late = self.session.scalar(
            select(func.count()).where(
                Sighting.operation_id == self.operation_id,
                Sighting.id > meta["max_sighting_id"],
                Sighting.person_record_id <= meta["max_id"],
            )
        )
        if late:
            return "sightings added to stored records"
        return None

    def _append(
        self, con: duckdb.DuckDBPyConnection, db: str, meta: dict[str, Any], new_rows: list[Any]
    ) -> str:
        """Merge in the records derived above the watermark."""
        con.register("_features_chunk", to_arrow([]))
        con.execute("CREATE OR REPLACE TEMP TABLE _new AS SELECT * FROM _features_chunk")
        for chunk in new_rows:
            con.register("_features_chunk", chunk)
            con.execute("INSERT INTO _new SELECT * FROM _features_chunk")
        con.unregister("_features_chunk")
        new = _scalar(con, "SELECT count(*) FROM _new")
        if not new:
            con.execute("DROP TABLE _new")
            return "unchanged"
        limit = int(self.max_records)
        # the new records' counts beside the stored ones (their rows added up, for these keys only)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _delta AS WITH d AS ({feature_sql.counts('_new')}) "
            "SELECT d.*, coalesce(c.n, 0) AS before FROM d LEFT JOIN ("
            f"  SELECT col, k, sum(n) AS n FROM {db}.counts SEMI JOIN d USING (col, k) GROUP BY col, k"
            ") c ON c.col = d.col AND c.k = d.k"
        )
        # keys held by at most `limit` records until now and by more with the new ones: the stored
        # records holding them lose those values (and blocking on them)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _crossed AS SELECT col, k FROM _delta "
            f"WHERE before <= {limit} AND before + n > {limit}"
        )
        con.execute(f"INSERT INTO {db}.counts SELECT col, k, n FROM _delta")
        con.execute(f"INSERT INTO {db}.over_limit SELECT col, k FROM _crossed")
        con.execute(f"INSERT INTO {db}.raw SELECT * FROM _new")
        crossed = con.execute("SELECT col, list(k) FROM _crossed GROUP BY col").fetchall()
        con.execute("CREATE OR REPLACE TEMP TABLE _redo AS SELECT unique_id FROM _new")
        for column, keys in crossed:
            holders = column
            if column in feature_sql.PERIODS:  # an IP-day's key is its address
                holders = f"list_transform({column}, lambda v: {feature_sql.key(column)})"
            con.execute(
                f"INSERT INTO _redo SELECT unique_id FROM {db}.raw "
                f"WHERE unique_id <= {int(meta['max_id'])} AND list_has_any({holders}, ?)",
                [keys],
            )
        con.execute(f"DELETE FROM {db}.records WHERE unique_id IN (SELECT unique_id FROM _redo)")
        source = f"(SELECT * FROM {db}.raw WHERE unique_id IN (SELECT unique_id FROM _redo))"
        con.execute(f"INSERT INTO {db}.records {feature_sql.filtered(source, db + '.over_limit')}")
        redone = _scalar(con, "SELECT count(DISTINCT unique_id) FROM _redo")
        for name in ("_new", "_delta", "_crossed", "_redo"):
            con.execute(f"DROP TABLE {name}")
        stored_again = redone - new
        return f"appended {new}" + (f", {stored_again} stored records rebuilt" if stored_again else "")

    def _sql_watermark(self, max_id: int) -> dict[str, Any]:
        """The watermark's facts from SQL, for a file whose highest record id is max_id."""
        max_sighting = self.session.scalar(
            select(func.max(Sighting.id)).where(Sighting.operation_id == self.operation_id)
        )
        return {
            "max_id": max_id,
            "top_created": _created(self.session, max_id),
            "max_sighting_id": int(max_sighting or 0),
        }

    @cached_property
    def fingerprint(self) -> str:
        """What the features are derived from besides the records: this code, the IP flags that
        never link, the settings, the enabled warning lists, and the operation itself."""
        digest = hashlib.sha256(FORMAT.encode())
        digest.update(_code().encode())
        digest.update(json.dumps(sorted(EXCLUDED_IP_FLAGS)).encode())
        digest.update(f"{self.max_records}|{self.margin.total_seconds()}".encode())
        created = self.session.scalar(select(Operation.created_at).where(Operation.id == self.operation_id))
        digest.update(f"{self.operation_id}|{created}".encode())
        lists = self.session.execute(
            select(
                Warninglist.id,
                Warninglist.name,
                Warninglist.version,
                Warninglist.list_type,
                Warninglist.selector_types,
                Warninglist.loaded_at,
            )
            .where(Warninglist.enabled.is_(True))
            .order_by(Warninglist.id)
        ).all()
        entries = self.session.execute(
            select(WarninglistEntry.warninglist_id, func.count(), func.max(WarninglistEntry.id))
            .join(Warninglist, Warninglist.id == WarninglistEntry.warninglist_id)
            .where(Warninglist.enabled.is_(True))
            .group_by(WarninglistEntry.warninglist_id)
            .order_by(WarninglistEntry.warninglist_id)
        ).all()
        digest.update(repr([tuple(map(str, row)) for row in [*lists, *entries]]).encode())
        return digest.hexdigest()


@cache
def _code() -> str:
    """The source of what derives the features: linkage.features, the caseweave functions it calls
    (addresses …), linkage.feature_sql and this module."""
    names = {features.__name__, feature_sql.__name__, __name__}
    for value in vars(features).values():
        module = getattr(value, "__module__", None)
        if inspect.isfunction(value) and module and module.startswith("caseweave."):
            names.add(module)
    return "".join(inspect.getsource(sys.modules[name]) for name in sorted(names))


def _created(session: Session, record_id: int) -> str | None:
    created = session.scalar(select(PersonRecord.created_at).where(PersonRecord.id == record_id))
    return None if created is None else created.isoformat()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """An integer a query gives (read to the end: DuckDB keeps a half-read result open)."""
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _read_meta(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, Any] | None:
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [db]
        ).fetchall()
    }
    if not {"meta", "raw", "counts", "over_limit", "records"} <= tables:
        return None
    rows = con.execute(f"SELECT value FROM {db}.meta").fetchall()
    if not rows:
        return None
    meta: dict[str, Any] = json.loads(rows[0][0])
    return meta


def _write_meta(con: duckdb.DuckDBPyConnection, db: str, meta: dict[str, Any]) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {db}.meta (value VARCHAR)")
    con.execute(f"INSERT INTO {db}.meta VALUES (?)", [json.dumps(meta)])
