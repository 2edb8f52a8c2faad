"""Running queued executions: a Celery worker plus the sweeper, in this process.

``actions worker`` runs :func:`run_worker` in the foreground (Celery's own signal handling: the
first SIGTERM/SIGINT lets running executions finish). ``actions serve`` on the embedded default
runs :class:`BackgroundWorker` beside the HTTP service. Executions run in a thread pool of
``concurrency`` threads: they wait on the network, and one ``Actions`` (engine, HTTP pools,
caches) serves them all; more CPU means more worker processes, on this machine or others.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import TYPE_CHECKING, Any

from actions_core._queue.app import QUEUE_NAME, TASK_NAME, is_database_broker

if TYPE_CHECKING:
    from celery import Celery

    from actions_core._queue.service import Queue

__all__ = ["BackgroundWorker", "Sweeper", "register_task", "run_worker"]

_log = logging.getLogger("actions_core.queue")


def register_task(queue: Queue) -> Celery:
    """Bind the task to this process's queue (the task body is :meth:`Queue.run`).

    The app becomes Celery's default: the thread pool runs tasks through the default app.
    """
    app = queue.app
    app.set_default()

    @app.task(
        name=TASK_NAME, shared=False, acks_late=True, reject_on_worker_lost=True, ignore_result=True
    )
    def execute(execution_id: str) -> str:
        return queue.run(execution_id)

    return app


class Sweeper:
    """Every ``queue.sweepInterval``: take back runs of lost workers, republish lost messages."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # On the database broker, messages a stopped process had taken are gone: republish all.
        if is_database_broker(self._queue.broker_url):
            self._sweep(republish_all=True)
        self._thread = threading.Thread(
            target=self._loop, name="actions-queue-sweeper", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._queue.settings.sweepInterval):
            self._sweep()

    def _sweep(self, **options: Any) -> None:
        try:
            self._queue.sweep(**options)
        except Exception:  # the database or broker is away for a moment: next round
            _log.exception("queue sweep failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _worker_options(concurrency: int) -> dict[str, Any]:
    return {
        # one node name per process: several workers may share a machine
        "hostname": f"actions-{os.getpid()}@{socket.gethostname()}",
        "pool": "threads",
        "concurrency": max(1, int(concurrency)),
        "queues": [QUEUE_NAME],
        "without_gossip": True,
        "without_mingle": True,
        "without_heartbeat": True,
        "loglevel": "WARNING",
    }


def run_worker(queue: Queue, concurrency: int = 1) -> None:
    """Run a worker until it is told to stop (SIGTERM, SIGINT)."""
    app = register_task(queue)
    sweeper = Sweeper(queue)
    sweeper.start()
    try:
        worker = app.Worker(**_worker_options(concurrency))
        worker.start()
    finally:
        sweeper.stop()


class BackgroundWorker:
    """A worker in a thread of this process (``actions serve`` on the embedded default)."""

    def __init__(self, queue: Queue, concurrency: int = 4) -> None:
        self._queue = queue
        self._concurrency = concurrency
        self._sweeper = Sweeper(queue)
        self._controller: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._stopped = False

    def start(self, timeout: float = 30.0, *, wait: bool = True) -> None:
        """Start the worker's thread; with ``wait``, return once Celery says it is ready (at
        most ``timeout`` seconds). Without, the HTTP service serves meanwhile: queued
        executions wait in the database until the worker takes them."""
        app = register_task(self._queue)
        options = _worker_options(self._concurrency)
        options.pop("loglevel")
        ready = lambda *_: self._ready.set()  # noqa: E731
        self._controller = app.WorkController(ready_callback=ready, **options)
        self._thread = threading.Thread(
            target=self._controller.start, name="actions-queue-worker", daemon=True
        )
        self._thread.start()
        if wait:
            self._when_ready(timeout)
        else:
            threading.Thread(
                target=self._when_ready, args=(timeout,), name="actions-queue-start", daemon=True
            ).start()

    def _when_ready(self, timeout: float) -> None:
        if not self._ready.wait(timeout):
            _log.warning("the embedded queue worker did not start within %ss", timeout)
        with self._lock:
            if not self._stopped:
                self._sweeper.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._sweeper.stop()
        if self._controller is not None:
            self._controller.stop(in_sighandler=False)
        if self._thread is not None:
            self._thread.join(timeout=15)
