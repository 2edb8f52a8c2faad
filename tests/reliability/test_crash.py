"""``kill -9`` of a real ``actions serve`` in the middle of a burst of creates, updates and
executes: every write the service acknowledged, and the records of every execution it
answered, are in the database afterwards."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from actions_core._store import open_engine, sqlite_url
from actions_core.actions import JOURNAL_DIR
from actions_core.events import EventLog
from tests.server.support import RunningServer, clean_env
from tests.support import KEY

pytestmark = pytest.mark.reliability

BURST_SECONDS = 3.0  # the burst runs this long before the kill
WRITERS = 3  # threads creating connectors and renaming them
EXECUTORS = 3  # threads executing, each on its own connector


@pytest.fixture
def service(tmp_path: Path):
    command = [sys.executable, "-m", "actions_core", "--data-dir", "data", "serve", "--port", "0"]
    server = RunningServer(command, tmp_path, clean_env(ACTIONS_ENCRYPTION_KEY=KEY))
    yield server
    server.stop()


class Burst:
    """What the service acknowledged (a 200 answer), per kind of request."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"ApiKey {api_key}", "kbn-xsrf": "true"}
        self.stop = threading.Event()
        self.created: set[str] = set()
        self.named: dict[str, list[str]] = {}  # id -> names acknowledged, in order
        self.executed: dict[str, int] = {}  # connector id -> executions answered ok
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=10)

    def writer(self) -> None:
        with self.client() as http, contextlib.suppress(httpx.HTTPError):
            while not self.stop.is_set():
                cid = f"w-{uuid.uuid4().hex[:10]}"
                body = {"name": "v0", "connector_type_id": ".server-log"}
                if http.post(f"/api/actions/connector/{cid}", json=body).status_code != 200:
                    continue
                with self.lock:
                    self.created.add(cid)
                    self.named[cid] = ["v0"]
                for n in range(1, 4):
                    name = f"v{n}"
                    answer = http.put(f"/api/actions/connector/{cid}", json={"name": name})
                    if answer.status_code == 200:
                        with self.lock:
                            self.named[cid].append(name)

    def executor(self, cid: str) -> None:
        with self.client() as http, contextlib.suppress(httpx.HTTPError):
            while not self.stop.is_set():
                answer = http.post(
                    f"/api/actions/connector/{cid}/_execute",
                    json={"params": {"message": "burst", "level": "debug"}},
                )
                if answer.status_code == 200 and answer.json()["status"] == "ok":
                    with self.lock:
                        self.executed[cid] = self.executed.get(cid, 0) + 1


def reopen(data_dir: Path) -> None:
    engine = open_engine(sqlite_url(data_dir / "actions.sqlite3"))
    EventLog(engine, data_dir / JOURNAL_DIR).close()
    engine.dispose()


def stored(db: Path) -> tuple[dict[str, str], dict[str, dict[str, set[str]]]]:
    """(connector id -> name, connector id -> execution id -> actions recorded)."""
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        names = dict(conn.execute("SELECT id, name FROM connectors").fetchall())
        records: dict[str, dict[str, set[str]]] = {}
        for cid, execution, action in conn.execute(
            "SELECT connector_id, execution_id, action FROM events"
        ):
            records.setdefault(cid, {}).setdefault(execution, set()).add(action)
    return names, records


def test_kill_9_during_a_burst_loses_no_acknowledged_write_or_record(service, tmp_path):
    data_dir = tmp_path / "data"
    burst = Burst(service.url, (data_dir / "api-key").read_text().strip())
    runners = []
    with burst.client() as http:
        for n in range(EXECUTORS):
            body = {"name": f"exec {n}", "connector_type_id": ".server-log"}
            assert http.post(f"/api/actions/connector/x-{n}", json=body).status_code == 200
            runners.append(threading.Thread(target=burst.executor, args=(f"x-{n}",)))
    runners += [threading.Thread(target=burst.writer) for _ in range(WRITERS)]
    for runner in runners:
        runner.start()
    time.sleep(BURST_SECONDS)
    service.process.send_signal(signal.SIGKILL)  # mid-burst: requests are in flight
    service.process.wait(timeout=30)
    burst.stop.set()
    for runner in runners:
        runner.join(timeout=30)
    assert not any(runner.is_alive() for runner in runners)

    reopen(data_dir)  # as the next start does: what the killed workers journaled is replayed
    names, records = stored(data_dir / "actions.sqlite3")
    acknowledged_executions = sum(burst.executed.values())
    assert len(burst.created) >= 5 and acknowledged_executions >= 20, "the burst was too small"
    assert burst.created <= set(names)  # every acknowledged create
    for cid, acknowledged in burst.named.items():
        # the last acknowledged name, or one whose update was in flight at the kill
        assert names[cid] in acknowledged or names[cid] == f"v{len(acknowledged)}", cid
    for cid, count in burst.executed.items():
        finished = [e for e, actions in records[cid].items() if "execute" in actions]
        assert len(finished) >= count, f"{cid}: {count} answered ok, {len(finished)} recorded"
        assert all(records[cid][e] == {"execute-start", "execute"} for e in finished)
    print(
        f"\ncrash test: {len(burst.created)} creates, "
        f"{sum(len(v) - 1 for v in burst.named.values())} updates and "
        f"{acknowledged_executions} executions acknowledged before kill -9; none lost"
    )
