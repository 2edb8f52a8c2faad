"""Pytest fixtures of the real servers (tests/services.py) and of the two store back-ends.

A test module marked ``pytest.mark.both_stores`` runs every test twice, on the embedded SQLite
store and on PostgreSQL: ``make_actions`` then builds ``Actions`` on the back-end of the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import PostgresServer, RedisServer, require, run_postgres, run_redis

STORE_BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_stores: run each test on the SQLite and on the PostgreSQL store"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_stores") is None:
        return
    if "store_backend" not in metafunc.fixturenames:
        metafunc.fixturenames.append("store_backend")
    metafunc.parametrize("store_backend", STORE_BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the session; each test takes its own database from it."""
    try:
        import psycopg  # noqa: F401
    except ImportError as err:
        require("psycopg", str(err))
    try:
        with run_postgres() as server:
            yield server
    except FileNotFoundError as err:
        require("PostgreSQL", f"{err} not found")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        import redis  # noqa: F401
    except ImportError as err:
        require("the redis client", str(err))
    try:
        with run_redis() as server:
            yield server
    except FileNotFoundError as err:
        require("Redis", f"{err} not found")


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh, empty PostgreSQL database."""
    return postgres_server.create_database()


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(store_backend: str, request: pytest.FixtureRequest) -> str | None:
    """None on the embedded default; a fresh PostgreSQL database's URL otherwise."""
    if store_backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return None


@pytest.fixture
def store_url(database_url: str | None, tmp_path) -> str:
    """The URL of an empty store of the run's back-end (a SQLite file, or PostgreSQL)."""
    if database_url is not None:
        return database_url
    from actions_core._store import sqlite_url

    return sqlite_url(tmp_path / "db.sqlite3")
