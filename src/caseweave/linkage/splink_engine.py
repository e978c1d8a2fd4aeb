"""Running the person model on Splink: DuckDB in memory (default), or Spark local for national scale.

Features are always built in one in-memory DuckDB connection per run (linkage.features); the
Spark engine then reads them from Arrow. Training and scoring are the same code on both engines.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker
from splink.internals.splink_dataframe import SplinkDataFrame

from caseweave.errors import Invalid
from caseweave.linkage import splink_settings as model

ENGINES = ("duckdb", "spark")
U_MAX_PAIRS = 1e6  # random pairs for the u probabilities
EM_MAX_PAIRS = 5e6  # blocked pairs per EM session, for operations of more than EM_SAMPLE_ABOVE records
EM_SAMPLE_ABOVE = 200_000
M_FLOOR = 0.005  # no level is impossible for one person (typos, moves, new accounts): see complete()
U_MIN_PAIRS = 100  # random pairs that state a comparison's fields, fewer of which estimate no u
SPARK_MEMORY = "4g"
RECORDS = "records"  # the features table
_QUIET = logging.ERROR  # Splink warns of levels a small operation never shows; complete() fills them


class NotTrainable(Exception):
    """The operation's records give Splink nothing to learn from (too few, or no pairs)."""


@dataclass(frozen=True)
class ScoredPair:
    a_id: int
    b_id: int
    match_weight: float
    match_probability: float
    contributions: dict[str, dict[str, Any]]


class Engine:
    """One run's backend: the DuckDB connection holding the features, and Splink's API for the
    engine that scores them (DuckDB itself, or a Spark session reading the features)."""

    def __init__(self, name: str, con: duckdb.DuckDBPyConnection, api: Any) -> None:
        self.name, self.con, self.api = name, con, api
        self._tables = 0
        self._spark_records: Any = None

    @property
    def dialect(self) -> str:
        return "spark" if self.name == "spark" else "duckdb"

    def frame(self, where: str | None = None) -> SplinkDataFrame:
        """The features (or those matching a SQL condition) as a table of the engine: a DuckDB view,
        or a Spark frame read once from DuckDB through Arrow."""
        self._tables += 1
        name = f"{RECORDS}_{self._tables}"
        if self.name == "spark":
            if self._spark_records is None:
                table = self.con.sql(f"SELECT * FROM {RECORDS}").to_arrow_table()
                self._spark_records = self.api.spark.createDataFrame(table)
            frame = self._spark_records if where is None else self._spark_records.filter(where)
            return self.api.register(frame, dataset_display_name=name)  # type: ignore[no-any-return]
        condition = f" WHERE {where}" if where else ""
        self.con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {RECORDS}{condition}")
        return self.api.register(name)  # type: ignore[no-any-return]

    def table(self, name: str) -> SplinkDataFrame:
        """A DuckDB table of feature rows, as Splink's input."""
        return self.api.register(name)  # type: ignore[no-any-return]


@contextmanager
def open_engine(name: str) -> Iterator[Engine]:
    """An in-memory DuckDB connection, and for "spark" a local[2] session (stopped afterwards)."""
    if name not in ENGINES:
        raise Invalid(f"unknown engine {name!r}", field="engine", hint=" or ".join(ENGINES))
    con = duckdb.connect(":memory:")
    try:
        if name == "duckdb":
            yield Engine(name, con, DuckDBAPI(connection=con))
            return
        with _spark() as api:
            yield Engine(name, con, api)
    finally:
        con.close()


@contextmanager
def _spark() -> Iterator[Any]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise Invalid(
            "the spark engine needs pyspark",
            field="engine",
            hint="pip install 'caseweave[spark]' (and Java 17)",
        ) from None
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    scratch = tempfile.mkdtemp(prefix="caseweave-spark-")
    # Spark keeps the first session's local folder for the life of its JVM: a later session in
    # the same process makes it again. So it is removed after each session and when Python exits.
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    try:
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("caseweave-linkage")
            .config("spark.jars", similarity_jar_location())  # Jaro-Winkler and friends as UDFs
            .config("spark.sql.shuffle.partitions", "8")  # the default 200 crawls on one machine
            .config("spark.default.parallelism", "8")
            .config("spark.driver.memory", SPARK_MEMORY)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.local.dir", scratch)
            .config("spark.sql.warehouse.dir", f"{scratch}/warehouse")
            .getOrCreate()
        )
        try:
            spark.sparkContext.setLogLevel("ERROR")
            spark.sparkContext.setCheckpointDir(f"{scratch}/checkpoints")
            yield SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
        finally:
            spark.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def train(engine: Engine, records: int) -> dict[str, Any]:
    """Train the person model on the features; returns Splink's model dict, completed and checked."""
    # Sampling the blocked pairs only pays at national scale; below it, EM's sample of a small
    # block can drive an m probability under float range (Splink then refuses the session).
    em_max_pairs = EM_MAX_PAIRS if records > EM_SAMPLE_ABOVE else None
    linker = Linker(engine.frame(), model.settings_creator(), log_level=_QUIET)
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match(model.PRIOR_RULES, recall=model.PRIOR_RECALL)
    except (ValueError, ZeroDivisionError) as error:
        raise NotTrainable(f"no record pairs to estimate the prior from ({error})") from None
    prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    if not 0 < prior < 1:
        raise NotTrainable("no two records share a name and date of birth, or a handle")
    training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=1)
    sessions = 0
    for rule in model.EM_BLOCKING:
        # A session removes the comparisons its blocking rule fixes and puts them back only when
        # it succeeds: keep the model as it was, to restore it if the session fails.
        before = deepcopy(linker._settings_obj.core_model_settings)
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=em_max_pairs
            )
        except Exception as error:  # Splink raises assorted errors where a block holds too little
            linker._settings_obj.core_model_settings = before
            logging.getLogger(__name__).warning("EM session %s skipped: %s", rule, error)
            continue
        sessions += 1
    if not sessions:
        raise NotTrainable("no blocked pairs to estimate the m probabilities from")
    sampled = min(U_MAX_PAIRS, records * (records - 1) / 2)
    silent = sparse(engine, records, sampled)
    if silent:
        logging.getLogger(__name__).info("too few records state %s: no weight", ", ".join(silent))
    return model.check_model(complete(linker.misc.save_model_to_json(), sampled, silent), engine.dialect)


def sparse(engine: Engine, records: int, sampled_pairs: float) -> list[str]:
    """Comparisons whose fields so few records state that the random pairs held fewer than
    U_MIN_PAIRS pairs stating them on both sides: their u is noise (2 records with a flat number,
    one person: "same flat" looks as common as anything). Most referrals state no address.
    A record states a comparison's fields where the pair of it with itself is not at the null level."""
    out = []
    for comparison in model.settings_creator().get_settings("duckdb").comparisons:
        missing = [level.sql_condition for level in comparison.comparison_levels if level.is_null_level]
        if not missing:
            continue
        columns = sorted({column.input_name for column in comparison._input_columns_used_by_case_statement})
        as_pair = ", ".join(f'"{column}" AS "{column}_l", "{column}" AS "{column}_r"' for column in columns)
        [(stating,)] = engine.con.execute(  # fetchall: a half-read result blocks the connection
            f"SELECT count(*) FROM (SELECT {as_pair} FROM {RECORDS}) WHERE NOT ({' OR '.join(missing)})"
        ).fetchall()
        share = stating / max(records, 1)
        if sampled_pairs * share * share < U_MIN_PAIRS:
            out.append(comparison.output_column_name)
    return out


def complete(trained: dict[str, Any], sampled_pairs: float, silent: Sequence[str] = ()) -> dict[str, Any]:
    """Give every level usable parameters. EM drives the m of a level it never saw a match in to 0
    (a weight of -100 that no other evidence outweighs): m is at least M_FLOOR, renormalised. A
    level no random pair reached gets u = 1 / the pairs sampled (it is at most that rare). The
    comparisons in `silent` get m = u at every level: a weight of 0, as if the field were missing."""
    for comparison in trained["comparisons"]:
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        for lvl in levels:
            lvl["m_probability"] = max(float(lvl.get("m_probability") or 0.0), M_FLOOR)
            if not lvl.get("u_probability"):
                lvl["u_probability"] = 1 / max(sampled_pairs, 1.0)
        if comparison["output_column_name"] in silent:
            for lvl in levels:
                lvl["m_probability"] = lvl["u_probability"]
            continue
        total = sum(lvl["m_probability"] for lvl in levels)
        for lvl in levels:
            lvl["m_probability"] /= total
    return trained


def scoring_linker(engine: Engine, trained: dict[str, Any], records: SplinkDataFrame) -> Linker:
    """A linker with this code's comparisons and the trained parameters (raises on a bad model)."""
    return Linker(records, model.with_parameters(trained, engine.dialect), log_level=_QUIET)


def predict(
    engine: Engine, linker: Linker, new_ids: Sequence[int] | None, *, threshold: float
) -> list[ScoredPair]:
    """Pairs at or above the match weight threshold: all blocked pairs of the operation (new_ids
    None), or the new records against all others and among themselves.

    A full run on DuckDB goes in two passes: the pairs are found by the same model without the
    columns that explain them (Splink would carry every compared value of both records through
    each blocked pair; without them it scores twice as fast), then only the pairs found are scored
    again with their comparison levels. Both passes compute the same weights. New records are
    scored in one pass: a few hundred thousand blocked pairs gain less than a second linker costs."""
    settings = model.settings_dict(engine.dialect)
    labels = model.level_labels(settings)
    two_pass = engine.name == "duckdb" and new_ids is None
    finder = _finder(engine, linker) if two_pass else linker
    for column in model.TF_COLUMNS:  # term frequencies of the whole operation, in both passes
        table = linker.table_management.compute_tf_table(column)
        if finder is not linker:
            finder.table_management.register_term_frequency_lookup(table, column)
    if new_ids is None:
        frames = [finder.inference.predict(threshold_match_weight=threshold, warning_mode="never")]
    else:
        if engine.name == "duckdb":
            new, old = _new_and_candidates(
                engine, new_ids, settings["blocking_rules_to_generate_predictions"]
            )
        else:
            ids = ", ".join(str(int(i)) for i in new_ids)
            new = engine.frame(f"unique_id IN ({ids})")
            old = engine.frame(f"unique_id NOT IN ({ids})")
        frames = [
            finder.inference.predict_between(
                old, new, threshold_match_weight=threshold, warning_mode="never"
            ),
            finder.inference.predict_within(new, threshold_match_weight=threshold, warning_mode="never"),
        ]
    if two_pass:
        frames = [_explained(engine, linker, frames, threshold)]
    pairs: dict[tuple[int, int], ScoredPair] = {}
    for frame in frames:
        for pair in _read(engine, frame, labels):
            pairs[(pair.a_id, pair.b_id)] = pair
    return sorted(pairs.values(), key=lambda p: (p.a_id, p.b_id))


def _finder(engine: Engine, linker: Linker) -> Linker:
    """The linker's model without its explaining columns: match weights only."""
    settings = linker.misc.save_model_to_json()
    settings["retain_matching_columns"] = False
    settings["retain_intermediate_calculation_columns"] = False
    return Linker(engine.frame(), settings, log_level=_QUIET)


def _explained(
    engine: Engine, linker: Linker, found: Sequence[SplinkDataFrame], threshold: float
) -> SplinkDataFrame:
    """The pairs found, scored again by the explaining linker (Splink scores exactly the blocked
    pairs registered with it)."""

    def pairs(frame: SplinkDataFrame) -> str:
        columns = {row[0] for row in engine.con.execute(f"DESCRIBE {frame.physical_name}").fetchall()}
        key = "match_key" if "match_key" in columns else "'0' AS match_key"
        return (
            f"SELECT {key}, unique_id_l AS join_key_l, unique_id_r AS join_key_r FROM {frame.physical_name}"
        )

    union = " UNION ALL ".join(pairs(frame) for frame in found)
    engine.con.execute(f"CREATE OR REPLACE TEMP TABLE _found_pairs AS {union}")
    for frame in found:
        frame.drop_table_from_database_and_remove_from_cache()
    linker.table_management.register_blocked_pairs_for_predict(engine.api.register("_found_pairs"))
    return linker.inference.predict(threshold_match_weight=threshold, warning_mode="never")


def _new_and_candidates(
    engine: Engine, new_ids: Sequence[int], rules: Sequence[dict[str, Any]]
) -> tuple[SplinkDataFrame, SplinkDataFrame]:
    """The new records, and the others that share a blocking key with one of them: each blocking
    rule joined once with the new records, in DuckDB, before Splink blocks and scores. Splink then
    finds exactly the pairs it would find among all other records (the rules are the same), but
    builds its per-record tables for these few instead of the whole operation (at a million
    records, half the time of linking ten thousand new ones)."""
    con = engine.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _new_ids AS SELECT unnest(?::BIGINT[]) AS unique_id", [list(new_ids)]
    )
    scored = f"* EXCLUDE ({', '.join(model.UNSCORED_COLUMNS)})"  # a tenth less to copy
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _new_records AS "
        f"SELECT {scored} FROM {RECORDS} WHERE unique_id IN (FROM _new_ids)"
    )

    def exploded(table: str, arrays: Sequence[str]) -> str:
        for column in arrays:  # one array at a time: every combination, as Splink explodes them
            table = f"(SELECT * REPLACE (unnest({column}) AS {column}) FROM {table})"
        return table

    joins = [
        f"SELECT l.unique_id FROM {exploded(RECORDS, rule.get('arrays_to_explode') or [])} l "
        f"JOIN {exploded('_new_records', rule.get('arrays_to_explode') or [])} r ON {rule['blocking_rule']}"
        for rule in rules
    ]
    # The candidates' rows are copied out once: Splink reads its inputs several times, and a view
    # would filter the whole operation's records each time.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _candidate_records AS SELECT {scored} FROM {RECORDS} "
        f"WHERE unique_id IN (SELECT unique_id FROM ({' UNION ALL '.join(joins)}) "
        "WHERE unique_id NOT IN (FROM _new_ids))"
    )
    return engine.table("_new_records"), engine.table("_candidate_records")


def _read(engine: Engine, frame: SplinkDataFrame, labels: dict[str, dict[int, str]]) -> Iterator[ScoredPair]:
    columns = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    plan: list[tuple[str, dict[int, str], bool]] = []  # comparison, its labels, has a tf part
    for name, levels in labels.items():
        tf = name in model.TF_COLUMNS
        columns += [f"gamma_{name}", f"mw_{name}", *([f"mw_tf_adj_{name}"] if tf else [])]
        plan.append((name, levels, tf))
    if engine.name == "duckdb":  # tuples straight from DuckDB: Splink's record dicts cost more than the rest
        rows: Iterable[Sequence[Any]] = engine.con.execute(
            f"SELECT {', '.join(columns)} FROM {frame.physical_name}"
        ).fetchall()
    else:
        rows = (
            [record[column] for column in columns]
            for record in frame.query_sql(f"SELECT {', '.join(columns)} FROM {{this}}").as_record_list()
        )
    for row in rows:
        a, b = sorted((int(row[0]), int(row[1])))
        parts: dict[str, dict[str, Any]] = {}
        at = 4
        for name, levels, tf in plan:
            gamma = int(row[at])
            if gamma != -1:  # -1: one of the records lacks the field, no evidence either way
                weight = float(row[at + 1]) + (float(row[at + 2] or 0.0) if tf else 0.0)
                parts[name] = {"level": levels.get(gamma, str(gamma)), "match_weight": round(weight, 3)}
            at += 3 if tf else 2
        yield ScoredPair(a, b, float(row[2]), float(row[3]), parts)
