"""Running `caseweave` as an operator does: a real process against a real database."""

from __future__ import annotations

import os
import subprocess
import sys


def cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEWEAVE_DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "caseweave.cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )


def ok(database_url: str, *args: str, stdin: str = "") -> str:
    result = cli(database_url, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(database_url: str, *args: str) -> str:
    """The one line a refused command prints (exit 2, no traceback)."""
    result = cli(database_url, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def add_agency(database_url: str, code: str, name: str, country: str, *options: str) -> str:
    """`caseweave agency add`, with the duty desk of its country as contact point."""
    fields = ("--name", name, "--country", country, "--contact", f"desk@{country.lower()}")
    return ok(database_url, "agency", "add", code, *fields, *options)
