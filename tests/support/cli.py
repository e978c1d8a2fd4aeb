"""Running `caseweave` as people do: a real process against a real database.

`--user NAME` among the arguments runs the command as NAME, logged in: an API token is made for NAME
through the services and handed over in CASEWEAVE_TOKEN. Without it the command runs in the local
operator mode it must ask for (`--operator`). Either way CASEWEAVE_CREDENTIALS points at a file of
the test's own, so a developer's real logins are never read. Tests of logging in itself
(tests/cli/test_identity.py) call `run` with an environment of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from caseweave.actor import Actor
from caseweave.auth import service as auth
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import CaseweaveError

# Never created: commands run through this module read no stored login (and none logs in).
_NO_LOGINS = Path(tempfile.gettempdir()) / "caseweave-tests-without-logins" / "credentials.json"


def run(
    database_url: str, *args: str, env: Mapping[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`caseweave ARGS` exactly as given; `env` is added to a copy of this process's environment."""
    full = {name: value for name, value in os.environ.items() if name != "CASEWEAVE_TOKEN"}
    full.update(
        CASEWEAVE_DATABASE_URL=database_url,
        CASEWEAVE_CREDENTIALS=str(_NO_LOGINS),
        COLUMNS="200",
    )
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "caseweave.cli.main", *args],
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
    )


def cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """As the user named by `--user NAME`, logged in; else as the operator (`--operator`)."""
    name = _user_named(args)
    if name is None:
        return run(database_url, "--operator", *args, stdin=stdin)
    token = api_token(database_url, name)
    return run(database_url, *args, env={"CASEWEAVE_TOKEN": token} if token else {}, stdin=stdin)


def api_token(database_url: str, username: str) -> str | None:
    """A fresh one-day API token for `username`, or None if there is no such (enabled) user: the
    command then runs with no login and is refused, as it would be for anyone."""
    db = Database.open(Settings(database_url=database_url, auto_upgrade=False))
    try:
        with db.transaction() as session:
            issued = auth.create_api_token(
                session, Actor.cli(), db.settings, username=username, name="test cli", days=1
            )
            return issued.secret
    except CaseweaveError:
        return None
    finally:
        db.close()


def ok(database_url: str, *args: str, stdin: str = "") -> str:
    result = cli(database_url, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(database_url: str, *args: str) -> str:
    """The one line a refused command prints (exit 2, no traceback)."""
    return one_error_line(cli(database_url, *args))


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def add_agency(database_url: str, code: str, name: str, country: str, *options: str) -> str:
    """`caseweave agency add`, with the duty desk of its country as contact point."""
    fields = ("--name", name, "--country", country, "--contact", f"desk@{country.lower()}")
    return ok(database_url, "agency", "add", code, *fields, *options)


def _user_named(args: tuple[str, ...]) -> str | None:
    for index, arg in enumerate(args):
        if arg == "--user" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--user="):
            return arg.removeprefix("--user=")
    return None
