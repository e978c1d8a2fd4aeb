"""A throwaway PostgreSQL 15 cluster for the test run: initdb, start on a loopback port, stop.

PostgreSQL refuses to run as root, so when the tests run as root (as CI does) the cluster is
initialised and started as the unprivileged user `nobody`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_START_ATTEMPTS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    data_dir: Path
    port: int
    as_user: str | None

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://caseweave@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", self.as_user, "--", *args] if self.as_user else list(args)
        subprocess.run(command, check=True, capture_output=True, text=True)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_cluster() -> Cluster:
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is not on PATH: PostgreSQL 15 server binaries are needed for the tests"
            )
    as_user = "nobody" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="caseweave-pg-"))
    data_dir = root / "data"
    if as_user:
        shutil.chown(root, user=as_user)
        root.chmod(0o755)
    cluster = Cluster(data_dir, _free_port(), as_user)
    try:
        cluster._run(
            "initdb", "-D", str(data_dir), "-U", "caseweave", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        # Under pytest-xdist every worker starts its own cluster: another worker (or anything else)
        # may take the port between _free_port() and the bind, so a refused start tries a new port.
        for attempt in range(_START_ATTEMPTS):
            options = (
                f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {root} -c fsync=off"
                " -c max_connections=200"
            )
            command = ("pg_ctl", "-D", str(data_dir), "-o", options, "-l", str(root / "log"), "-w", "start")
            try:
                cluster._run(*command)
                break
            except subprocess.CalledProcessError:
                if attempt == _START_ATTEMPTS - 1:
                    raise
                cluster.port = _free_port()
    except subprocess.CalledProcessError as error:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {error.stderr}\n{log}") from error
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
            return cluster
        except OSError:
            time.sleep(0.1)
    cluster.stop()
    raise RuntimeError("PostgreSQL did not start listening within 20 s")
