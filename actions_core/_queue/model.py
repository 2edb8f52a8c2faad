"""``Execution``: one queued execution as the Python API and the HTTP service show it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from actions_core._run.result import ActionResult

__all__ = ["FINAL_STATUSES", "Execution", "ExecutionStatus", "result_from_json", "result_to_json"]

ExecutionStatus = Literal["queued", "running", "succeeded", "failed"]
FINAL_STATUSES = frozenset({"succeeded", "failed"})


@dataclass(frozen=True)
class Execution:
    """A queued execution: its state, attempts so far and the last attempt's result."""

    id: str
    connector_id: str
    space_id: str
    status: ExecutionStatus
    attempts: int
    max_attempts: int
    result: ActionResult | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    source: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connector_id": self.connector_id,
            "space_id": self.space_id,
            "status": self.status,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "result": self.result.to_api() if self.result is not None else None,
            "queued_at": self.queued_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def result_to_json(result: ActionResult) -> dict[str, Any]:
    """The stored form of a result: Kibana's body, made JSON whatever the executor returned."""
    stored: dict[str, Any] = json.loads(json.dumps(result.to_api(), default=str))
    return stored


def result_from_json(body: dict[str, Any] | None) -> ActionResult | None:
    if body is None:
        return None
    retry = body.get("retry")
    if isinstance(retry, str):
        retry = datetime.fromisoformat(retry)
    return ActionResult(
        status=body["status"],
        connector_id=body["connector_id"],
        data=body.get("data"),
        message=body.get("message"),
        service_message=body.get("service_message"),
        retry=retry,
        error_source=body.get("errorSource"),
    )


def from_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)
