"""The SQL of the ``events`` table: batched inserts, newest-first reads and token-usage sums.

The event log (:mod:`actions_core.events`) owns the records' meaning, the background writer and
the report types; this module only says how rows go in and how the sums come out.
"""

from __future__ import annotations

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

    def insert(self, batch: list[dict[str, Any]]) -> None:
        """One transaction; every row carries every column (executemany reads the first)."""
        with self._engine.begin() as conn:
            conn.execute(table.insert(), batch)

    def recent(
        self,
        *,
        connector_id: str | None,
        space_id: str | None,
        action: str | None,
        limit: int,
    ) -> list[sa.Row]:
        """Newest first."""
        query = sa.select(table).order_by(table.c.timestamp_ms.desc(), table.c.id.desc())
        if connector_id is not None:
            query = query.where(table.c.connector_id == connector_id)
        if space_id is not None:
            query = query.where(table.c.space_id == space_id)
        if action is not None:
            query = query.where(table.c.action == action)
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
        """Token sums of ``execute`` records that report usage, narrowed by the filters given."""
        bucket = table.c.timestamp_ms // interval_ms
        conditions = [table.c.action == "execute", table.c.total_tokens.is_not(None)]
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
            sa.select(table.c.model.label("key"), *sums).where(*conditions).group_by(table.c.model)
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

    def totals_by_connector(
        self,
        *,
        space_id: str | None,
        start: datetime | None,
        end: datetime | None,
    ) -> dict[str, int]:
        """Total tokens of ``execute`` records per connector id, in one grouped query
        (a page listing many connectors must not ask once per connector)."""
        conditions = [table.c.action == "execute", table.c.total_tokens.is_not(None)]
        if space_id is not None:
            conditions.append(table.c.space_id == space_id)
        if start is not None:
            conditions.append(table.c.timestamp_ms >= int(start.timestamp() * 1000))
        if end is not None:
            conditions.append(table.c.timestamp_ms < int(end.timestamp() * 1000))
        query = (
            sa.select(table.c.connector_id, sa.func.sum(table.c.total_tokens))
            .where(*conditions)
            .group_by(table.c.connector_id)
        )
        with self._engine.connect() as conn:
            return {row[0]: int(row[1] or 0) for row in conn.execute(query)}
