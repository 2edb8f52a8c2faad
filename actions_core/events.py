"""The event log: ``execute-start`` / ``execute`` records and token-usage queries.

The SQL is :mod:`actions_core._store.events`; this module owns the records, the writer thread
and the usage report types.

Records are handed to a background writer that inserts them in batches, so writing the log costs
an execution a queue put instead of a transaction. Queries flush first, so a caller always reads
its own writes; ``close()`` (and interpreter exit) flushes what is left.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from actions_core._store.events import COLUMNS, EventRows

__all__ = ["Event", "EventLog", "UsageBucket", "UsageGroup", "UsageReport"]

_log = logging.getLogger("actions_core.events")
_BATCH = 500
_LINGER = 0.02  # seconds the writer waits to fill a batch
_FLUSH = {"__marker__": "flush"}
_STOP = {"__marker__": "stop"}
_open_logs: weakref.WeakSet[EventLog] = weakref.WeakSet()
_COLUMNS = COLUMNS


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
        self._rows = EventRows(engine)
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
                self._rows.insert(batch)
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
        rows = self._rows.recent(
            connector_id=connector_id, space_id=space_id, action=action, limit=limit
        )
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
        rows = self._rows.usage(
            interval_ms=interval_ms,
            connector_id=connector_id,
            start=start,
            end=end,
            space_id=space_id,
            user=user,
        )
        report = UsageReport(connector_id, int(interval_seconds))
        for row in rows.buckets:
            report.buckets.append(
                UsageBucket(
                    start=datetime.fromtimestamp(row.bucket * interval_ms / 1000, UTC),
                    **_sums(row),
                )
            )
        report.models = sorted((_group(row) for row in rows.models), key=_largest_first)
        report.by_model = {(group.key or "unknown"): group.total_tokens for group in report.models}
        report.users = sorted((_group(row) for row in rows.users), key=_largest_first)
        return report

    def total_tokens_by_connector(
        self,
        *,
        space_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, int]:
        """Total tokens per connector id over ``[start, end)`` (connectors without usage are
        absent), in one query: what ``usage(connector_id=…).totals.total_tokens`` gives for
        each connector."""
        self.flush()
        return self._rows.totals_by_connector(space_id=space_id, start=start, end=end)


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


def _reset_after_fork() -> None:
    """In a forked child the parent's writer thread does not exist: start afresh (records the
    parent had queued are the parent's to write)."""
    for log in list(_open_logs):
        log._queue = queue.SimpleQueue()
        log._pending = 0
        log._cond = threading.Condition()
        log._writer = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


@atexit.register
def _flush_open_logs() -> None:
    for log in list(_open_logs):
        log.flush(timeout=10)
