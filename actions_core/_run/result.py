"""What an execution returns: Kibana's ``ActionTypeExecutorResult`` as a Python value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from actions_core.errors import ErrorSource, ExecutionError

__all__ = ["ActionResult", "ExecutionError"]  # ExecutionError lives in actions_core.errors


@dataclass
class ActionResult:
    """The outcome of one execution.

    ``data`` is the executor's JSON-able return value, or an iterator for streaming executors
    (consume it to finish the execution). ``retry`` is ``True``/``False`` or a ``datetime`` after
    which a retry makes sense (e.g. from a ``Retry-After`` header).
    """

    status: Literal["ok", "error"]
    connector_id: str
    data: Any = None
    message: str | None = None
    service_message: str | None = None
    retry: bool | datetime | None = None
    error_source: ErrorSource | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_api(self) -> dict[str, Any]:
        """Kibana's ``_execute`` response body (``errorSource`` stays camelCase, as in Kibana)."""
        body: dict[str, Any] = {"connector_id": self.connector_id, "status": self.status}
        if self.message is not None:
            body["message"] = self.message
        if self.service_message is not None:
            body["service_message"] = self.service_message
        if self.data is not None:
            body["data"] = self.data
        if self.retry is not None:
            body["retry"] = (
                self.retry.isoformat() if isinstance(self.retry, datetime) else self.retry
            )
        if self.error_source is not None:
            body["errorSource"] = self.error_source
        return body
