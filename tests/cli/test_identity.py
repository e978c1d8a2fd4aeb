"""Who a command acts as (issue 17 point 7): a logged-in user, or the operator when asked for by name.

Real processes on both engines; the logins live in a credentials file under this test's own folder.
"""

from __future__ import annotations

import json
import stat
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, update

from caseweave.actor import Actor, os_account
from caseweave.audit.models import AuditEntry
from caseweave.auth import service as auth
from caseweave.auth.models import Token, User
from caseweave.cli.credentials import database_key
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.runtime import Database
from caseweave.errors import Unauthenticated
from caseweave.operations import service as ops
from tests.support.cli import api_token, one_error_line, run


@dataclass
class People:
    passwords: dict[str, str]
    totp_secret: str  # coord.gb's second factor


@pytest.fixture
def people(db: Database, settings: Settings) -> People:
    """Two agencies; an analyst and an investigator; coordinators with and without a second factor."""
    operator = Actor.cli()
    passwords: dict[str, str] = {}
    with db.transaction() as session:
        for code, country in (("GB-OCPU", "GB"), ("CA-OCPU", "CA")):
            ops.add_agency(
                session,
                operator,
                code=code,
                name=f"{code} unit",
                country=country,
                kind="police",
                contact_point="desk",
            )
        for name, agency, role in (
            ("ana.gb", "GB-OCPU", "analyst"),
            ("inv.ca", "CA-OCPU", "investigator"),
            ("coord.gb", "GB-OCPU", "coordinator"),
            ("coord.ca", "CA-OCPU", "coordinator"),  # has no second factor yet
        ):
            _, generated = auth.add_user(
                session, operator, settings, username=name, agency=agency, roles=[role]
            )
            assert generated is not None
            passwords[name] = generated
        secret = pyotp.random_base32()
        session.execute(update(User).where(User.username == "coord.gb").values(totp_secret=secret))
    return People(passwords, secret)


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """The environment of someone whose configuration lives in tmp_path/config (the default place)."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "CASEWEAVE_CREDENTIALS": ""}


def credentials_file(home: dict[str, str]) -> Path:
    return Path(home["XDG_CONFIG_HOME"]) / "caseweave" / "credentials.json"


def log_in(database_url: str, home: dict[str, str], people: People, name: str, *more: str) -> str:
    result = run(
        database_url, "login", name, "--password-stdin", *more, env=home, stdin=people.passwords[name] + "\n"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def stored_token(database_url: str, home: dict[str, str], name: str) -> str:
    document = json.loads(credentials_file(home).read_text())
    token: str = document["databases"][database_key(database_url)]["tokens"][name]
    return token


def audit_actors(db: Database, after: int = 0) -> list[str]:
    with db.transaction() as session:
        return list(
            session.scalars(select(AuditEntry.actor).where(AuditEntry.seq > after).order_by(AuditEntry.seq))
        )


def last_seq(db: Database) -> int:
    with db.transaction() as session:
        return max(session.scalars(select(AuditEntry.seq)).all(), default=0)


@pytest.mark.usefixtures("people")
def test_naming_a_user_without_their_login_is_refused_and_nothing_is_done_as_them(
    db: Database, database_url: str, home: dict[str, str]
) -> None:
    line = one_error_line(run(database_url, "token", "create", "--name", "x", "--user", "ana.gb", env=home))
    assert line == "error: not logged in as ana.gb — run `caseweave login ana.gb`"
    # Someone else's token in CASEWEAVE_TOKEN does not make anyone ana.gb either.
    other = api_token(database_url, "inv.ca")
    assert other is not None
    line = one_error_line(
        run(
            database_url,
            "--user",
            "ana.gb",
            "token",
            "create",
            "--name",
            "x",
            env={**home, "CASEWEAVE_TOKEN": other},
        )
    )
    assert "not logged in as ana.gb" in line
    assert not {"user:ana.gb", "user:inv.ca"} & set(audit_actors(db))
    with db.transaction() as session:
        assert session.scalar(select(Token.id).where(Token.name == "x")) is None


def test_without_a_login_or_operator_mode_a_command_is_refused(
    database_url: str, home: dict[str, str]
) -> None:
    line = one_error_line(run(database_url, "agency", "list", env=home))
    assert (
        "not logged in to this database" in line and "caseweave login NAME" in line and "--operator" in line
    )
    assert "--operator" in one_error_line(
        run(database_url, "--operator", "--user", "ana.gb", "agency", "list", env=home)
    )


def test_operator_mode_is_asked_for_and_audited_with_the_os_account(
    db: Database, database_url: str, home: dict[str, str]
) -> None:
    added = run(
        database_url,
        "--operator",
        *("agency", "add", "IE-CUST", "--name", "IE Customs", "--country", "IE", "--contact", "desk"),
        env={**home, "USER": "someone-else", "LOGNAME": "someone-else"},
    )
    assert added.returncode == 0, added.stderr
    assert set(audit_actors(db)) == {f"cli:{os_account()}"}
    assert os_account() != "someone-else"
    # Setting up the schema needs no login: it is what an operator does before anyone exists.
    assert run(database_url, "db", "upgrade", env=home).returncode == 0


def test_login_keeps_a_private_file_and_later_commands_act_as_that_user(
    db: Database, database_url: str, home: dict[str, str], people: People
) -> None:
    said = log_in(database_url, home, people, "ana.gb")
    path = credentials_file(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    token = stored_token(database_url, home, "ana.gb")
    assert token.startswith("cw_") and token not in said
    assert people.passwords["ana.gb"] not in path.read_text()

    listing = run(database_url, "user", "list", env=home)
    assert listing.returncode == 0, listing.stderr
    assert "ana.gb" in listing.stdout and "inv.ca" not in listing.stdout  # what an analyst may see
    assert run(database_url, "whoami", env=home).stdout.startswith("ana.gb of GB-OCPU (analyst)")
    before = last_seq(db)
    made = run(database_url, "token", "create", "--name", "mine", env=home)
    assert made.returncode == 0, made.stderr
    assert audit_actors(db, before) == ["user:ana.gb"]

    # A second login is stored beside the first and becomes the default; --user picks the other.
    log_in(database_url, home, people, "inv.ca")
    assert run(database_url, "whoami", env=home).stdout.startswith("inv.ca of CA-OCPU")
    assert run(database_url, "whoami", "--user", "ana.gb", env=home).stdout.startswith("ana.gb of GB-OCPU")
    assert run(database_url, "--user", "ana.gb", "whoami", env=home).stdout.startswith("ana.gb of GB-OCPU")


def test_a_login_readable_by_others_is_refused(
    database_url: str, home: dict[str, str], people: People
) -> None:
    log_in(database_url, home, people, "ana.gb")
    path = credentials_file(home)
    path.chmod(0o644)
    line = one_error_line(run(database_url, "user", "list", env=home))
    assert line == (
        f"error: the credentials file {path} may be read by other accounts (mode 0644) — run `chmod 600 "
        f"{path}` (and log in again if someone else may have read it)"
    )
    refused = run(database_url, "login", "ana.gb", "--password-stdin", env=home, stdin="whatever\n")
    assert "may be read by other accounts" in one_error_line(refused)


def test_logout_revokes_the_session(
    db: Database, database_url: str, home: dict[str, str], people: People
) -> None:
    log_in(database_url, home, people, "ana.gb")
    token = stored_token(database_url, home, "ana.gb")
    ended = run(database_url, "logout", env=home)
    assert ended.returncode == 0, ended.stderr
    assert "logged out ana.gb: session revoked" in ended.stdout
    with db.transaction() as session, pytest.raises(Unauthenticated, match="revoked"):
        auth.authenticate(session, token)
    assert "not logged in to this database" in one_error_line(run(database_url, "user", "list", env=home))
    reused = run(database_url, "user", "list", env={**home, "CASEWEAVE_TOKEN": token})
    assert "CASEWEAVE_TOKEN is no longer valid: unknown or revoked token" in one_error_line(reused)


def test_an_expired_or_revoked_login_is_refused(
    db: Database, database_url: str, home: dict[str, str], people: People
) -> None:
    log_in(database_url, home, people, "ana.gb")
    with db.transaction() as session:
        session.execute(
            update(Token).where(Token.kind == "session").values(expires_at=utcnow() - timedelta(minutes=1))
        )
    line = one_error_line(run(database_url, "user", "list", env=home))
    assert line == (
        "error: the stored login of ana.gb is no longer valid: token expired — run `caseweave login ana.gb`"
    )

    log_in(database_url, home, people, "ana.gb")
    with db.transaction() as session:
        auth.revoke_sessions(session, Actor.cli(), "ana.gb")  # as an agency admin would
    assert "unknown or revoked token" in one_error_line(run(database_url, "user", "list", env=home))


def test_a_wrong_password_stores_nothing(database_url: str, home: dict[str, str], people: People) -> None:
    refused = run(database_url, "login", "ana.gb", "--password-stdin", env=home, stdin="not the password\n")
    assert one_error_line(refused).startswith("error: wrong username, password or one-time code")
    assert not credentials_file(home).exists()
    assert people.passwords["ana.gb"] not in refused.stdout + refused.stderr


def test_a_second_factor_is_asked_for_and_a_new_login_ends_the_one_it_replaces(
    database_url: str, home: dict[str, str], people: People
) -> None:
    password = people.passwords["coord.gb"] + "\n"
    without = run(database_url, "login", "coord.gb", "--password-stdin", env=home, stdin=password)
    assert "wrong username, password or one-time code" in one_error_line(without)
    code = pyotp.TOTP(people.totp_secret).now()
    log_in(database_url, home, people, "coord.gb", "--otp", code)
    first = stored_token(database_url, home, "coord.gb")
    later = pyotp.TOTP(people.totp_secret).at(int(time.time()) + 30)  # a code is used once
    log_in(database_url, home, people, "coord.gb", "--otp", later)
    assert stored_token(database_url, home, "coord.gb") != first
    unenrolled = run(
        database_url,
        "login",
        "coord.ca",
        "--password-stdin",
        env=home,
        stdin=people.passwords["coord.ca"] + "\n",
    )
    assert "your roles need a second factor" in one_error_line(unenrolled)
    reused = run(database_url, "whoami", env={**home, "CASEWEAVE_TOKEN": first})
    assert "unknown or revoked token" in one_error_line(reused)


def test_a_hand_edited_file_never_makes_anyone_someone_else(
    database_url: str, home: dict[str, str], people: People
) -> None:
    log_in(database_url, home, people, "ana.gb")
    path = credentials_file(home)
    document = json.loads(path.read_text())
    other = api_token(database_url, "inv.ca")
    document["databases"][database_key(database_url)]["tokens"]["ana.gb"] = other
    path.write_text(json.dumps(document))
    assert one_error_line(run(database_url, "whoami", env=home)) == (
        "error: not logged in as ana.gb — run `caseweave login ana.gb`"
    )


def test_a_coordinator_enrols_a_second_factor_from_the_command_line(
    db: Database, database_url: str, home: dict[str, str], people: People
) -> None:
    password = people.passwords["coord.ca"] + "\n"
    refused = run(database_url, "login", "coord.ca", "--password-stdin", env=home, stdin=password)
    assert "caseweave totp enrol coord.ca" in one_error_line(refused)
    enrolled = run(database_url, "totp", "enrol", "coord.ca", "--password-stdin", env=home, stdin=password)
    assert enrolled.returncode == 0, enrolled.stderr
    secret = next(line.split(": ")[1] for line in enrolled.stdout.splitlines() if line.startswith("secret"))
    assert "otpauth://totp/" in enrolled.stdout
    wrong = run(
        database_url,
        "totp",
        "confirm",
        "coord.ca",
        "--code",
        "000000",
        "--password-stdin",
        env=home,
        stdin=password,
    )
    assert one_error_line(wrong).startswith("error: wrong username, password or one-time code")
    code = pyotp.TOTP(secret).now()
    confirmed = run(
        database_url,
        "totp",
        "confirm",
        "coord.ca",
        "--code",
        code,
        "--password-stdin",
        env=home,
        stdin=password,
    )
    assert confirmed.returncode == 0, confirmed.stderr
    whoami = run(database_url, "whoami", env=home)
    assert whoami.returncode == 0 and whoami.stdout.startswith("coord.ca of CA-OCPU (coordinator)")
    # A platform admin (here the operator) removes a lost factor; the coordinator must enrol again.
    reset = run(database_url, "--operator", "user", "reset-second-factor", "coord.ca", env=home)
    assert reset.returncode == 0, reset.stderr
    with db.transaction() as session:
        assert session.scalar(select(User.totp_secret).where(User.username == "coord.ca")) is None
    assert "no longer valid" in one_error_line(run(database_url, "whoami", env=home))  # its session ended
