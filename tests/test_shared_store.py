"""Two writers, one database: every execution of each keeps its record.

Two ``Actions`` in one process (each with its own engine and event writer), and two processes,
execute N times each against the same SQLite file at the same time; the store must hold 2N
``execute`` records, one per execution, with no write lost to the other writer's lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from actions_core import Actions
from tests.support import KEY

N = 300
CONFIG = {"actions": {"encryptionKey": KEY}}
ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import sys, time
from pathlib import Path
from actions_core import Actions
data_dir, connector_id, go, n = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
actions = Actions(data_dir=data_dir, config={"actions": {"encryptionKey": sys.argv[5]}})
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.01)
for i in range(n):
    result = actions.execute(connector_id, {"message": f"worker {i}"})
    assert result.status == "ok", result
actions.close()
"""


def execute_records(db: Path, connector_id: str) -> tuple[int, int]:
    """(execute records, distinct execution ids) for the connector, read with plain sqlite3."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT execution_id) FROM events "
            "WHERE action = 'execute' AND connector_id = ? AND outcome = 'success'",
            (connector_id,),
        ).fetchone()
    return int(row[0]), int(row[1])


def server_log(actions: Actions) -> str:
    return actions.connectors.create(connector_type_id=".server-log", name="log").id


def test_two_actions_on_one_database_keep_every_execute_record(tmp_path):
    data_dir = tmp_path / "data"
    first = Actions(data_dir=data_dir, config=CONFIG)
    second = Actions(data_dir=data_dir, config=CONFIG)
    try:
        cid = server_log(first)
        barrier = threading.Barrier(2, timeout=30)
        errors: list[BaseException] = []

        def run(actions: Actions, name: str) -> None:
            try:
                barrier.wait()
                for i in range(N):
                    assert actions.execute(cid, {"message": f"{name} {i}"}).status == "ok"
            except BaseException as err:  # reported by the test thread below
                errors.append(err)

        threads = [
            threading.Thread(target=run, args=(a, n)) for a, n in ((first, "a"), (second, "b"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        first.close()
        second.close()
        assert execute_records(data_dir / "actions.sqlite3", cid) == (2 * N, 2 * N)
    finally:
        first.close()
        second.close()


def test_two_processes_on_one_database_keep_every_execute_record(tmp_path):
    data_dir = tmp_path / "data"
    setup = Actions(data_dir=data_dir, config=CONFIG)
    try:
        cid = server_log(setup)
    finally:
        setup.close()
    go = tmp_path / "go"
    command = [sys.executable, "-c", WORKER, str(data_dir), cid, str(go), str(N), KEY]
    workers = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        time.sleep(0.5)  # both import and open the store, then start together
        go.touch()
        for worker in workers:
            _, stderr = worker.communicate(timeout=120)
            assert worker.returncode == 0, stderr.decode(errors="replace")[-2000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    assert execute_records(data_dir / "actions.sqlite3", cid) == (2 * N, 2 * N)
