"""The event log: ``execute-start`` / ``execute`` records and token-usage queries.

Records are handed to a background writer that inserts them in batches, so writing the log costs
an execution a queue put instead of a transaction. Queries flush first, so a caller always reads
its own writes; ``close()`` (and interpreter exit) flushes what is left.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from actions_core._store import events as table

__all__ = ["Event", "EventLog", "UsageBucket", "UsageGroup", "UsageReport"]

_log = logging.getLogger("actions_core.events")
_BATCH = 500
_LINGER = 0.02  # seconds the writer waits to fill a batch
_FLUSH = {"__marker__": "flush"}
_STOP = {"__marker__": "stop"}
_open_logs: weakref.WeakSet[EventLog] = weakref.WeakSet()
_COLUMNS = frozenset(c.name for c in table.columns if c.name != "id")


@dataclass(frozen=True)
class Event:
    """One event record."""

    timestamp: datetime
    action: str
    execution_id: str
    connector_id: str
    connector_name: str | None
    action_type_id: str
    space_id: str
    is_preconfigured: bool
    source: str | None
    user: str | None
    outcome: str | None
    duration_ms: float | None
    message: str | None
    error_message: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    usage_estimated: bool | None
    model: str | None
    request_body_bytes: int | None
    #: queued executions only: the attempt number and the enqueue-to-start delay
    attempt: int | None = None
    schedule_delay_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["timestamp"] = self.timestamp.isoformat()
        return data


@dataclass
class UsageBucket:
    start: datetime
    executions: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    estimated_total_tokens: int = 0


@dataclass
class UsageGroup:
    """Token usage summed over one value of a dimension (a model, or the user / API key)."""

    key: str | None
    executions: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    estimated_total_tokens: int = 0


@dataclass
class UsageReport:
    """Token usage over time: totals plus one bucket per interval that had executions.

    ``by_model`` maps each model to its total tokens; ``models`` and ``users`` hold the full
    sums per model and per user (the event's ``user``: an API key id or a user name), largest
    total first.
    """

    connector_id: str | None
    interval_seconds: int
    buckets: list[UsageBucket] = field(default_factory=list)
    by_model: dict[str, int] = field(default_factory=dict)
    models: list[UsageGroup] = field(default_factory=list)
    users: list[UsageGroup] = field(default_factory=list)

    @property
    def totals(self) -> UsageBucket:
        total = UsageBucket(self.buckets[0].start if self.buckets else datetime.now(UTC))
        for bucket in self.buckets:
            total.executions += bucket.executions
            total.prompt_tokens += bucket.prompt_tokens
            total.completion_tokens += bucket.completion_tokens
            total.total_tokens += bucket.total_tokens
            total.estimated_total_tokens += bucket.estimated_total_tokens
        return total


class EventLog:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._pending = 0
        self._cond = threading.Condition()
        self._writer: threading.Thread | None = None
        self._closed = False
        _open_logs.add(self)

    # --- writing ---

    def record(self, **fields: Any) -> None:
        """Queue one record; ``timestamp_ms`` defaults to now."""
        fields.setdefault("timestamp_ms", int(time.time() * 1000))
        unknown = fields.keys() - _COLUMNS
        if unknown:
            raise TypeError(f"unknown event fields: {sorted(unknown)}")
        # executemany takes its column list from the first row: every row needs every column.
        row = dict.fromkeys(_COLUMNS)
        row.update(fields)
        with self._cond:
            if self._closed:
                raise RuntimeError("the event log is closed")
            self._pending += 1
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="actions-core-event-log", daemon=True
                )
                self._writer.start()
        self._queue.put(row)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued record is written; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        if self._pending:
            self._queue.put(_FLUSH)  # wake the writer instead of waiting out its linger
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            writer = self._writer
        if writer is not None:
            self._queue.put(_STOP)
            writer.join(timeout=30)

    def _write_loop(self) -> None:
        """Collect records for up to ``_LINGER`` seconds, then insert them in one transaction.

        Lingering turns a stream of executions into a few large inserts instead of many tiny
        ones competing with the executions for the GIL; a flush or close cuts the wait short.
        """
        stopping = False
        while not stopping:
            item = self._queue.get()
            batch: list[dict[str, Any]] = []
            deadline = time.monotonic() + _LINGER
            while True:
                if item is _STOP:
                    stopping = True
                    break
                if item is _FLUSH:
                    break
                batch.append(item)
                if len(batch) >= _BATCH:
                    break
                remaining = deadline - time.monotonic()
                try:
                    item = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else (self._queue.get_nowait())
                    )
                except queue.Empty:
                    break
            if batch:
                self._insert(batch)

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        for attempt in range(5):
            try:
                with self._engine.begin() as conn:
                    conn.execute(table.insert(), batch)
                break
            except sa.exc.OperationalError as err:  # e.g. database locked for too long
                _log.warning("event log write failed (attempt %d): %s", attempt + 1, err)
                time.sleep(0.05 * (attempt + 1))
        else:
            _log.error("dropped %d event records after repeated write failures", len(batch))
        with self._cond:
            self._pending -= len(batch)
            self._cond.notify_all()

    # --- queries ---

    def recent(
        self,
        *,
        connector_id: str | None = None,
        space_id: str | None = None,
        action: str | None = None,
        limit: int = 50,
    ) -> list[Event]:
        """Newest first."""
        self.flush()
        query = sa.select(table).order_by(table.c.timestamp_ms.desc(), table.c.id.desc())
        if connector_id is not None:
            query = query.where(table.c.connector_id == connector_id)
        if space_id is not None:
            query = query.where(table.c.space_id == space_id)
        if action is not None:
            query = query.where(table.c.action == action)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(max(1, int(limit)))).all()
        return [_event(row) for row in rows]

    def usage(
        self,
        *,
        connector_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        interval_seconds: int = 86400,
        space_id: str | None = None,
        user: str | None = None,
    ) -> UsageReport:
        """Token usage of ``execute`` records, summed per interval, per model and per user.

        ``space_id`` and ``user`` narrow the records like ``connector_id`` does.
        """
        self.flush()
        interval_ms = max(1, int(interval_seconds)) * 1000
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
            rows = conn.execute(buckets_query).all()
            report_models = [_group(row) for row in conn.execute(models_query)]
            report_users = [_group(row) for row in conn.execute(users_query)]
        report = UsageReport(connector_id, int(interval_seconds))
        for row in rows:
            report.buckets.append(
                UsageBucket(
                    start=datetime.fromtimestamp(row.bucket * interval_ms / 1000, UTC),
                    **_sums(row),
                )
            )
        report.models = sorted(report_models, key=_largest_first)
        report.by_model = {(group.key or "unknown"): group.total_tokens for group in report.models}
        report.users = sorted(report_users, key=_largest_first)
        return report


def _sums(row: sa.Row) -> dict[str, int]:
    """The counters of a usage row (SQL sums are NULL over rows without that count)."""
    return {
        "executions": int(row.executions),
        "prompt_tokens": int(row.prompt or 0),
        "completion_tokens": int(row.completion or 0),
        "total_tokens": int(row.total or 0),
        "estimated_total_tokens": int(row.estimated or 0),
    }


def _group(row: sa.Row) -> UsageGroup:
    return UsageGroup(key=row.key, **_sums(row))


def _largest_first(group: UsageGroup) -> tuple[int, str]:
    return (-group.total_tokens, group.key or "")


def _event(row: sa.Row) -> Event:
    data = dict(row._mapping)
    data.pop("id")
    timestamp_ms = data.pop("timestamp_ms")
    return Event(timestamp=datetime.fromtimestamp(timestamp_ms / 1000, UTC), **data)


@atexit.register
def _flush_open_logs() -> None:
    for log in list(_open_logs):
        log.flush(timeout=10)
