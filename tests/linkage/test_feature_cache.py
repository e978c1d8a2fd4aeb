"""The feature cache: an incremental run with it links exactly as one that loads every record afresh,
and whatever it cannot vouch for (records rolled back or gone, warning lists changed, a file another
run holds) is rebuilt or left aside."""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.demo.referrals import import_folder
from caseweave.intake.models import PersonRecord
from caseweave.intake.service import import_referral
from caseweave.linkage import feature_cache, model_store
from caseweave.linkage.feature_cache import CACHE, cache_dir, cache_path, prepare_features
from caseweave.linkage.feature_sql import counts
from caseweave.linkage.features import load_features
from caseweave.linkage.models import Link, Warninglist
from caseweave.linkage.service import RunSummary, link_operation
from caseweave.linkage.splink_engine import RECORDS, open_engine, predict, scoring_linker
from caseweave.linkage.warninglists import build_matcher
from caseweave.operations.models import Operation
from caseweave.synth import write_operation
from tests.linkage.helpers import HEADER, Row, import_rows
from tests.support.roundtrip import demo_operation
from tests.support.world import build_world

SUBJECTS, COUNTRIES, SEED = 50, 5, 9
LATER = ("misp_GB_1.json", "cybertip_0002.xml")  # held back: the new referrals of the incremental runs


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feature-cache")
    write_operation(out / "first", subjects=SUBJECTS, countries=COUNTRIES, seed=SEED)
    (out / "later").mkdir()
    for name in LATER:
        if (out / "first" / name).exists():
            shutil.move(out / "first" / name, out / "later" / name)
    assert any((out / "later").iterdir())
    return out


@dataclass
class Op:
    db: Database
    settings: Settings
    id: int
    files: Path

    def link(self, session: Session, *, full: bool = False, cached: bool = True) -> RunSummary:
        settings = self.settings.model_copy(update={"linkage_feature_cache": cached})
        return link_operation(session, Actor.cli(), settings, self.id, full=full)

    def send_later(self) -> None:
        with self.db.transaction() as session:
            operation = session.get(Operation, self.id)
            assert operation is not None
            import_folder(session, Actor.cli(), operation, self.files / "later", lambda name: None)


@pytest.fixture
def op(db: Database, settings: Settings, files: Path, tmp_path: Path) -> Iterator[Op]:
    cached = settings.model_copy(update={"linkage_cache_dir": str(tmp_path / "features")})
    with db.transaction() as session:
        operation = demo_operation(session)
        import_folder(session, Actor.cli(), operation, files / "first", lambda name: None)
        operation_id = operation.id
    yield Op(db, cached, operation_id, files)


@contextmanager
def _rolled_back(db: Database) -> Iterator[Session]:
    session = db.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _links(session: Session, operation_id: int) -> dict[tuple[int, int], tuple[float, Any]]:
    query = select(Link).where(Link.operation_id == operation_id, Link.kind == "probabilistic")
    return {
        (link.a_id, link.b_id): (round(link.match_weight or 0, 6), link.contributions)
        for link in session.scalars(query)
    }


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    columns = ", ".join(row[0] for row in con.execute(f"DESCRIBE {table}").fetchall())
    return con.execute(f"SELECT {columns} FROM {table} ORDER BY unique_id").fetchall()


def _fresh(session: Session, settings: Settings, operation_id: int) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    matcher = build_matcher(session)
    load_features(
        con,
        "fresh",
        session,
        operation_id,
        excluded=lambda kind, value: matcher.match(kind, value) is not None,
        max_records=settings.link_max_persons_per_value,
    )
    return _rows(con, "fresh")


def _prepared(session: Session, settings: Settings, operation_id: int) -> tuple[str, list[tuple[Any, ...]]]:
    con = duckdb.connect()
    matcher = build_matcher(session)
    prepared = prepare_features(
        con,
        "records",
        session,
        settings,
        operation_id,
        excluded=lambda kind, value: matcher.match(kind, value) is not None,
    )
    rows = _rows(con, "records")
    con.close()
    assert prepared.records == len(rows)
    return prepared.how, rows


def test_an_incremental_run_with_the_cache_links_as_a_fresh_load_does(op: Op) -> None:
    with op.db.transaction() as session:
        op.link(session, full=True)
    path = cache_path(op.settings, op.id)
    assert path is not None and path.exists()
    op.send_later()
    with _rolled_back(op.db) as session:  # the same run twice on the same data
        cached = op.link(session)
        with_cache = _links(session, op.id)
    with _rolled_back(op.db) as session:
        fresh = op.link(session, cached=False)
        without = _links(session, op.id)
    assert cached.probabilistic_links == fresh.probabilistic_links > 0
    assert with_cache == without
    with op.db.transaction() as session:  # the rolled-back run's records are still there: appended
        how, rows = _prepared(session, op.settings, op.id)
        assert how == "unchanged"
        assert rows == _fresh(session, op.settings, op.id)


def test_a_full_run_keeps_a_valid_cache_and_links_as_a_fresh_load_does(
    op: Op, caplog: pytest.LogCaptureFixture
) -> None:
    with op.db.transaction() as session:
        op.link(session, full=True)
    op.send_later()
    with _rolled_back(op.db) as session, caplog.at_level(logging.INFO, "caseweave.linkage"):
        cached = op.link(session, full=True)
        with_cache = _links(session, op.id)
    assert any(" rows, appended " in record.getMessage() for record in caplog.records)
    with _rolled_back(op.db) as session:
        fresh = op.link(session, full=True, cached=False)
        without = _links(session, op.id)
    assert cached.probabilistic_links == fresh.probabilistic_links > 0
    assert with_cache == without


def test_a_value_that_becomes_over_correlating_leaves_the_stored_records_too(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.model_copy(
        update={"linkage_cache_dir": str(tmp_path / "features"), "link_max_persons_per_value": 3}
    )
    world = build_world(db, settings, roles=())
    at = "2025-03-01T10:00:00Z"
    shared = [Row(f"a{n}", username=f"shadowfox{n}", ip="81.2.69.7", at=at) for n in range(3)]
    import_rows(db, world.operation_id, "LEAD", "first.csv", shared)
    with db.transaction() as session:
        how, first = _prepared(session, settings, world.operation_id)
        assert how.startswith("built") and all(row for row in first)
        assert first == _fresh(session, settings, world.operation_id)
    # a fourth holder: 81.2.69.7 is now over-correlating, for the three stored records as well
    import_rows(
        db, world.operation_id, "LEAD", "second.csv", [Row("b", username="other", ip="81.2.69.7", at=at)]
    )
    with db.transaction() as session:
        how, rows = _prepared(session, settings, world.operation_id)
        assert how == "appended 1, 3 stored records rebuilt"
        assert rows == _fresh(session, settings, world.operation_id)


def test_records_rolled_back_or_changed_lists_rebuild_the_cache(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"linkage_cache_dir": str(tmp_path / "features")})
    world = build_world(db, settings, roles=())
    import_rows(
        db, world.operation_id, "LEAD", "first.csv", [Row(f"a{n}", username=f"nightowl{n}") for n in range(4)]
    )
    with db.transaction() as session:
        assert _prepared(session, settings, world.operation_id)[0].startswith("built (no cache)")
    # a referral whose transaction is rolled back after a run cached its records …
    with _rolled_back(db) as session:
        data = HEADER + "".join(Row(f"x{n}", username=f"gone{n}").line() for n in range(2))
        import_referral(
            session, Actor.cli(), world.operation_id, io.BytesIO(data.encode()), "gone.csv", agency="LEAD"
        )
        assert _prepared(session, settings, world.operation_id)[0] == "appended 2"
    # … and others stored since (SQLite hands out the same ids again): the cache is rebuilt
    import_rows(
        db,
        world.operation_id,
        "LEAD",
        "second.csv",
        [Row(f"b{n}", username=f"palemoth{n}") for n in range(3)],
    )
    with db.transaction() as session:
        how, rows = _prepared(session, settings, world.operation_id)
        # SQLite: ids of the rolled-back records given again; PostgreSQL: the cached ones missing
        assert how in {"built (the last records cached were rolled back)", "built (stored records changed)"}
        assert rows == _fresh(session, settings, world.operation_id)
        assert _prepared(session, settings, world.operation_id)[0] == "unchanged"
        # a warning list disabled: values it excluded are evidence again
        junk = session.scalars(select(Warninglist).where(Warninglist.name == "junk-usernames")).first()
        if junk is not None:
            junk.enabled = False
            session.flush()
            how, rows = _prepared(session, settings, world.operation_id)
            assert how == "built (code, warning lists or settings changed)"
            assert rows == _fresh(session, settings, world.operation_id)


def test_a_cache_another_run_holds_is_left_aside(db: Database, settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"linkage_cache_dir": str(tmp_path / "features")})
    world = build_world(db, settings, roles=())
    import_rows(
        db, world.operation_id, "LEAD", "first.csv", [Row(f"a{n}", username=f"wildhare{n}") for n in range(3)]
    )
    path = cache_path(settings, world.operation_id)
    assert path is not None
    path.parent.mkdir(parents=True)
    holder = duckdb.connect()
    holder.execute(f"ATTACH '{path}' AS {CACHE}")
    try:
        with db.transaction() as session:
            how, rows = _prepared(session, settings, world.operation_id)
            assert how.startswith("in memory (cache not used")
            assert rows == _fresh(session, settings, world.operation_id)
    finally:
        holder.close()


def test_where_the_cache_lives(tmp_path: Path) -> None:
    assert cache_dir(Settings(database_url=f"sqlite:///{tmp_path}/cw.db")) == tmp_path / "cw.db.linkage-cache"
    assert cache_dir(Settings(database_url="sqlite:///:memory:")) is None
    assert cache_dir(Settings(database_url="postgresql+psycopg://u@h/db")) is None
    given = Settings(database_url="postgresql+psycopg://u@h/db", linkage_cache_dir=str(tmp_path))
    assert cache_dir(given) == tmp_path
    off = Settings(database_url=f"sqlite:///{tmp_path}/cw.db", linkage_feature_cache=False)
    assert cache_dir(off) is None


def test_new_records_are_scored_against_their_candidates_as_against_everyone(op: Op) -> None:
    """predict() hands Splink only the stored records that share a blocking key with a new one:
    the pairs and their weights are those of predict_between against every other record."""
    with op.db.transaction() as session:
        op.link(session, full=True)
        ids = list(session.scalars(select(PersonRecord.id).where(PersonRecord.operation_id == op.id)))
        model = model_store.load(model_store.latest(session, op.id), "duckdb").model  # type: ignore[arg-type]
        matcher = build_matcher(session)
        with open_engine("duckdb") as engine:
            prepare_features(
                engine.con,
                RECORDS,
                session,
                op.settings,
                op.id,
                excluded=lambda kind, value: matcher.match(kind, value) is not None,
            )
            new_ids = ids[::5]
            linker = scoring_linker(engine, model, engine.frame())
            pairs = predict(engine, linker, new_ids, threshold=-60.0)
            listed = ", ".join(map(str, new_ids))
            everyone = linker.inference.predict_between(
                engine.frame(f"unique_id NOT IN ({listed})"),
                engine.frame(f"unique_id IN ({listed})"),
                threshold_match_weight=-60.0,
                warning_mode="never",
            )
            expected = {
                tuple(sorted((int(row[0]), int(row[1])))): round(float(row[2]), 6)
                for row in everyone.as_duckdbpyrelation()
                .select("unique_id_l, unique_id_r, match_weight")
                .fetchall()
            }
    got = {(pair.a_id, pair.b_id): round(pair.match_weight, 6) for pair in pairs}
    between = {pair: weight for pair, weight in got.items() if not set(pair) <= set(new_ids)}
    assert len(expected) > 80
    assert between == expected


def test_counts_added_up_after_many_appends_still_give_what_a_fresh_load_does(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """Appends add count rows instead of rewriting them; once those have doubled the table they
    are added up again. Either way the features are a fresh load's, and a value four new records
    share at once (limit 3) is left out of them."""
    settings = settings.model_copy(
        update={"linkage_cache_dir": str(tmp_path / "features"), "link_max_persons_per_value": 3}
    )
    world = build_world(db, settings, roles=())
    import_rows(db, world.operation_id, "LEAD", "first.csv", [Row("a", username="greyheron")])
    with db.transaction() as session:
        assert _prepared(session, settings, world.operation_id)[0].startswith("built")
    path = cache_path(settings, world.operation_id)
    assert path is not None
    compacted = [_meta(path)["counts_compacted"]]
    for n in range(6):
        import_rows(db, world.operation_id, "LEAD", f"more{n}.csv", [Row(f"m{n}", username=f"redkite{n}")])
        with db.transaction() as session:
            how, rows = _prepared(session, settings, world.operation_id)
            assert how.startswith("appended 1")
            assert rows == _fresh(session, settings, world.operation_id)
        compacted.append(_meta(path)["counts_compacted"])
    assert len(set(compacted)) > 1  # added up again at least once
    shared = [
        Row(f"s{n}", username=f"bluejay{n}", ip="81.2.69.9", at="2025-03-01T10:00:00Z") for n in range(4)
    ]
    import_rows(db, world.operation_id, "LEAD", "shared.csv", shared)
    with db.transaction() as session:
        how, rows = _prepared(session, settings, world.operation_id)
        assert how == "appended 4"
        assert rows == _fresh(session, settings, world.operation_id)
        assert not any("81.2.69.9" in str(row) for row in rows)
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS {CACHE} (READ_ONLY)")
    summed = con.execute(f"SELECT col, k, sum(n) FROM {CACHE}.counts GROUP BY ALL ORDER BY ALL").fetchall()
    fresh_counts = con.execute(f"SELECT col, k, n FROM ({counts(CACHE + '.raw')}) ORDER BY ALL").fetchall()
    con.close()
    assert summed == fresh_counts


def test_a_cache_that_fails_while_the_model_scores_gives_way_to_a_fresh_load(
    op: Op, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The new records' features are merged into the file on the scoring thread; if the file fails
    there (a full disk, say: faked), the run loads every record afresh and links as it would have."""
    with op.db.transaction() as session:
        op.link(session, full=True)
    op.send_later()
    with _rolled_back(op.db) as session:
        expected = op.link(session, cached=False)
        without = _links(session, op.id)

    def full_disk(*args: Any) -> str:
        raise duckdb.IOException("could not write: No space left on device")

    monkeypatch.setattr(feature_cache._Store, "_append", full_disk)
    with op.db.transaction() as session, caplog.at_level(logging.INFO, "caseweave.linkage"):
        summary = op.link(session)
        assert _links(session, op.id) == without
    assert summary.probabilistic_links == expected.probabilistic_links > 0
    messages = [record.getMessage() for record in caplog.records]
    assert any("rows, in memory (cache not used: could not write: No space left" in m for m in messages)
    path = cache_path(op.settings, op.id)
    assert path is not None and not path.exists()  # what it held can no longer be vouched for


def _meta(path: Path) -> dict[str, Any]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS {CACHE} (READ_ONLY)")
    [(text,)] = con.execute(f"SELECT value FROM {CACHE}.meta").fetchall()
    con.close()
    return json.loads(text)  # type: ignore[no-any-return]
