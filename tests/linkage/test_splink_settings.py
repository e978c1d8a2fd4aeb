"""The person model's shape and its training: every comparison is trained by some EM session, and a
session Splink refuses leaves the model whole."""

from __future__ import annotations

import logging
import random
import string
from datetime import date, timedelta

import duckdb
import pytest
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.parse_sql import get_columns_used_from_sql

from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import PersonRecord
from caseweave.linkage import splink_settings as model
from caseweave.linkage.features import load_features
from caseweave.linkage.splink_engine import RECORDS, open_engine, train
from tests.linkage.helpers import Row, import_rows
from tests.support.world import build_world


def _blocked_columns(rule: BlockingRuleCreator | str) -> set[str]:
    sql = rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql
    return set(get_columns_used_from_sql(sql, "duckdb"))  # type: ignore[no-untyped-call]


def test_every_comparison_is_trained_by_a_session_that_does_not_block_on_it() -> None:
    """Splink leaves out of an EM session every comparison that reads a column its rule blocks on."""
    settings = model.settings_creator().get_settings("duckdb")
    sessions = [_blocked_columns(rule) for rule in model.EM_BLOCKING]
    for comparison in settings.comparisons:
        used = {column.input_name for column in comparison._input_columns_used_by_case_statement}
        assert any(not used & blocked for blocked in sessions), comparison.output_column_name


def _handle(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=8))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_session_splink_refuses_leaves_its_comparisons_in_the_model(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """No two records share a date of birth, so Splink refuses the EM session blocked on it (no
    pairs), after it has taken the date-of-birth comparison out of the model. Splink puts it back
    only when a session succeeds; train() must restore it, else the model lacks it (ModelError)."""
    world = build_world(db, settings, roles=())
    rng = random.Random(7)
    handles = [_handle(rng) for _ in range(30)]
    rows = [
        Row(f"{n}{side}", username=handle, platform=f"site{side}")
        for n, handle in enumerate(handles)
        for side in "ab"
    ]
    ids = import_rows(db, world.operation_id, "LEAD", "accounts.csv", rows)
    with db.transaction() as session:
        for n, handle in enumerate(handles):
            for side in "ab":  # one person's two accounts: same name, and every birthday its own
                record = session.get(PersonRecord, ids[f"{n}{side}"])
                assert record is not None
                record.given_name, record.family_name = handle[:4].title(), handle[4:].title()
                record.date_of_birth = date(1960, 1, 1) + timedelta(days=2 * n + (side == "b"))
        with open_engine("duckdb") as engine:
            count = load_features(
                engine.con,
                RECORDS,
                session,
                world.operation_id,
                excluded=lambda kind, value: False,
                max_records=25,
            )
            with caplog.at_level(logging.WARNING, logger="caseweave.linkage.splink_engine"):
                trained = train(engine, count)
    refused = [r.getMessage() for r in caplog.records if "EM session" in r.getMessage()]
    assert any("dob" in message and "no record pairs" in message for message in refused), refused
    names = [comparison["output_column_name"] for comparison in trained["comparisons"]]
    assert names == [name for name, _ in model.shape("duckdb")]
    assert "date_of_birth" in names


NAMES = {"given_name", "family_name", "dob"}


def _blocked(left: tuple[str, str], right: tuple[str, str]) -> bool:
    """Whether a prediction blocking rule pairs two records of these (given, family) names alone."""
    con = duckdb.connect()
    for side, (given, family) in (("l", left), ("r", right)):
        con.execute(
            f"CREATE TABLE {side} AS SELECT ?::VARCHAR AS given_name, ?::VARCHAR AS family_name, "
            "NULL::VARCHAR AS dob",
            [given, family],
        )
    rules = [rule.get_blocking_rule("duckdb") for rule in model.PREDICT_BLOCKING]  # type: ignore[union-attr]
    names_only = [r.blocking_rule_sql for r in rules if _blocked_columns(r.blocking_rule_sql) <= NAMES]
    return any(con.execute(f"SELECT count(*) FROM l, r WHERE {sql}").fetchall()[0][0] for sql in names_only)


def test_names_with_a_typo_in_each_are_still_compared() -> None:
    """Names' first two letters alone made 63M candidate pairs at 1M records: the typo rules add
    one name's last two letters. A typo inside each name still makes a candidate pair."""
    assert _blocked(("jonathan", "smithers"), ("jonathon", "smithars"))
    assert _blocked(("jonathan", "smithers"), ("jonathon", "smithers"))
    assert _blocked(("jonathan", "smithers"), ("smithers", "jonathan"))
    assert not _blocked(("jonathan", "smithers"), ("jojo", "smith"))
