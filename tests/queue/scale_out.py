"""The scale-out set-up of the tests: PostgreSQL store, Redis broker, worker processes.

``Cluster`` writes one actions.yml for every process (the test's own ``Actions`` enqueues; the
workers are real ``actions worker`` processes) and stops every worker it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from werkzeug import Request, Response

from actions_core import Actions
from tests.queue.support import FAST_QUEUE
from tests.servers import Upstream
from tests.support import KEY

ROOT = Path(__file__).resolve().parents[2]


class Cluster:
    def __init__(
        self, tmp_path: Path, database_url: str, broker_url: str | None, **queue: Any
    ) -> None:
        self.dir = tmp_path
        self.config = tmp_path / "actions.yml"
        document = {
            "actions": {
                "encryptionKey": KEY,
                "databaseUrl": database_url,
                "allowedHosts": ["127.0.0.1"],
                "queue": {
                    **FAST_QUEUE,
                    **({"brokerUrl": broker_url} if broker_url else {}),
                    **queue,
                },
            }
        }
        self.config.write_text(yaml.safe_dump(document))
        self.workers: list[subprocess.Popen] = []

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONS_")}
        env.update(ACTIONS_CONFIG=str(self.config), ACTIONS_PLUGINS="webhook")
        env["PYTHONPATH"] = str(ROOT)
        return env

    def actions(self) -> Actions:
        return Actions(self.dir / "client", self.config)

    def start_worker(self, concurrency: int = 4) -> subprocess.Popen:
        log = open(self.dir / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, "-m", "actions_core", "worker", "--concurrency", str(concurrency)],
            cwd=self.dir, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.dir.glob("worker-*")))


class CountingUpstream:
    """A real HTTP endpoint that counts requests per body and can fail or hold some of them."""

    def __init__(self, server: Upstream) -> None:
        self.server = server
        self.seen: Counter[str] = Counter()
        self.fail_first: dict[str, int] = {}
        self.hold: dict[str, threading.Event] = {}
        self.arrived: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        server.expect_request("/hook").respond_with_handler(self._handle)

    def url(self) -> str:
        return self.server.url("/hook")

    def _handle(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        with self._lock:
            self.seen[body] += 1
            count = self.seen[body]
        if body in self.arrived:
            self.arrived[body].set()
        if body in self.hold and count == 1:
            self.hold[body].wait(30)
        if count <= self.fail_first.get(body, 0):
            return Response("down", status=500)
        return Response("ok")
