"""The SQL of the ``events`` table: batched inserts, newest-first reads and token-usage sums.

The event log (:mod:`actions_core.events`) owns the records' meaning, the background writer and
the report types; this module only says how rows go in and how the sums come out.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from actions_core._store.tables import events as table

__all__ = ["COLUMNS", "EventRows", "UsageRows"]

#: Every column a record may set (``id`` is the database's).
COLUMNS = frozenset(c.name for c in table.columns if c.name != "id")


class UsageRows(NamedTuple):
    """Sums per time bucket, per model and per user; each row has executions, prompt,
    completion, total and estimated (``bucket`` or ``key`` names the group)."""

    buckets: list[sa.Row]
    models: list[sa.Row]
    users: list[sa.Row]


class EventRows:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._columns = [c.name for c in table.columns if c.name != "id"]
        quoted = ", ".join(f'"{name}"' for name in self._columns)
        marks = ", ".join("?" * len(self._columns))
        self._sqlite_insert = f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})"
        #: SQLite only: the connection inserts use; one insert at a time (the event log's
        #: writer role is exclusive), from whichever thread holds that role.
        self._writer: Any = None

    def insert(self, batch: list[dict[str, Any]]) -> None:
        """One transaction; every row carries every column (executemany reads the first).

        On SQLite the rows go straight to the driver, on one kept connection: the executor
        waits for this commit (the ``execute`` record is durable), and SQLAlchemy's statement,
        transaction and pool machinery would cost it more than the commit itself. Callers
        never insert from two threads at once.
        """
        if not self._sqlite:
            with self._engine.begin() as conn:
                conn.execute(table.insert(), batch)
            return
        columns = self._columns
        rows = [tuple(row[name] for name in columns) for row in batch]
        if self._writer is None:  # kept: a pool checkout per commit costs a quarter of it
            self._writer = self._engine.raw_connection()
        conn = self._writer
        try:
            try:
                conn.cursor().executemany(self._sqlite_insert, rows)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        except sqlite3.OperationalError as err:  # the same exception family as the SA path
            raise sa.exc.OperationalError(self._sqlite_insert, None, err) from err
        except sqlite3.DatabaseError as err:
            raise sa.exc.DatabaseError(self._sqlite_insert, None, err) from err

    def not_yet_stored(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` less those already stored (same execution, action and time): what a dead
        process's journal holds that it had not committed yet."""
        missing = []
        with self._engine.connect() as conn:
            for row in rows:
                found = conn.execute(
                    sa.select(table.c.id)
                    .where(
                        (table.c.execution_id == row.get("execution_id"))
                        & (table.c.action == row.get("action"))
                        & (table.c.timestamp_ms == row.get("timestamp_ms"))
                    )
                    .limit(1)
                ).first()
                if found is None:
                    missing.append(row)
        return missing

    def forget_connection(self) -> None:
        """In a forked child: drop (without closing) the parent's insert connection."""
        self._writer = None

    def close(self) -> None:
        """Return the insert connection to the pool."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def recent(
        self,
        *,
        connector_id: str | None,
        space_id: str | None,
        action: str | None,
        limit: int,
        execution_id: str | None = None,
    ) -> list[sa.Row]:
        """Newest first."""
        query = sa.select(table).order_by(table.c.timestamp_ms.desc(), table.c.id.desc())
        if connector_id is not None:
            query = query.where(table.c.connector_id == connector_id)
        if space_id is not None:
            query = query.where(table.c.space_id == space_id)
        if action is not None:
            query = query.where(table.c.action == action)
        if execution_id is not None:
            query = query.where(table.c.execution_id == execution_id)
        with self._engine.connect() as conn:
            return list(conn.execute(query.limit(max(1, int(limit)))).all())

    def usage(
        self,
        *,
        interval_ms: int,
        connector_id: str | None,
        start: datetime | None,
        end: datetime | None,
        space_id: str | None,
        user: str | None,
    ) -> UsageRows:
        """Executions and token sums of ``execute`` records, narrowed by the filters given.

        Every execution counts (a server-log run too); token sums skip rows without tokens, and
        the per-model groups hold only runs that reported tokens (a run without usage has no
        model to speak of)."""
        bucket = table.c.timestamp_ms // interval_ms
        conditions = [table.c.action == "execute"]
        if connector_id is not None:
            conditions.append(table.c.connector_id == connector_id)
        if space_id is not None:
            conditions.append(table.c.space_id == space_id)
        if user is not None:
            conditions.append(table.c.user == user)
        if start is not None:
            conditions.append(table.c.timestamp_ms >= int(start.timestamp() * 1000))
        if end is not None:
            conditions.append(table.c.timestamp_ms < int(end.timestamp() * 1000))
        estimated = sa.case((table.c.usage_estimated.is_(True), table.c.total_tokens), else_=0)
        sums = (
            sa.func.count().label("executions"),
            sa.func.sum(table.c.prompt_tokens).label("prompt"),
            sa.func.sum(table.c.completion_tokens).label("completion"),
            sa.func.sum(table.c.total_tokens).label("total"),
            sa.func.sum(estimated).label("estimated"),
        )
        buckets_query = (
            sa.select(bucket.label("bucket"), *sums)
            .where(*conditions)
            .group_by(bucket)
            .order_by(bucket)
        )
        models_query = (
            sa.select(table.c.model.label("key"), *sums)
            .where(*conditions, table.c.total_tokens.is_not(None))
            .group_by(table.c.model)
        )
        users_query = (
            sa.select(table.c.user.label("key"), *sums).where(*conditions).group_by(table.c.user)
        )
        with self._engine.connect() as conn:
            return UsageRows(
                list(conn.execute(buckets_query).all()),
                list(conn.execute(models_query).all()),
                list(conn.execute(users_query).all()),
            )
