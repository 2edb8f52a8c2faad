"""Running the service for real: a uvicorn process on a free port, started and stopped here."""

from __future__ import annotations

import json
import os
import queue
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
_URL = re.compile(r"serves Kibana's connector API on (http://\S+)")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONS_")}
    env["ACTIONS_PLUGINS"] = "server-log"
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class RunningServer:
    """A server process; ``lines`` is everything it printed on stdout."""

    def __init__(self, command: Sequence[str], workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.stderr_path = workdir / "server.stderr"
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            list(command),
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_for_url()
        self._wait_until_ready()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)
        self._queue.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            match = _URL.search(line)
            if match:
                return match.group(1)
        self.stop()
        raise RuntimeError(f"the server did not start:\n{self.output()}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/status", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server never answered /api/status:\n{self.output()}")

    def output(self) -> str:
        self._stderr.flush()
        return "\n".join(self.lines) + "\n--- stderr ---\n" + self.stderr_path.read_text()

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._stderr.close()
        return self.process.returncode


def start_test_server(workdir: Path, config: dict[str, Any], workers: int = 1) -> RunningServer:
    """``tests.server.app_under_test`` (the real ``serve()`` with the test types)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "actions.yml"
    config_path.write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "tests.server.app_under_test", str(config_path), "data"]
    command.append(str(workers))
    return RunningServer(command, workdir, clean_env())


def execute_events(db: Path, connector_id: str) -> list[dict[str, Any]]:
    """The ``execute`` records of a connector, read straight from the server's database."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "select * from events where connector_id = ? and action = 'execute' order by id",
            (connector_id,),
        ).fetchall()
    return [dict(row) for row in rows]


def insert_usage(
    db: Path,
    *,
    connector_id: str,
    space_id: str,
    when_ms: int,
    prompt: int,
    completion: int,
    user: str | None,
    model: str | None = None,
    estimated: bool = False,
    type_id: str = ".tokens",
) -> None:
    """A known ``execute`` record with token usage, written straight into the server's database
    (as the executor would have written it at ``when_ms``)."""
    with sqlite3.connect(db, timeout=10) as conn:
        conn.execute(
            "insert into events (timestamp_ms, action, execution_id, connector_id, connector_name,"
            " action_type_id, space_id, is_preconfigured, source, user, outcome, duration_ms,"
            " message, prompt_tokens, completion_tokens, total_tokens, usage_estimated, model)"
            " values (?, 'execute', ?, ?, ?, ?, ?, 0, 'http_request', ?, 'success', 1.0,"
            " 'action executed', ?, ?, ?, ?, ?)",
            (
                when_ms,
                f"known-{when_ms}-{prompt}-{completion}",
                connector_id,
                connector_id,
                type_id,
                space_id,
                user,
                prompt,
                completion,
                prompt + completion,
                estimated,
                model,
            ),
        )


DAY_MS = 86_400_000


def tokens_connector(server: Any, space: str) -> str:
    cid = f"tok-{uuid.uuid4().hex[:8]}"
    body = {"name": "Tokens", "connector_type_id": ".tokens"}
    assert (
        server.request("POST", f"/s/{space}/api/actions/connector/{cid}", json=body).status_code
        == 200
    )
    return cid


def run(server: Any, space: str, cid: str, who: str, **params) -> None:
    response = server.request(
        "POST", f"/s/{space}/api/actions/connector/{cid}/_execute", who=who, json={"params": params}
    )
    assert response.json()["status"] == "ok", response.text


def known_usage(server: Any) -> tuple[str, str]:
    """Two executions now (admin, reader) and two records three days ago (bob, no user)."""
    space = f"use-{uuid.uuid4().hex[:6]}"
    cid = tokens_connector(server, space)
    run(server, space, cid, "admin", prompt=10, completion=5, model="gpt-a")
    run(server, space, cid, "reader", prompt=3, completion=2, model="gpt-b", estimated=True)
    past = int(time.time() * 1000) - 3 * DAY_MS
    insert_usage(
        server.db,
        connector_id=cid,
        space_id=space,
        when_ms=past,
        prompt=100,
        completion=50,
        user="bob",
        model="gpt-a",
    )
    insert_usage(
        server.db,
        connector_id=cid,
        space_id=space,
        when_ms=past + 1,
        prompt=7,
        completion=0,
        user=None,
        model=None,
        estimated=True,
    )
    # the same connector id in another space does not count
    insert_usage(
        server.db,
        connector_id=cid,
        space_id="elsewhere",
        when_ms=past,
        prompt=999,
        completion=999,
        user="bob",
    )
    return space, cid


def audit_records(path: Path) -> list[dict[str, Any]]:
    """The records of an audit log, read as a log shipper reads JSON lines: split on ``\\n``
    only (a record may hold U+2028 or U+0085, which ``str.splitlines`` would split on), and
    without a last line still being written (the writer appends a batch at a time)."""
    data = path.read_bytes() if path.exists() else b""
    whole = data[: data.rfind(b"\n") + 1]
    return [json.loads(line) for line in whole.decode("utf-8").split("\n") if line]
