"""The event journal: what a dead process acknowledged reaches the store once, whoever opens it.

Processes here are real (a child that journals and is killed with SIGKILL); the journal of a
live process is never touched; a record the dead process had already committed is not stored
twice; a line cut short by the kill (never acknowledged) is skipped.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from actions_core._store import open_engine, sqlite_url
from actions_core._store.journal import Journal, orphaned_records
from actions_core.events import EventLog

ROOT = Path(__file__).resolve().parents[2]


def row(execution_id: str, action: str = "execute", ms: int = 1_000) -> dict:
    return {
        "timestamp_ms": ms,
        "action": action,
        "execution_id": execution_id,
        "connector_id": "c1",
        "action_type_id": ".t",
        "space_id": "default",
        "is_preconfigured": False,
    }


def journal_and_die(directory: Path, rows: list[dict], torn: bytes = b"") -> None:
    """A child process journals ``rows`` (and a half-written line), then is killed."""
    code = (
        "import json, os, signal, sys\n"
        "from pathlib import Path\n"
        "from actions_core._store.journal import Journal\n"
        "journal = Journal(Path(sys.argv[1]))\n"
        "journal.append(json.loads(sys.argv[2]))\n"
        "os.write(journal._fd, sys.argv[3].encode())\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code, str(directory), json.dumps(rows), torn.decode()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL


def stored(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT execution_id, action FROM events ORDER BY id").fetchall()


def test_a_dead_processs_records_are_replayed_once_by_the_next_opener(tmp_path):
    db, journals = tmp_path / "actions.sqlite3", tmp_path / "journal"
    engine = open_engine(sqlite_url(db))
    EventLog(engine).close()  # the schema
    committed = row("e1", "execute-start")
    log = EventLog(engine)
    log.record(**committed)  # the dead process had committed this one already
    log.close()
    journal_and_die(journals, [committed, row("e1"), row("e2")], torn=b'{"timestamp_ms": 5, "ac')

    opened = EventLog(engine, journals)
    try:
        assert stored(db) == [("e1", "execute-start"), ("e1", "execute"), ("e2", "execute")]
        assert [p for p in journals.iterdir() if p != opened._journal.path] == []
    finally:
        opened.close()
    assert list(journals.iterdir()) == []  # a clean close leaves no journal
    EventLog(engine, journals).close()  # nothing to replay twice
    assert len(stored(db)) == 3
    engine.dispose()


def test_the_journal_of_a_live_process_is_left_alone(tmp_path):
    journals = tmp_path / "journal"
    live = Journal(journals)
    live.append([row("e1")])
    try:
        assert list(orphaned_records(journals)) == []
        assert live.path.exists()
    finally:
        live.close()


def test_a_durable_record_is_in_the_journal_until_it_is_committed(tmp_path, monkeypatch):
    from actions_core import events

    monkeypatch.setattr(events, "_LINGER", 2.0)  # the writer waits: nothing is committed yet
    engine = open_engine(sqlite_url(tmp_path / "actions.sqlite3"))
    log = EventLog(engine, tmp_path / "journal")
    try:
        log.record(durable=False, **row("e1", "execute-start"))
        log.record(durable=True, **row("e1"))
        lines = log._journal.path.read_text().splitlines()
        # the durable record took the start record queued before it along, in order
        assert [json.loads(line)["action"] for line in lines] == ["execute-start", "execute"]
        assert log.flush()
        assert log._journal.path.read_text() == ""  # committed: the journal is empty again
    finally:
        log.close()
        engine.dispose()


def test_a_journal_over_its_limit_makes_the_next_durable_caller_commit(tmp_path, monkeypatch):
    """Under a load that never lets the writer catch up, the journal cannot grow for ever."""
    from actions_core import events

    monkeypatch.setattr(events, "_LINGER", 2.0)  # the background writer does not help here
    monkeypatch.setattr(events, "_JOURNAL_LIMIT", 0)
    db = tmp_path / "actions.sqlite3"
    engine = open_engine(sqlite_url(db))
    log = EventLog(engine, tmp_path / "journal")
    try:
        log.record(durable=True, **row("e1"))  # journaled: the journal is now over the limit
        assert log._journal.size > 0
        log.record(durable=True, **row("e2"))  # committed by this caller, with e1
        assert log._journal.size == 0
        assert log._journal.path.read_bytes() == b""
        assert stored(db) == [("e1", "execute"), ("e2", "execute")]
    finally:
        log.close()
        engine.dispose()
