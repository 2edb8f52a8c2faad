"""The audit log: Kibana's connector audit events as JSON lines in ``<data dir>/audit.log``.

Messages follow Kibana (reference §8): ``User is creating connector [id=<id>]`` (outcome
``unknown``, just before a write), ``User has created connector [id=<id>]`` (success) and
``Failed attempt to create connector [id=<id>]`` (failure, with ``error.code`` and
``error.message``). Records never contain request bodies, so secrets cannot reach the file.

Writing never happens on the caller's thread (the event loop, in the service): ``log`` builds
the record and queues its line; one background thread keeps the file open (``O_APPEND``) and
writes whatever has queued up with one ``write`` call. Woken by a line, the writer lingers
(``_LINGER``, as the event log's writer does) so that a busy service wakes it once per batch
rather than once per request: each wake costs a thread switch and a hand-over of the GIL.
``flush`` and ``close`` cut the linger short. ``O_APPEND`` makes each write land whole at the
end of the file, so several ``actions serve`` worker processes can share one file.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from actions_core.server.auth import Principal

__all__ = ["AUDIT_FILE", "AuditLog", "AuditRequest"]

AUDIT_FILE = "audit.log"
_STOP = object()
_log = logging.getLogger("actions_core.server.audit")
_open_logs: weakref.WeakSet[AuditLog] = weakref.WeakSet()
_FLUSH_WAIT = 10.0  # seconds a flush or close waits for the writer at most
_LINGER = 0.02  # seconds the writer waits, after the first line, for more to join its write

#: action → (present, progressive, past) verbs and ECS event type, as Kibana's audit_events.ts.
_VERBS = {
    "connector_create": ("create", "creating", "created", "creation"),
    "connector_get": ("access", "accessing", "accessed", "access"),
    "connector_find": ("access", "accessing", "accessed", "access"),
    "connector_update": ("update", "updating", "updated", "change"),
    "connector_delete": ("delete", "deleting", "deleted", "deletion"),
    "connector_execute": ("execute", "executing", "executed", None),
}


@dataclass(frozen=True)
class AuditRequest:
    """The parts of a request an audit record keeps."""

    principal: Principal | None
    space_id: str
    method: str
    path: str
    client_ip: str | None
    request_id: str

    @classmethod
    def new(
        cls, principal: Principal | None, space_id: str, method: str, path: str, ip: str | None
    ) -> AuditRequest:
        return cls(principal, space_id, method, path, ip, str(uuid.uuid4()))


class AuditLog:
    """JSON lines appended to ``path`` by a background writer (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._cond = threading.Condition()
        self._hurry = threading.Event()  # set by flush and close: write without lingering
        self._pending = 0
        self._writer: threading.Thread | None = None
        self._closed = False
        _open_logs.add(self)

    def log(
        self,
        action: str,
        request: AuditRequest,
        connector_id: str | None,
        *,
        outcome: str = "success",
        error: BaseException | None = None,
        error_code: str | None = None,
    ) -> dict[str, Any]:
        present, progressive, past, event_type = _VERBS[action]
        target = f"connector [id={connector_id}]" if connector_id else "a connector"
        if error is not None or outcome == "failure":
            outcome = "failure"
            message = f"Failed attempt to {present} {target}"
        elif outcome == "unknown":
            message = f"User is {progressive} {target}"
        else:
            message = f"User has {past} {target}"
        record: dict[str, Any] = {
            "@timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "message": message,
            "event": {
                "action": action,
                "category": ["database"],
                "outcome": outcome,
            },
            "kibana": {
                "space_id": request.space_id,
                "saved_object": {"type": "action", "id": connector_id} if connector_id else None,
            },
            "http": {"request": {"method": request.method}},
            "url": {"path": request.path},
            "client": {"ip": request.client_ip},
            "trace": {"id": request.request_id},
        }
        if event_type:
            record["event"]["type"] = [event_type]
        principal = request.principal
        if principal is not None:
            record["user"] = {"name": principal.name, "roles": [principal.role]}
            record["kibana"]["authentication_type"] = principal.kind
            if principal.api_key_id:
                record["kibana"]["user_api_key"] = {
                    "id": principal.api_key_id,
                    "name": principal.name,
                }
        if error is not None or error_code is not None:
            record["error"] = {
                "code": error_code or type(error).__name__,
                "message": getattr(error, "message", None) or str(error or ""),
            }
        self._write(record)
        return record

    def flush(self, timeout: float = _FLUSH_WAIT) -> bool:
        """Wait until every queued line is in the file; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        self._hurry.set()
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        """Write what is queued, stop the writer and close the file; later records are dropped."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            writer = self._writer
        if writer is not None:
            self._hurry.set()
            self._queue.put(_STOP)
            writer.join(timeout=_FLUSH_WAIT)

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._cond:
            if self._closed:
                return
            self._pending += 1
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="actions-core-audit-log", daemon=True
                )
                self._writer.start()
        self._queue.put(line)

    def _write_loop(self) -> None:
        """Open the file once; write every line that has queued up (lingering for more, see the
        module docstring) in one ``os.write``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            stopping = False
            while not stopping:
                lines = [self._queue.get()]
                if lines[0] is not _STOP and self._hurry.wait(_LINGER):
                    self._hurry.clear()  # a flush: its lines are queued by now
                while True:
                    try:
                        lines.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if any(line is _STOP for line in lines):
                    stopping = True
                    lines = [line for line in lines if line is not _STOP]
                if lines:
                    data = "".join(lines).encode("utf-8")
                    try:
                        while data:
                            data = data[os.write(fd, data) :]
                    except OSError as err:  # e.g. a full disk: say so, keep serving
                        _log.error("audit log: could not write %d records: %s", len(lines), err)
                with self._cond:
                    self._pending -= len(lines)
                    self._cond.notify_all()
        finally:
            os.close(fd)


@atexit.register
def _close_open_logs() -> None:
    """Lines still queued when the interpreter exits reach the file (the writer is a daemon)."""
    for log in list(_open_logs):
        log.close()
