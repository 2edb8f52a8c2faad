"""``actions serve --workers N``: several processes on one port, one store, one truth.

A real service with two worker processes (``tests.server.app_under_test … 2``): requests are
spread over both; a write through one worker, and a key revoked in the database, are seen by
every worker on the next request; both workers' event and audit records land whole; stopping
the parent stops the workers.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions_core import Actions
from actions_core.server import ApiKeyStore
from tests.server.conftest import server_config
from tests.server.support import RunningServer, audit_records, execute_events, start_test_server
from tests.servers import wait_until

ROUNDS = 24  # requests per concurrent batch, each on its own connection


class Workers:
    def __init__(self, running: RunningServer, data_dir: Path, key: str) -> None:
        self.running = running
        self.data_dir = data_dir
        self.key = key

    def request(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"ApiKey {key or self.key}", "kbn-xsrf": "1"}
        return httpx.request(method, self.running.url + path, headers=headers, timeout=20, **kwargs)

    def batch(self, method: str, path: str, count: int = ROUNDS, **kwargs: Any) -> list[Any]:
        """``count`` requests at once, each on a new connection (any worker may accept it)."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda _: self.request(method, path, **kwargs), range(count)))


def _make(workdir: Path, upstream_url: str = "http://127.0.0.1:9") -> Workers:
    config = server_config(upstream_url)
    data_dir = workdir / "data"
    actions = Actions(data_dir=data_dir, config=config, load_entry_points=False)
    try:
        key = ApiKeyStore(actions.engine).create("admin", "all").encoded
    finally:
        actions.close()
    return Workers(start_test_server(workdir, config, workers=2), data_dir, key)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    started = _make(tmp_path_factory.mktemp("workers"))
    try:
        yield started
    finally:
        started.running.stop()


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def _pid_connector(workers: Workers, value: str) -> str:
    cid = f"wk-{uuid.uuid4().hex[:10]}"
    body = {"name": cid, "connector_type_id": ".pid", "config": {"value": value}, "secrets": {}}
    response = workers.request("POST", f"/api/actions/connector/{cid}", json=body)
    assert response.status_code == 200, response.text
    return cid


def _run(workers: Workers, cid: str) -> list[dict[str, Any]]:
    replies = workers.batch("POST", f"/api/actions/connector/{cid}/_execute", json={"params": {}})
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    return [r.json()["data"] for r in replies]


def test_two_worker_processes_share_the_port(workers: Workers) -> None:
    parent = workers.running.process.pid
    assert len(wait_until(lambda: len(_children(parent)) == 2 and _children(parent))) == 2
    assert "workers: 2 processes" in "\n".join(workers.running.lines)
    cid = _pid_connector(workers, "a")
    seen: set[int] = set()

    def both() -> bool:
        seen.update(data["pid"] for data in _run(workers, cid))
        return len(seen) == 2

    wait_until(both, timeout=30, what="both workers to answer")
    assert seen == _children(parent)


def test_a_write_through_one_worker_is_seen_by_every_worker_at_once(workers: Workers) -> None:
    cid = _pid_connector(workers, "before")
    for _ in range(3):  # warm both workers' resolved-connector caches
        assert {d["config"]["value"] for d in _run(workers, cid)} == {"before"}
    update = {"name": cid, "config": {"value": "after"}}
    assert workers.request("PUT", f"/api/actions/connector/{cid}", json=update).status_code == 200
    # at once, not after the cache's TTL: every execution in every worker sees the write
    seen = _run(workers, cid)
    assert {d["config"]["value"] for d in seen} == {"after"}
    assert len({d["pid"] for d in seen}) >= 1


def test_a_key_revoked_in_the_database_is_refused_by_every_worker(workers: Workers) -> None:
    actions = Actions(data_dir=workers.data_dir, config=server_config("http://127.0.0.1:9"))
    try:
        store = ApiKeyStore(actions.engine)
        made = store.create("short-lived", "read")
        ok = workers.batch("GET", "/api/actions/connectors", key=made.encoded)
        assert {r.status_code for r in ok} == {200}
        store.revoke(made.key.id)
    finally:
        actions.close()
    refused = workers.batch("GET", "/api/actions/connectors", key=made.encoded)
    assert {r.status_code for r in refused} == {401}


def test_every_workers_events_and_audit_lines_are_written_whole(workers: Workers) -> None:
    cid = _pid_connector(workers, "x")
    runs = _run(workers, cid) + _run(workers, cid)
    db = workers.data_dir / "actions.sqlite3"
    events = wait_until(
        lambda: len(execute_events(db, cid)) == len(runs) and execute_events(db, cid)
    )
    assert {e["outcome"] for e in events} == {"success"}
    audit = workers.data_dir / "audit.log"

    def executed() -> list[dict[str, Any]]:
        records = audit_records(audit)  # every line whole: none mixes two workers' records
        mine = [
            r
            for r in records
            if (r["kibana"].get("saved_object") or {}).get("id") == cid
            and r["event"]["action"] == "connector_execute"
        ]
        return mine if len(mine) == len(runs) else []

    assert len(wait_until(executed, what="every execution's audit line")) == len(runs)


def test_stopping_the_parent_stops_every_worker(tmp_path: Path) -> None:
    started = _make(tmp_path)
    parent = started.running.process.pid
    pids = wait_until(lambda: len(_children(parent)) == 2 and _children(parent))
    assert started.request("GET", "/api/status").status_code == 200
    os.kill(parent, signal.SIGTERM)
    assert started.running.process.wait(timeout=20) == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    started.running.stop()


def test_workers_die_with_a_parent_killed_by_sigkill(tmp_path: Path) -> None:
    """No orphan goes on serving the port or running queued executions after ``kill -9``."""
    started = _make(tmp_path)
    parent = started.running.process.pid
    pids = wait_until(lambda: len(_children(parent)) == 2 and _children(parent))
    os.kill(parent, signal.SIGKILL)
    started.running.process.wait(timeout=20)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    started.running.stop()


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    started = _make(tmp_path)
    try:
        parent = started.running.process.pid
        first = wait_until(lambda: len(_children(parent)) == 2 and _children(parent))
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        replaced = wait_until(
            lambda: len(_children(parent)) == 2 and victim not in _children(parent),
            what="a new worker",
        )
        assert replaced
        assert started.request("GET", "/api/status").status_code == 200
    finally:
        started.running.stop()


def _post_on(conn: socket.socket, path: str, key: str) -> dict[str, Any]:
    """One HTTP/1.1 request on an open connection, which stays open; the JSON answer."""
    body = b'{"params": {}}'
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: ApiKey {key}\r\n"
        f"kbn-xsrf: 1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    conn.sendall(head.encode() + body)
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536) or b""
    header, _, rest = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(rest) < length:
        rest += conn.recv(65536)
    return dict(json.loads(rest))


def _burst(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` connections started together, as a load generator opens them (non-blocking
    connects, then a wait for all), before any request."""
    conns = []
    for _ in range(count):
        conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        conn.setblocking(False)
        conn.connect_ex((host, port))
        conns.append(conn)
    _, writable, _ = select.select([], conns, [], 20)
    assert len(writable) == count
    for conn in conns:
        conn.settimeout(20)
    return conns


def test_keep_alive_connections_opened_at_once_are_spread_over_the_workers(
    workers: Workers,
) -> None:
    """Twenty clients connect in one burst, then each sends its requests over the connection
    it keeps (as SDKs do): both workers serve some, each connection stays with its worker.
    Each worker listens on a socket of its own: with one socket shared by the workers,
    bench/gateway.py's wrk run saw one worker accept all twenty (this burst alone does not
    reproduce that here, so the sockets themselves are checked too)."""
    cid = _pid_connector(workers, "burst")
    host, port = workers.running.url.removeprefix("http://").rsplit(":", 1)
    path = f"/api/actions/connector/{cid}/_execute"
    conns = _burst(host, int(port), 20)
    try:
        first = [_post_on(conn, path, workers.key)["data"]["pid"] for conn in conns]
        again = [_post_on(conn, path, workers.key)["data"]["pid"] for conn in conns]
    finally:
        for conn in conns:
            conn.close()
    assert again == first  # a kept connection stays with its worker
    assert set(first) == _children(workers.running.process.pid)
    assert _listening_sockets(int(port)) == 2  # one per worker; the parent's only holds the port


def _listening_sockets(port: int) -> int:
    """How many TCP sockets listen on ``port`` (Linux: ``/proc/net/tcp``, state 0A)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def _affinity(pid: int) -> set[int]:
    return set(os.sched_getaffinity(pid))


@pytest.mark.parametrize("pin", [True, False])
def test_workers_are_pinned_to_a_core_each_when_asked(tmp_path: Path, pin: bool) -> None:

    config = server_config("http://127.0.0.1:9")
    config["actions"]["server"] = {"pinWorkers": pin}
    running = start_test_server(tmp_path, config, workers=2)
    try:
        parent = running.process.pid
        children = wait_until(lambda: len(_children(parent)) == 2 and _children(parent))
        allowed = _affinity(parent)
        found = [_affinity(pid) for pid in sorted(children)]
        banner = "\n".join(running.lines)
    finally:
        running.stop()
    if pin:
        cores = sorted(allowed)
        assert sorted(next(iter(one)) for one in found) == sorted(
            cores[i % len(cores)] for i in range(2)
        )
        assert all(len(one) == 1 for one in found)
        assert "pinned to cores" in banner
    else:
        assert found == [allowed, allowed]
        assert "pinned" not in banner
