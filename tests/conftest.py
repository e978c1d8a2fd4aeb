"""Every database test runs twice: on a SQLite file and on a real PostgreSQL server.

Migrations run once per engine into a template; each test gets a fresh copy of it (a file copy
on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL), so tests never see each other's rows.
Set CASEWEAVE_TEST_POSTGRES_URL (a server URL with rights to create databases) to use a running
server instead of the throwaway cluster.

Under pytest-xdist (`make test` runs `pytest -n`) each worker is its own process and runs the
session fixtures itself: its own SQLite template under its own tmp_path, its own throwaway cluster
on its own free port, and on a given server databases named with the worker's pid.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from caseweave.api.app import create_app
from caseweave.config import Settings
from caseweave.db.engine import make_engine
from caseweave.db.migrate import upgrade
from caseweave.db.runtime import Database
from tests.support.postgres import Cluster, start_cluster

ENGINES = ("sqlite", "postgresql")
_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow (Spark, minutes) run first, so that under xdist they start at once and the
    other workers share out the rest instead of waiting on one of them at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A server URL (database 'postgres'), started for this run unless one is given."""
    given = os.environ.get("CASEWEAVE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    cluster: Cluster = start_cluster()
    try:
        yield cluster.url("postgres")
    finally:
        cluster.stop()


def _admin_execute(server_url: str, statement: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    name = f"cw_template_{os.getpid()}"
    _admin_execute(postgres_server, f"CREATE DATABASE {name}")
    engine = make_engine(make_url(postgres_server).set(database=name).render_as_string(hide_password=False))
    upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "caseweave.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    name = f"cw_test_{os.getpid()}_{next(_counter)}"
    _admin_execute(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    _admin_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, auto_upgrade=False, lockout_base_seconds=60)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database.open(settings)
    yield database
    database.close()


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(database=db)) as test_client:
        yield test_client
