"""The event log: ``execute-start`` / ``execute`` records and token-usage queries.

The SQL is :mod:`actions_core._store.events`; this module owns the records, the writer thread
and the usage report types.

Records are buffered and inserted in batches. ``execute-start`` is left to a background writer
(it costs an execution a list append); the ``execute`` record is *durable*: the executor returns
only once it is committed, together with everything buffered before it (group commit: callers
that arrive while a batch is being written share the next one). So an execution that has
returned keeps both its records even if the process is killed (``kill -9``) right after. Queries
flush first, so a caller always reads its own writes; ``close()`` (and interpreter exit) flushes
what is left.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from actions_core._store.events import COLUMNS, EventRows
from actions_core._store.journal import Journal, orphaned_records

__all__ = ["Event", "EventLog", "UsageBucket", "UsageGroup", "UsageReport"]

_log = logging.getLogger("actions_core.events")
_LINGER = 0.02  # seconds the background writer waits to fill a batch
_JOURNAL_LIMIT = 4 * 1024 * 1024  # bytes a journal may hold before a durable caller commits
_DURABLE_WAIT = 120.0  # at most this long for another thread's insert (a bound, not a goal)
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
    """The event log: records go into one ordered buffer, and are written in batches.

    A record is written by the background writer (after lingering up to ``_LINGER`` seconds to
    gather a batch). A ``durable`` record must survive a ``kill -9`` once ``record`` returns:
    with a ``journal_dir`` (the embedded store) it is appended to this process's journal (one
    ``write()``; see ``_store/journal.py``), replayed by whoever opens the store next if the
    process dies before the batch is committed; without one, the caller commits everything
    buffered before it, in one transaction, while callers arriving meanwhile wait and commit
    the next batch together (group commit).
    """

    def __init__(self, engine: sa.Engine, journal_dir: Path | None = None) -> None:
        self._rows = EventRows(engine)
        self._journal: Journal | None = None
        self._unjournaled: list[dict[str, Any]] = []  # queued since the last journal write
        self._journaled_upto = 0  # the sequence number of the last record in the journal
        if journal_dir is not None:
            self._replay(journal_dir)
            self._journal = Journal(journal_dir)
        self._cond = threading.Condition()
        self._buffer: list[dict[str, Any]] = []
        self._queued = 0  # how many records were ever queued (the last one's sequence number)
        self._done = 0  # records 1.._done are written (or dropped after repeated failures)
        self._writing = False  # a batch is being inserted, by the writer or a durable caller
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._closed = False
        _open_logs.add(self)

    # --- writing ---

    @property
    def durable_is_cheap(self) -> bool:
        """Whether a ``durable`` record costs one journal ``write()`` (fine on an event loop)
        rather than a commit (which belongs in a worker thread)."""
        journal = self._journal
        return journal is not None and journal.size <= _JOURNAL_LIMIT

    def record(self, *, durable: bool = False, **fields: Any) -> None:
        """Queue one record; ``timestamp_ms`` defaults to now. With ``durable``, return only
        once it (and every record queued before it) survives a ``kill -9``: journaled, or
        committed when the store keeps no journal."""
        row = self.row(**fields)
        journal = self._journal
        if durable and journal is not None and journal.size > _JOURNAL_LIMIT:
            # under a load that never lets the writer catch up the journal would only grow:
            # this caller commits instead, which lets the journal be emptied
            journal = None
        journaled = durable and journal is not None
        with self._cond:
            if self._closed:
                raise RuntimeError("the event log is closed")
            if journal is not None:
                # a durable record takes the records queued before it along (an execution's
                # ``execute-start``): all of them in one write
                self._unjournaled.append(row)
            self._buffer.append(row)
            self._queued += 1
            sequence = self._queued
            if journal is not None and durable:
                journal.append(self._unjournaled)
                self._unjournaled = []
                self._journaled_upto = sequence
            if (journaled or not durable) and self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="actions-core-event-log", daemon=True
                )
                self._writer.start()
        if durable and not journaled:
            self._write_through(sequence, time.monotonic() + _DURABLE_WAIT)
        else:
            self._wake.set()

    @staticmethod
    def row(**fields: Any) -> dict[str, Any]:
        """One record as the events table stores it (every column; ``timestamp_ms`` defaults
        to now), for a caller that writes it itself, in a transaction of its own (a queued
        execution writes its records with the execution's state: ``_queue/store.py``)."""
        fields.setdefault("timestamp_ms", int(time.time() * 1000))
        unknown = fields.keys() - _COLUMNS
        if unknown:
            raise TypeError(f"unknown event fields: {sorted(unknown)}")
        # executemany takes its column list from the first row: every row needs every column.
        row = dict.fromkeys(_COLUMNS)
        row.update(fields)
        return row

    def flush(self, timeout: float = 30.0) -> bool:
        """Write every queued record now; False if ``timeout`` ran out first."""
        with self._cond:
            target = self._queued
        return self._write_through(target, time.monotonic() + timeout)

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            writer = self._writer
        self.flush()
        if writer is not None:
            self._wake.set()
            writer.join(timeout=30)
        with self._cond:  # no insert is running or can start: the log is closed and flushed
            self._rows.close()
            if self._journal is not None and self._done == self._queued:
                self._journal.close()  # a journal left behind is replayed by the next opener
                self._journal = None

    def _write_through(self, sequence: int, deadline: float) -> bool:
        """Make sure records 1..``sequence`` are written: insert the buffer when nobody else
        is inserting, else wait for them (their batch, or the next one, holds ours)."""
        while True:
            with self._cond:
                while self._done < sequence:
                    if not self._writing:
                        batch, self._buffer = self._buffer, []
                        upto = self._queued
                        self._writing = True
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                else:
                    return True
            try:
                if batch:
                    self._insert(batch)
            finally:
                with self._cond:
                    self._writing = False
                    self._done = upto
                    if self._journal is not None and self._done >= self._journaled_upto:
                        self._journal.clear()  # all it held is committed (appends take _cond)
                    if self._done == self._queued:
                        self._unjournaled = []
                    self._cond.notify_all()

    def _write_loop(self) -> None:
        """Write what non-durable callers queued, ``_LINGER`` seconds after the first of them.

        Lingering turns a stream of executions into a few large inserts instead of many tiny
        ones competing with the executions for the GIL.
        """
        while True:
            self._wake.wait()
            self._wake.clear()
            if not self._closed:
                time.sleep(_LINGER)
            with self._cond:
                target, closed = self._queued, self._closed
            self._write_through(target, time.monotonic() + _DURABLE_WAIT)
            if closed:
                return

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        """Insert ``batch``, retrying what may pass later (a lock held too long); a batch that
        still fails is dropped and logged. Whatever happens, the batch stops counting as
        pending, so neither ``flush`` nor a durable caller waits for it forever."""
        try:
            for attempt in range(5):
                try:
                    self._rows.insert(batch)
                    break
                except sa.exc.OperationalError as err:  # e.g. database locked for too long
                    _log.warning("event log write failed (attempt %d): %s", attempt + 1, err)
                    time.sleep(0.05 * (attempt + 1))
            else:
                _log.error("dropped %d event records after repeated write failures", len(batch))
        except Exception as err:  # refused by the database (a constraint): retrying won't help
            _log.error("dropped %d event records: the write was refused: %s", len(batch), err)

    def _replay(self, journal_dir: Path) -> None:
        """Commit what dead processes journaled and had not committed yet."""
        for path, rows in orphaned_records(journal_dir):
            missing = self._rows.not_yet_stored(rows)
            if missing:
                columns = dict.fromkeys(_COLUMNS)
                self._rows.insert([{**columns, **row} for row in missing])
            _log.warning(
                "replayed %d of %d event records from %s (a process that ended without "
                "closing its store)",
                len(missing),
                len(rows),
                path.name,
            )

    # --- queries ---

    def recent(
        self,
        *,
        connector_id: str | None = None,
        space_id: str | None = None,
        action: str | None = None,
        limit: int = 50,
        execution_id: str | None = None,
    ) -> list[Event]:
        """Newest first; ``execution_id`` gives one execution's records."""
        self.flush()
        rows = self._rows.recent(
            connector_id=connector_id,
            space_id=space_id,
            action=action,
            limit=limit,
            execution_id=execution_id,
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

        Every execution is counted; tokens are summed over those that reported them (models
        list only those).

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


def _sums(row: sa.Row[Any]) -> dict[str, int]:
    """The counters of a usage row (SQL sums are NULL over rows without that count)."""
    return {
        "executions": int(row.executions),
        "prompt_tokens": int(row.prompt or 0),
        "completion_tokens": int(row.completion or 0),
        "total_tokens": int(row.total or 0),
        "estimated_total_tokens": int(row.estimated or 0),
    }


def _group(row: sa.Row[Any]) -> UsageGroup:
    return UsageGroup(key=row.key, **_sums(row))


def _largest_first(group: UsageGroup) -> tuple[int, str]:
    return (-group.total_tokens, group.key or "")


def _event(row: sa.Row[Any]) -> Event:
    data = dict(row._mapping)
    data.pop("id")
    timestamp_ms = data.pop("timestamp_ms")
    return Event(timestamp=datetime.fromtimestamp(timestamp_ms / 1000, UTC), **data)


def _reset_after_fork() -> None:
    """In a forked child the parent's writer thread does not exist: start afresh (records the
    parent had queued are the parent's to write)."""
    for log in list(_open_logs):
        log._cond = threading.Condition()
        log._buffer = []
        log._done = log._queued
        log._writing = False
        log._wake = threading.Event()
        log._writer = None
        log._rows.forget_connection()
        log._unjournaled = []
        log._journaled_upto = 0
        if log._journal is not None:  # the parent's journal stays the parent's
            directory = log._journal.directory
            log._journal.forget()
            log._journal = Journal(directory)
            # a worker started in place of a killed one takes over what that one journaled
            try:
                log._replay(directory)
            except Exception:  # the next opener of the store replays it; this worker serves on
                _log.exception("could not replay the event journals in %s", directory)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


@atexit.register
def _flush_open_logs() -> None:
    for log in list(_open_logs):
        log.flush(timeout=10)
