"""The SQL of queued executions: every state change is one conditional UPDATE.

The executions table, not the broker, is the source of truth: a message only says "look at
execution X". A worker runs X only if its UPDATE moved X from ``queued`` (and due) to ``running``,
so a duplicate or late message runs nothing twice; a ``running`` row carries a lease, and the
sweeper takes back executions whose lease ran out (their worker died).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from actions_core._queue.model import Execution, from_ms, result_from_json
from actions_core._store.tables import executions as table
from actions_core.errors import NotFoundError

__all__ = ["ExecutionStore", "now_ms"]

PENDING = ("queued", "running")


def now_ms() -> int:
    return int(time.time() * 1000)


class ExecutionStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # --- enqueue ---

    def insert(self, values: Mapping[str, Any]) -> bool:
        """Store a new queued execution; False when its id already exists (queued once)."""
        try:
            with self._engine.begin() as conn:
                conn.execute(table.insert().values(**values))
        except sa.exc.IntegrityError:
            return False
        return True

    def count_pending(self) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.scalar(
                    sa.select(sa.func.count()).select_from(table).where(table.c.status.in_(PENDING))
                )
                or 0
            )

    # --- a worker's run ---

    def claim(self, execution_id: str, now: int, lease_ms: int) -> sa.Row | None:
        """Move a due, queued execution to ``running`` for this worker; None if it is not ours."""
        with self._engine.begin() as conn:
            claimed = conn.execute(
                table.update()
                .where(
                    (table.c.id == execution_id)
                    & (table.c.status == "queued")
                    & (table.c.run_at_ms <= now)
                )
                .values(
                    status="running",
                    attempts=table.c.attempts + 1,
                    started_at_ms=now,
                    lease_until_ms=now + lease_ms,
                )
                .returning(*table.c)  # PostgreSQL, and SQLite >= 3.35
            )
            return claimed.one_or_none()

    def row(self, execution_id: str) -> sa.Row | None:
        with self._engine.connect() as conn:
            return conn.execute(sa.select(table).where(table.c.id == execution_id)).one_or_none()

    def finish(self, execution_id: str, attempt: int, status: str, result: Any) -> None:
        self._update_running(
            execution_id,
            attempt,
            status=status,
            result=result,
            finished_at_ms=now_ms(),
            lease_until_ms=None,
        )

    def reschedule(self, execution_id: str, attempt: int, run_at: int, result: Any) -> bool:
        return self._update_running(
            execution_id, attempt, status="queued", result=result, run_at_ms=run_at,
            lease_until_ms=None,
        )  # fmt: skip

    def _update_running(self, execution_id: str, attempt: int, **values: Any) -> bool:
        """Only the attempt that holds the execution may end it (not one the sweeper retook)."""
        with self._engine.begin() as conn:
            done = conn.execute(
                table.update()
                .where(
                    (table.c.id == execution_id)
                    & (table.c.status == "running")
                    & (table.c.attempts == attempt)
                )
                .values(**values)
            )
        return done.rowcount == 1

    # --- the sweeper ---

    def expired_leases(self, now: int, limit: int = 500) -> list[sa.Row[Any]]:
        with self._engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(table)
                    .where((table.c.status == "running") & (table.c.lease_until_ms < now))
                    .limit(limit)
                ).all()
            )

    def retake(self, row: sa.Row, now: int, *, fail_with: Any = None) -> bool:
        """Take a run whose lease expired back: queue it again, or fail it (attempts used up)."""
        values: dict[str, Any] = (
            {"status": "failed", "result": fail_with, "finished_at_ms": now}
            if fail_with is not None
            else {"status": "queued", "run_at_ms": now}
        )
        with self._engine.begin() as conn:
            done = conn.execute(
                table.update()
                .where(
                    (table.c.id == row.id)
                    & (table.c.status == "running")
                    & (table.c.attempts == row.attempts)
                    & (table.c.lease_until_ms < now)
                )
                .values(lease_until_ms=now, **values)
            )
        return done.rowcount == 1

    def stale_queued(self, older_than: int, limit: int = 500) -> list[sa.Row[Any, Any]]:
        """Queued executions due before ``older_than`` and not republished since."""
        marker = sa.func.coalesce(table.c.lease_until_ms, table.c.run_at_ms)
        with self._engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(table.c.id, table.c.run_at_ms)
                    .where((table.c.status == "queued") & (marker < older_than))
                    .order_by(table.c.run_at_ms)
                    .limit(limit)
                ).all()
            )

    def all_queued(self, limit: int = 100_000) -> list[sa.Row[Any, Any]]:
        with self._engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(table.c.id, table.c.run_at_ms)
                    .where(table.c.status == "queued")
                    .order_by(table.c.run_at_ms)
                    .limit(limit)
                ).all()
            )

    def mark_republished(self, execution_id: str, now: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                table.update()
                .where((table.c.id == execution_id) & (table.c.status == "queued"))
                .values(lease_until_ms=now)
            )

    # --- reading ---

    def get(self, execution_id: str) -> Execution:
        row = self.row(execution_id)
        if row is None:
            raise NotFoundError(f"Execution [{execution_id}] not found")
        return to_execution(row)

    def list(
        self,
        *,
        connector_id: str | None = None,
        status: str | None = None,
        space_id: str | None = None,
        limit: int = 100,
    ) -> list[Execution]:
        query = sa.select(table).order_by(table.c.queued_at_ms.desc(), table.c.id)
        if connector_id is not None:
            query = query.where(table.c.connector_id == connector_id)
        if status is not None:
            query = query.where(table.c.status == status)
        if space_id is not None:
            query = query.where(table.c.space_id == space_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(max(1, int(limit)))).all()
        return [to_execution(row) for row in rows]


def to_execution(row: sa.Row) -> Execution:
    return Execution(
        id=row.id,
        connector_id=row.connector_id,
        space_id=row.space_id,
        status=row.status,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        result=result_from_json(row.result),
        queued_at=from_ms(row.queued_at_ms),  # type: ignore[arg-type]
        started_at=from_ms(row.started_at_ms),
        finished_at=from_ms(row.finished_at_ms),
        source=row.source,
    )
