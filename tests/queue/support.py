"""Helpers of the queue tests: fast retry settings, types that record their attempts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import actions_core
from actions_core import ActionResult
from tests.support import KEY

#: Kibana's timing, shrunk so that tests of retries run in a second or two.
FAST_QUEUE = {
    "retryDelay": "100ms",
    "retryBackoff": "200ms",
    "maxRetryDelay": "1s",
    "visibilityTimeout": "8s",
    # long enough that a loaded machine never retakes a run that is still going
    "executionTimeout": "5s",
    "sweepInterval": "200ms",
}


def queue_config(**actions_options: Any) -> dict[str, Any]:
    queue = {**FAST_QUEUE, **actions_options.pop("queue", {})}
    return {"actions": {"encryptionKey": KEY, "queue": queue, **actions_options}}


class Recorder:
    """A type whose executor fails its first ``failures`` attempts of each execution."""

    def __init__(self, type_id: str = ".flaky", failures: int = 0, retry: Any = True) -> None:
        self.type_id = type_id
        self.failures = failures
        self.retry = retry
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def run(self, ctx: actions_core.ExecutionContext) -> Any:
        with self._lock:
            self.calls.append((ctx.execution_id, ctx.attempt))
        if ctx.attempt <= self.failures:
            return ActionResult(
                "error", ctx.connector_id, message="upstream down", retry=self.retry
            )
        return {"text": ctx.params.get("text"), "attempt": ctx.attempt}

    def action_type(self, **fields: Any) -> actions_core.ActionType:
        return actions_core.ActionType(
            id=self.type_id,
            name="Flaky",
            executor=self.run,
            params_schema={
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": False,
            },
            secrets_schema={"type": "object", "properties": {"token": {"type": "string"}}},
            **fields,
        )


@contextmanager
def embedded_worker(actions: actions_core.Actions, concurrency: int = 2) -> Iterator[None]:
    """What ``actions serve`` runs beside the HTTP service, started and stopped by the test."""
    from actions_core._queue.worker import BackgroundWorker

    worker = BackgroundWorker(actions.queue, concurrency)
    worker.start()
    try:
        yield
    finally:
        worker.stop()
