"""`caseweave serve --workers 2`: several processes on one port and one database, as an IT team runs
it on a machine with more than one core. A login made in one process holds in the others; together
the processes let a guesser no further than one process would; SIGTERM stops them all."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.auth.helpers import PASSWORD, add_users

WAIT = 120  # seconds: only a guard against hanging when something is broken, never a measured time
WORKERS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.fixture
def served(db: Database, settings: Settings, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    add_users(db, settings, {"analyst.home": "analyst"})
    port = free_port()
    env = {**os.environ, "CASEWEAVE_DATABASE_URL": settings.database_url}
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "caseweave.cli.main",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the teardown ends the workers too
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while len(children(server.pid)) < WORKERS or not _healthy(url):
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        yield url, server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def fresh_connection(url: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    """Each request on a new connection, so that the requests land on the processes in turn."""
    with httpx.Client(base_url=url, timeout=WAIT) as client:
        return client.request(method, path, **kwargs)  # type: ignore[arg-type]


def test_a_login_made_in_one_process_holds_in_every_other(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = served
    login = fresh_connection(
        url, "POST", "/auth/login", json={"username": "analyst.home", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    answers = [fresh_connection(url, "GET", "/auth/me", headers=bearer) for _ in range(12)]
    assert [answer.status_code for answer in answers] == [200] * 12
    assert {answer.json()["username"] for answer in answers} == {"analyst.home"}


def test_the_processes_together_let_a_guesser_no_further_than_one(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = served
    guess = {"username": "analyst.home", "password": "not the password at all"}
    statuses = [fresh_connection(url, "POST", "/auth/login", json=guess).status_code for _ in range(16)]
    assert set(statuses) == {401, 429}
    assert statuses.count(401) <= Settings().lockout_after


def test_sigterm_stops_every_process(served: tuple[str, subprocess.Popen[bytes]]) -> None:
    _, server = served
    server.send_signal(signal.SIGTERM)
    assert server.wait(WAIT) == 0
    deadline = time.monotonic() + WAIT
    while (left := processes_in_group(server.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def processes_in_group(group: int) -> list[str]:
    """Live processes of a process group, by name."""
    alive = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                alive.append(status.parent.name)
    return alive
