"""An execution that has returned has its records on disk: ``kill -9`` loses none of them.

A subprocess executes in a loop (two threads) and prints each execution id once ``execute`` has
returned it; the test kills it with SIGKILL mid-burst, opens the store again (which replays
what the dead process journaled and had not committed yet) and reads the database with plain
sqlite3: every printed (acknowledged) id must have both its ``execute-start`` and its
``execute`` record.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from actions_core._store import open_engine, sqlite_url
from actions_core.actions import JOURNAL_DIR
from actions_core.events import EventLog

ROOT = Path(__file__).resolve().parents[1]
ACKNOWLEDGED = 400  # ids read before the kill

WORKER = """
import sys, threading
import actions_core
from actions_core import Actions
from tests.support import KEY, TypesPlugin

def run(ctx):
    return ctx.execution_id

kind = actions_core.ActionType(id=".id", name="Id", executor=run)
actions = Actions(
    data_dir=sys.argv[1],
    config={"actions": {"encryptionKey": KEY}},
    plugins=[TypesPlugin(kind)],
)
cid = actions.connectors.create(connector_type_id=".id", name="id").id
lock = threading.Lock()

def loop():
    while True:
        result = actions.execute(cid, {})
        assert result.status == "ok", result
        with lock:
            sys.stdout.write(result.data + "\\n")
            sys.stdout.flush()

threads = [threading.Thread(target=loop, daemon=True) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def reopen(data_dir: Path) -> None:
    """Open the store's event log once, as the next command or service start does."""
    engine = open_engine(sqlite_url(data_dir / "actions.sqlite3"))
    EventLog(engine, data_dir / JOURNAL_DIR).close()
    engine.dispose()


def records(db: Path) -> dict[str, set[str]]:
    """execution id -> the actions recorded for it, read with plain sqlite3."""
    found: dict[str, set[str]] = {}
    with contextlib.closing(sqlite3.connect(db)) as conn:
        for execution_id, action in conn.execute("SELECT execution_id, action FROM events"):
            found.setdefault(execution_id, set()).add(action)
    return found


def test_every_acknowledged_execution_survives_kill_9(tmp_path):
    data_dir = tmp_path / "data"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acknowledged: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert worker.stdout is not None
        while len(acknowledged) < ACKNOWLEDGED and time.monotonic() < deadline:
            line = worker.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        worker.send_signal(signal.SIGKILL)
        # what was printed before the kill landed was acknowledged too
        rest, errors = worker.communicate(timeout=30)
        acknowledged += rest.split()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    assert len(acknowledged) >= ACKNOWLEDGED, errors
    reopen(data_dir)
    assert list((data_dir / JOURNAL_DIR).iterdir()) == []  # replayed, then deleted
    stored = records(data_dir / "actions.sqlite3")
    lost = [i for i in acknowledged if stored.get(i) != {"execute-start", "execute"}]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged executions lost records"
