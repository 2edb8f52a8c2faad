"""``AuditLog`` itself: lines written by one background writer over a file kept open."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from actions_core.server.audit import AuditLog, AuditRequest
from actions_core.server.auth import Principal


def _request() -> AuditRequest:
    return AuditRequest.new(None, "default", "GET", "/api/actions/connectors", "127.0.0.1")


def _open_handles(path: Path) -> int:
    """How many of this process's file descriptors point at ``path``."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                count += 1
        except OSError:
            continue
    return count


def test_records_reach_the_file_in_order_after_flush(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    try:
        for n in range(200):
            log.log("connector_get", _request(), f"c{n}")
        assert log.flush()
        lines = (tmp_path / "audit.log").read_text().splitlines()
        ids = [json.loads(line)["kibana"]["saved_object"]["id"] for line in lines]
        assert ids == [f"c{n}" for n in range(200)]
        assert oct((tmp_path / "audit.log").stat().st_mode & 0o777) == "0o600"
    finally:
        log.close()


def test_the_file_is_opened_once_and_written_off_the_callers_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.log"
    log = AuditLog(path)
    writers: set[str] = set()
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:  # notes which thread writes; the write is real
        if b"connector_find" in data:
            writers.add(threading.current_thread().name)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    for n in range(50):
        log.log("connector_find", _request(), f"c{n}")
        assert _open_handles(path) <= 1
    assert log.flush()
    assert _open_handles(path) == 1  # kept open between records
    monkeypatch.undo()
    assert writers == {"actions-core-audit-log"}
    log.close()
    assert _open_handles(path) == 0  # close() closes it
    assert len(path.read_text().splitlines()) == 50


def test_close_writes_what_is_queued_and_drops_later_records(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    log = AuditLog(path)
    principal = Principal(kind="api_key", name="admin", role="all", api_key_id="k1")
    request = AuditRequest.new(principal, "default", "POST", "/x", None)
    for n in range(20):
        log.log("connector_create", request, f"c{n}", outcome="unknown")
    log.close()
    assert len(path.read_text().splitlines()) == 20
    log.log("connector_create", request, "late")
    assert log.flush(timeout=0.5)
    assert "late" not in path.read_text()


def test_the_writer_writes_a_burst_of_lines_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Woken by a line, the writer lingers for the ones that follow: a burst costs it one wake
    and one write, not one per line; and the lines still reach the file without a flush."""
    from tests.servers import wait_until

    path = tmp_path / "audit.log"
    log = AuditLog(path)
    writes: list[int] = []
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:
        if b"connector_find" in data:
            writes.append(data.count(b"\n"))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    try:
        for n in range(100):
            log.log("connector_find", _request(), f"c{n}")
        wait_until(lambda: sum(writes) == 100, what="the burst in the file, unflushed")
        assert len(writes) <= 3, writes
        assert len(path.read_text().splitlines()) == 100
    finally:
        monkeypatch.undo()
        log.close()
