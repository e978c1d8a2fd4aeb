"""The CLI as an operator uses it: real processes, a real database, one-line errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from caseweave.db.engine import make_engine
from caseweave.db.migrate import head_revision
from caseweave.db.migrations.protect import unprotect_audit_tables
from tests.support.cli import add_agency, cli, fails, ok, one_error_line, run


@pytest.fixture
def gb_unit(database_url: str) -> None:
    """The database holds one agency, GB-OCPU."""
    add_agency(database_url, "GB-OCPU", "GB Unit", "GB")


def test_operator_sets_up_an_operation(database_url: str) -> None:
    assert f"revision {head_revision()}" in ok(database_url, "db", "upgrade")
    add_agency(database_url, "GB-OCPU", "GB Unit", "GB")
    add_agency(database_url, "IE-CUST", "IE Customs", "ie", "--kind", "customs")
    assert "created, led by GB-OCPU" in ok(
        database_url, "operation", "create", "Op Loom", "--lead", "GB-OCPU", "--start", "2026-01-05"
    )
    assert "as partner on 2026-05-01" in ok(
        database_url,
        "membership",
        "add",
        "--operation",
        "Op Loom",
        "--agency",
        "IE-CUST",
        "--joined",
        "2026-05-01",
    )
    ok(
        database_url,
        "user",
        "add",
        "ana.gb",
        "--agency",
        "GB-OCPU",
        "--role",
        "analyst",
        stdin="a long enough passphrase\n",
    )
    generated = ok(
        database_url,
        "user",
        "add",
        "inv.ie",
        "--agency",
        "IE-CUST",
        "--role",
        "investigator",
    )
    assert "password (shown once): " in generated
    listing = ok(database_url, "user", "list")
    assert "ana.gb" in listing and "inv.ie" in listing
    token = ok(database_url, "token", "create", "--for", "ana.gb", "--name", "bot")
    assert "token (shown once): cw_" in token
    assert "revoked" in ok(database_url, "token", "revoke", "1")
    assert "disabled" in ok(database_url, "user", "disable", "inv.ie")
    members = ok(database_url, "membership", "list", "--operation", "Op Loom")
    assert "IE-CUST" in members and "observer" not in members
    assert "audit log intact" in ok(database_url, "audit", "verify")


@pytest.mark.usefixtures("gb_unit")
def test_mistakes_get_one_clear_line(database_url: str) -> None:
    assert "unknown country code 'XY'" in fails(
        database_url, "agency", "add", "XY-1", "--name", "X", "--country", "XY", "--contact", "c"
    )
    assert "already exists" in fails(
        database_url, "agency", "add", "GB-2", "--name", "gb unit", "--country", "GB", "--contact", "c"
    )
    assert "operation 'Op Nowhere' not found" in fails(
        database_url, "membership", "add", "--operation", "Op Nowhere", "--agency", "GB-OCPU"
    )
    assert "is not a date" in fails(
        database_url, "operation", "create", "Op", "--lead", "GB-OCPU", "--start", "May"
    )
    assert "token 7 not found" in fails(database_url, "token", "revoke", "7")
    assert "agency 'NOPE' not found" in fails(
        database_url, "user", "add", "x", "--agency", "NOPE", "--role", "analyst"
    )


@pytest.mark.usefixtures("gb_unit")
def test_audit_verify_exits_non_zero_on_tampering(database_url: str) -> None:
    add_agency(database_url, "CA-OCPU", "CA Unit", "CA")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        unprotect_audit_tables(connection)
        connection.execute(text("UPDATE audit_log SET actor = 'cli:someone-else' WHERE seq = 1"))
    engine.dispose()
    result = cli(database_url, "audit", "verify")
    assert result.returncode == 1
    assert "broken at entry 1" in result.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = cli(f"sqlite:///{tmp_path}/missing-dir/x.db", "agency", "list")
    assert (
        result.returncode == 2
        and "cannot use the database" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_a_number_no_id_can_hold_is_one_line_not_a_traceback(database_url: str) -> None:
    line = one_error_line(run(database_url, "--operator", "membership", "accept", "99999999999999999999"))
    assert "out of range" in line or "not found" in line
