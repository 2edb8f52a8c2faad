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
from actions_core._store.tables import events as events_table
from actions_core._store.tables import executions as table
from actions_core.errors import NotFoundError

__all__ = ["Claim", "ExecutionStore", "now_ms"]

PENDING = ("queued", "running")


def now_ms() -> int:
    return int(time.time() * 1000)


class ExecutionStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        #: the same pool, each statement its own transaction (no BEGIN / COMMIT round trips)
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

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

    def claim(self, execution_id: str, now: int, lease_ms: int) -> Claim | None:
        """Move a due, queued execution to ``running`` for this worker; None if it is not ours.

        The claim's transaction stays open: the attempt's ``execute-start`` record commits with
        it (:meth:`Claim.start`), or, when the attempt ends before it started (a connector
        gone, params refused), its end does (:meth:`Claim.end`).
        """
        conn = self._engine.connect()
        try:
            row = conn.execute(
                _CLAIM, {"c_id": execution_id, "c_now": now, "c_lease": now + lease_ms}
            ).one_or_none()
            if row is None:
                conn.rollback()
                conn.close()
                return None
        except BaseException:
            conn.close()  # rolls back
            raise
        return Claim(self, conn, row)

    def row(self, execution_id: str) -> sa.Row | None:
        with self._engine.connect() as conn:
            return conn.execute(sa.select(table).where(table.c.id == execution_id)).one_or_none()

    def end_values(self, status: str, result: Any) -> dict[str, Any]:
        """What ends a running execution for good (``succeeded`` or ``failed``)."""
        return {"status": status, "result": result, "finished_at_ms": now_ms(), "run_at_ms": None}

    def retry_values(self, run_at: int, result: Any) -> dict[str, Any]:
        """What puts a running execution back in the queue for its next attempt at ``run_at``."""
        return {"status": "queued", "result": result, "finished_at_ms": None, "run_at_ms": run_at}

    def end_attempt(
        self,
        conn: sa.Connection | None,
        execution_id: str,
        attempt: int,
        values: Mapping[str, Any],
        record: Mapping[str, Any] | None,
    ) -> bool:
        """Change a running execution (``values``: see :meth:`end_values`, :meth:`retry_values`)
        and store the attempt's ``execute`` record, atomically: the execution never reads as
        ended without the record. Only the attempt that holds the execution may change it (not
        one the sweeper took back); the record is stored either way (the attempt did run).

        In ``conn``'s open transaction if given, else in one statement on PostgreSQL (the
        INSERT in a data-modifying CTE: one round trip), one transaction elsewhere.
        """
        params = {"x_id": execution_id, "x_attempt": attempt, **_END_DEFAULTS}
        params.update({f"x_{k}": v for k, v in values.items()})
        retry = values["status"] == "queued"
        statement = _END[retry]
        if conn is None and record is not None and self._engine.dialect.name == "postgresql":
            params.update({f"e_{k}": v for k, v in record.items()})
            with self._autocommit.connect() as auto:
                return bool(auto.execute(_END_WITH_RECORD[retry], params).rowcount == 1)
        if conn is not None:
            return _end_in(conn, statement, params, record)
        with self._engine.begin() as own:
            return _end_in(own, statement, params, record)

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


#: Built once, as the statements below: SQLAlchemy then reuses its compiled form.
_CLAIM = (
    table.update()
    .where(
        (table.c.id == sa.bindparam("c_id"))
        & (table.c.status == "queued")
        & (table.c.run_at_ms <= sa.bindparam("c_now"))
    )
    .values(
        status="running",
        attempts=table.c.attempts + 1,
        started_at_ms=sa.bindparam("c_now"),
        lease_until_ms=sa.bindparam("c_lease"),
    )
    .returning(*table.c)  # PostgreSQL, and SQLite >= 3.35
)


def _end_statement(retry: bool) -> Any:
    running = (
        (table.c.id == sa.bindparam("x_id"))
        & (table.c.status == "running")
        & (table.c.attempts == sa.bindparam("x_attempt"))
    )
    values: dict[str, Any] = {
        "status": sa.bindparam("x_status", type_=table.c.status.type),
        "result": sa.bindparam("x_result", type_=table.c.result.type),
        "lease_until_ms": None,
    }
    if retry:
        values["run_at_ms"] = sa.bindparam("x_run_at_ms", type_=table.c.run_at_ms.type)
    else:
        values["finished_at_ms"] = sa.bindparam("x_finished_at_ms", type_=sa.BigInteger())
    return table.update().where(running).values(**values)


#: The statements that end an attempt, built once (SQLAlchemy caches their compiled form):
#: [False] ends the execution, [True] queues its next attempt; with the ``execute`` record
#: inserted by a CTE of the same statement (PostgreSQL).
_END = {False: _end_statement(False), True: _end_statement(True)}
_END_DEFAULTS = {"x_finished_at_ms": None, "x_run_at_ms": None}
_RECORD_VALUES = {
    c.name: sa.bindparam(f"e_{c.name}", type_=c.type) for c in events_table.c if c.name != "id"
}
_END_WITH_RECORD = {
    retry: statement.add_cte(events_table.insert().values(**_RECORD_VALUES).cte("execute_record"))
    for retry, statement in _END.items()
}
_INSERT_RECORD = events_table.insert()


def _end_in(
    conn: sa.Connection, statement: Any, params: dict[str, Any], record: Mapping[str, Any] | None
) -> bool:
    if record is not None:
        conn.execute(_INSERT_RECORD, dict(record))
    return bool(conn.execute(statement, params).rowcount == 1)


class Claim:
    """An execution this worker claimed: its row, and the claim's transaction until the
    attempt's start (or end) commits it. ``close`` commits whatever is still open: an attempt
    cut short before it started leaves the execution ``running`` until its lease expires, and
    the sweeper takes it back, as for a worker that died."""

    def __init__(self, store: ExecutionStore, conn: sa.Connection, row: sa.Row) -> None:
        self._store = store
        self._conn: sa.Connection | None = conn
        self.row = row

    def start(self, record: Mapping[str, Any]) -> None:
        """Store the ``execute-start`` record and commit it with the claim (the attempt runs
        once this returns: a worker killed from now on leaves both behind)."""
        conn = self._open()
        try:
            conn.execute(_INSERT_RECORD, dict(record))
        except BaseException:
            self._conn = None
            conn.close()  # rolls the claim back: nothing ran
            raise
        self.close()

    def end(self, values: Mapping[str, Any], record: Mapping[str, Any] | None) -> bool:
        """End the attempt: the execution's new state with its ``execute`` record (see
        :meth:`ExecutionStore.end_attempt`); in the claim's transaction if it is still open."""
        conn = self._conn
        try:
            return self._store.end_attempt(conn, self.row.id, self.row.attempts, values, record)
        finally:
            if conn is not None:
                self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.commit()
            finally:
                conn.close()

    def _open(self) -> sa.Connection:
        if self._conn is None:
            raise RuntimeError("the claim is already committed")
        return self._conn
