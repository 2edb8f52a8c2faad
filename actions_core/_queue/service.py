"""The queue of one ``Actions``: enqueue, the run of one attempt, and the executions API.

``Actions.enqueue`` checks the request as ``execute`` would, stores the execution (params
included; secrets stay with the connector), then publishes only its id. A worker's task calls
:meth:`Queue.run`, which claims the execution, runs one attempt through the executor (events
carry the execution id, attempt and schedule delay) and then finishes it or schedules the next
attempt by Kibana's rules (:mod:`.backoff`).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from actions_core._queue.backoff import max_attempts, retry_at_ms
from actions_core._queue.model import Execution, result_to_json
from actions_core._queue.store import Claim, ExecutionStore, now_ms
from actions_core._run.result import ActionResult
from actions_core.errors import ActionsError, QueuedActionsLimitError

if TYPE_CHECKING:
    from celery import Celery

    from actions_core.actions import Actions

__all__ = ["Executions", "Queue"]

_log = logging.getLogger("actions_core.queue")


class Queue:
    def __init__(self, actions: Actions, database_url: str) -> None:
        self._actions = actions
        self._options = actions.settings.actions
        self._database_url = database_url
        self.store = ExecutionStore(actions.engine)
        self._app: Celery | None = None
        self._app_lock = threading.Lock()

    @property
    def settings(self) -> Any:
        return self._options.queue

    @property
    def app(self) -> Celery:
        """The Celery app, created (and Celery imported) on first use."""
        with self._app_lock:
            if self._app is None:
                from actions_core._queue.app import make_app

                self._app = make_app(self._options.queue, self._database_url)
            return self._app

    @property
    def broker_url(self) -> str:
        from actions_core._queue.app import broker_url

        return broker_url(self._options.queue, self._database_url)

    def close(self) -> None:
        """Release the broker connections of this process (the app is rebuilt if used again)."""
        with self._app_lock:
            app, self._app = self._app, None
        if app is not None:
            app.close()

    # --- producing ---

    def enqueue(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str = "default",
        execution_id: str | None = None,
        source: str | None = None,
        user: str | None = None,
    ) -> str:
        execution_id = execution_id or str(uuid.uuid4())
        if self.store.row(execution_id) is not None:
            return execution_id  # the same execution id is queued once
        type_id = self._actions._executor.check(connector_id, params, space_id=space_id)
        if self.store.count_pending() + 1 > self._options.queued.max:
            raise QueuedActionsLimitError()
        action_type = self._actions.registry.get(type_id)
        now = now_ms()
        inserted = self.store.insert(
            {
                "id": execution_id,
                "space_id": space_id,
                "connector_id": connector_id,
                "action_type_id": type_id,
                "params": params,
                "source": source,
                "user": user,
                "status": "queued",
                "attempts": 0,
                "max_attempts": max_attempts(self._options, type_id, action_type.max_attempts),
                "queued_at_ms": now,
                "run_at_ms": now,
            }
        )
        if inserted:
            self.publish(execution_id)
        return execution_id

    def publish(self, execution_id: str, run_at_ms: int | None = None) -> None:
        """Put the id on the broker (to run at ``run_at_ms``). Never anything else."""
        options: dict[str, Any] = {}
        if run_at_ms is not None and run_at_ms > now_ms():
            options["eta"] = datetime.fromtimestamp(run_at_ms / 1000, UTC)
        from actions_core._queue.app import TASK_NAME

        self.app.send_task(TASK_NAME, args=[execution_id], **options)

    # --- consuming: one attempt ---

    def run(self, execution_id: str) -> str:
        """Run the next attempt of ``execution_id`` if it is due and nobody holds it.

        Returns what happened: ``skipped``, ``early`` (re-published for its time),
        ``succeeded``, ``failed`` or ``retrying``.

        Two transactions per attempt: the claim with the ``execute-start`` record (committed
        before the executor runs, so a worker killed mid-run leaves both), and the end (the
        execution's new state) with the ``execute`` record (the execution never reads as
        ended without it).
        """
        queue = self._options.queue
        now = now_ms()
        claim = self.store.claim(execution_id, now, int(queue.executionTimeout * 1000))
        if claim is None:
            current = self.store.row(execution_id)
            if current is not None and current.status == "queued" and current.run_at_ms > now:
                self.publish(execution_id, current.run_at_ms)  # arrived before its time
                return "early"
            return "skipped"
        try:
            row = claim.row
            attempt = row.attempts
            records = _AttemptRecords(claim)
            result = self._attempt(row, attempt, float(now - row.run_at_ms), records)
            stored = result_to_json(result)
            if result.ok:
                claim.end(self.store.end_values("succeeded", stored), records.end_record)
                return "succeeded"
            next_run = retry_at_ms(result, attempt, row.max_attempts, self._options, now_ms())
            if next_run is None:
                claim.end(self.store.end_values("failed", stored), records.end_record)
                return "failed"
            if claim.end(self.store.retry_values(next_run, stored), records.end_record):
                self.publish(execution_id, next_run)
            return "retrying"
        finally:
            claim.close()

    def _attempt(
        self, row: Any, attempt: int, schedule_delay_ms: float, records: _AttemptRecords
    ) -> ActionResult:
        try:
            result = self._actions._executor.execute(
                row.connector_id,
                row.params,
                space_id=row.space_id,
                source=row.source or "queue",
                user=row.user,
                execution_id=row.id,
                attempt=attempt,
                schedule_delay_ms=schedule_delay_ms,
                records=records,
            )
        except ActionsError as err:  # connector gone, type disabled: final, as in Kibana
            return ActionResult(
                "error", row.connector_id, message=err.message, retry=False, error_source="user"
            )
        except Exception as err:
            _log.exception("queued execution %s failed in the framework", row.id)
            return ActionResult(
                "error", row.connector_id, message=str(err) or type(err).__name__, retry=True,
                error_source="framework",
            )  # fmt: skip
        if result.ok and isinstance(result.data, Iterator):
            result.data = list(result.data)  # a stream has no reader here: keep its chunks
        return result

    # --- the sweeper's work ---

    def sweep(self, *, republish_all: bool = False) -> dict[str, int]:
        """Take back runs whose lease expired (worker lost) and republish lost messages.

        ``republish_all`` (a start on the database broker) republishes every queued execution:
        messages a stopped process had taken are not redelivered by that transport.
        """
        queue = self._options.queue
        now = now_ms()
        counts = {"requeued": 0, "failed": 0, "republished": 0}
        for row in self.store.expired_leases(now):
            if row.attempts >= row.max_attempts:
                failure = ActionResult(
                    "error",
                    row.connector_id,
                    message=(
                        "the execution did not finish within queue.executionTimeout "
                        f"(attempt {row.attempts} of {row.max_attempts})"
                    ),
                    retry=False,
                    error_source="framework",
                )
                if self.store.retake(row, now, fail_with=result_to_json(failure)):
                    counts["failed"] += 1
            elif self.store.retake(row, now):
                self.publish(row.id)
                counts["requeued"] += 1
            else:
                continue
            self._record_timeout(row)
        stale = (
            self.store.all_queued()
            if republish_all
            else self.store.stale_queued(now - int(queue.visibilityTimeout * 1000))
        )
        for due in stale:
            self.store.mark_republished(due.id, now)
            self.publish(due.id, due.run_at_ms)
            counts["republished"] += 1
        counts["purged"] = self._purge_delivered()
        if any(counts.values()):
            _log.info("queue sweep: %s", counts)
        if counts["requeued"] or counts["failed"]:
            self._actions.events.flush()  # the execute-timeout records, before anything else
        return counts

    def _purge_delivered(self) -> int:
        """On the database broker, drop delivered messages (kombu keeps them, invisible).

        An invisible message is never delivered again by that transport, so nothing is lost:
        executions whose message went missing are republished from the executions table.
        """
        from actions_core._queue.app import is_database_broker

        if not is_database_broker(self.broker_url):
            return 0
        try:
            with self._actions.engine.begin() as conn:
                done = conn.execute(sa.text("DELETE FROM kombu_message WHERE visible = false"))
        except sa.exc.DBAPIError:  # no message table yet
            return 0
        return int(done.rowcount or 0)

    def _record_timeout(self, row: Any) -> None:
        """Kibana's ``execute-timeout`` record: the attempt's run outlived its lease."""
        limit = _duration(self.settings.executionTimeout)
        self._actions.events.record(
            action="execute-timeout",
            execution_id=row.id,
            connector_id=row.connector_id,
            action_type_id=row.action_type_id,
            space_id=row.space_id,
            is_preconfigured=self._actions.connectors.is_preconfigured(row.connector_id),
            source=row.source or "queue",
            user=row.user,
            attempt=row.attempts,
            message=(
                f"action: {row.action_type_id}:{row.connector_id} execution cancelled due to "
                f'timeout - exceeded default timeout of "{limit}"'
            ),
        )


class _AttemptRecords:
    """The event records of one queued attempt (``RunRecords``): ``execute-start`` commits
    with the claim, ``execute`` waits for the attempt's end, which stores it."""

    def __init__(self, claim: Claim) -> None:
        self._claim = claim
        self.end_record: dict[str, Any] | None = None

    def start(self, record: dict[str, Any]) -> None:
        self._claim.start(record)

    def end(self, record: dict[str, Any]) -> None:
        self.end_record = record


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g}m" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g}s"


class Executions:
    """``actions.executions``: read queued executions, wait for one to end."""

    def __init__(self, store: ExecutionStore) -> None:
        self._store = store

    def get(self, execution_id: str) -> Execution:
        """The execution; ``NotFoundError`` for an unknown id."""
        return self._store.get(execution_id)

    def wait(self, execution_id: str, timeout: float = 30.0, poll: float = 0.05) -> Execution:
        """Block until the execution is ``succeeded`` or ``failed``; ``TimeoutError`` after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            execution = self._store.get(execution_id)
            if execution.final:
                return execution
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"execution {execution_id} is still {execution.status} after {timeout}s"
                )
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
            poll = min(poll * 1.5, 0.5)

    def list(
        self,
        connector_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        *,
        space_id: str | None = None,
    ) -> list[Execution]:
        return self._store.list(
            connector_id=connector_id, status=status, space_id=space_id, limit=limit
        )
