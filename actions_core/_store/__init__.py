"""Persistence: SQLAlchemy Core over SQLite (embedded default) or any SQL database by URL.

``tables`` and ``migrations`` hold the schema; ``connectors`` and ``events`` the SQL of each
table (the tables themselves are ``actions_core._store.tables.connectors`` / ``.events``).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from actions_core._store.migrations import MIGRATIONS, current_version, migrate
from actions_core._store.tables import metadata

__all__ = [
    "MIGRATIONS",
    "current_version",
    "metadata",
    "migrate",
    "open_engine",
    "sqlite_url",
]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def open_engine(url: str) -> sa.Engine:
    """Create the engine and bring the schema up to date.

    SQLite gets WAL (readers never block the writer), a busy timeout (threads wait for the lock
    instead of failing) and foreign keys on.
    """
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    migrate(engine)
    return engine
