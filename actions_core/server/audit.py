"""The audit log: Kibana's connector audit events as JSON lines in ``<data dir>/audit.log``.

Messages follow Kibana (reference §8): ``User is creating connector [id=<id>]`` (outcome
``unknown``, just before a write), ``User has created connector [id=<id>]`` (success) and
``Failed attempt to create connector [id=<id>]`` (failure, with ``error.code`` and
``error.message``). Records never contain request bodies, so secrets cannot reach the file.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from actions_core.server.auth import Principal

__all__ = ["AUDIT_FILE", "AuditLog", "AuditRequest"]

AUDIT_FILE = "audit.log"

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
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

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

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line)
