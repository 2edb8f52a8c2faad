"""The embedded default: ``actions serve`` runs queued executions itself, and durably.

No broker, no Redis: the queue is the service's own SQLite database. An execution enqueued while
the service is down runs when it starts; one whose service was killed mid-run runs again after
a restart.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator

import pytest
import yaml

from actions_core import Actions
from tests.queue.scale_out import CountingUpstream
from tests.queue.support import FAST_QUEUE
from tests.server.support import RunningServer, clean_env
from tests.servers import Upstream, wait_until
from tests.support import KEY


@pytest.fixture
def upstream() -> Iterator[CountingUpstream]:
    with Upstream() as server:
        yield CountingUpstream(server)


@pytest.fixture(autouse=True)
def _webhook_plugin(monkeypatch) -> None:
    monkeypatch.setenv("ACTIONS_PLUGINS", "webhook")


def test_an_enqueued_execution_survives_restarts_of_the_service(tmp_path, upstream):
    config = tmp_path / "actions.yml"
    document = {
        "actions": {"encryptionKey": KEY, "allowedHosts": ["127.0.0.1"], "queue": FAST_QUEUE}
    }
    config.write_text(yaml.safe_dump(document))
    data = tmp_path / "data"
    command = [
        sys.executable,
        "-m",
        "actions_core",
        "--data-dir",
        str(data),
        "serve",
        "--port",
        "0",
    ]
    env = clean_env(ACTIONS_CONFIG=str(config), ACTIONS_PLUGINS="webhook")

    def status(actions, eid):
        return actions.executions.get(eid)

    with Actions(data, config) as actions:
        cid = actions.connectors.create(
            connector_type_id=".webhook", name="hook", config={"url": upstream.url()}, secrets={}
        ).id
        # 1. queued while no service runs: it runs when the service starts
        first = actions.enqueue(cid, {"body": "while-down"})
        service = RunningServer(command, tmp_path, env)
        try:
            wait_until(lambda: status(actions, first).final, timeout=30, what="the first run")
            assert status(actions, first).status == "succeeded"
            assert upstream.seen["while-down"] == 1

            # 2. the service is killed (-9) in the middle of a run: after a restart it runs again
            upstream.hold["slow"] = release = threading.Event()
            upstream.arrived["slow"] = arrived = threading.Event()
            second = actions.enqueue(cid, {"body": "slow"})
            assert arrived.wait(30), service.output()
            service.process.send_signal(signal.SIGKILL)
            service.process.wait(timeout=10)
            release.set()
        finally:
            service.stop()
        assert status(actions, second).status == "running"  # held by the killed service
        service = RunningServer(command, tmp_path, env)
        try:
            wait_until(lambda: status(actions, second).final, timeout=30, what="the rerun")
        finally:
            service.stop()
        done = status(actions, second)
        assert (done.status, done.attempts) == ("succeeded", 2)
        assert upstream.seen["slow"] == 2
