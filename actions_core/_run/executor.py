"""Running a connector by id: Kibana's executor pipeline, in one place.

resolve connector → type executable? → validate params, config, secrets, connector →
``execute-start`` → type executor → ``ActionResult`` → ``execute`` (outcome, duration, usage).

Validation failures return error results and write no event, as in Kibana. Streaming executors
return an iterator; their ``execute`` record is written when the caller finishes or closes it.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from actions_core._run.context import ExecutionContext, ValidationContext
from actions_core._run.result import ActionResult, ExecutionError
from actions_core._run.validation import validate
from actions_core.errors import ActionsError, ValidationError

if TYPE_CHECKING:
    from actions_core._net.client import HttpClient
    from actions_core._net.policy import NetworkPolicy
    from actions_core._plugins.action_type import ActionType
    from actions_core._plugins.registry import ActionTypeRegistry
    from actions_core.connectors import ConnectorsClient, ResolvedConnector
    from actions_core.events import EventLog

__all__ = ["ExecutionStream", "Executor"]

_log = logging.getLogger("actions_core.executor")
RUN_FAILED = "an error occurred while running the action"


class Executor:
    def __init__(
        self,
        registry: ActionTypeRegistry,
        connectors: ConnectorsClient,
        events: EventLog,
        http: HttpClient,
        network: NetworkPolicy,
    ) -> None:
        self._registry = registry
        self._connectors = connectors
        self._events = events
        self._http = http
        self._network = network
        #: Base URL of the HTTP service (``server.publicBaseUrl``, or set by ``actions serve``).
        self.public_base_url: str | None = None

    def execute(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str = "default",
        source: str = "python",
        user: str | None = None,
        execution_id: str | None = None,
        attempt: int | None = None,
        schedule_delay_ms: float | None = None,
    ) -> ActionResult:
        """Run once. Queued runs (``actions_core._queue``) pass their execution id, attempt and
        schedule delay, which land in the event records and the context."""
        resolved = self._connectors.resolve(connector_id, space_id=space_id)
        connector = resolved.connector
        action_type = self._registry.get(connector.connector_type_id)
        if not self._registry.is_executable(
            action_type.id, is_preconfigured=connector.is_preconfigured
        ):
            self._registry.ensure_enabled(action_type.id)

        invalid = self._validate(action_type, resolved, params)
        if isinstance(invalid, ActionResult):
            return invalid
        config, secrets, params = invalid

        execution_id = execution_id or str(uuid.uuid4())
        base = {
            "execution_id": execution_id,
            "connector_id": connector.id,
            "connector_name": connector.name,
            "action_type_id": action_type.id,
            "space_id": space_id,
            "is_preconfigured": connector.is_preconfigured,
            "source": source,
            "user": user,
        }
        if attempt is not None:  # a queued run
            base.update(attempt=attempt, schedule_delay_ms=schedule_delay_ms)
        label = f"{action_type.id}:{connector.id}: {connector.name}"
        self._events.record(action="execute-start", message=f"action started: {label}", **base)
        if attempt is not None:
            self._events.flush()  # a queued run's start survives a worker killed mid-run
        ctx = ExecutionContext(
            connector_id=connector.id,
            connector_name=connector.name,
            action_type_id=action_type.id,
            config=config,
            secrets=secrets,
            params=params,
            http=self._http,
            logger=logging.getLogger(f"actions_core.types.{action_type.id.lstrip('.')}"),
            execution_id=execution_id,
            space_id=space_id,
            source=source,
            is_preconfigured=connector.is_preconfigured,
            dashboard_url=self._dashboard_url(connector.id, space_id),
            attempt=attempt or 1,
        )
        started = time.perf_counter()
        completion = _Completion(self._events, base, label, ctx, started)
        try:
            outcome = action_type.executor(ctx)
        except Exception as err:
            result = _failure(connector.id, err)
            completion.finish(result)
            return result
        result = _to_result(connector.id, outcome)
        if result.ok and _is_stream(result.data):
            result.data = ExecutionStream(result.data, completion)
            return result
        completion.finish(result)
        return result

    def check(self, connector_id: str, params: Any, *, space_id: str = "default") -> str:
        """What ``execute`` checks before running, as exceptions (for ``enqueue``): the type id.

        Raises ``NotFoundError``, ``ActionTypeDisabledError`` or ``ValidationError``.
        """
        resolved = self._connectors.resolve(connector_id, space_id=space_id)
        connector = resolved.connector
        action_type = self._registry.get(connector.connector_type_id)
        if not self._registry.is_executable(
            action_type.id, is_preconfigured=connector.is_preconfigured
        ):
            self._registry.ensure_enabled(action_type.id)
        invalid = self._validate(action_type, resolved, params)
        if isinstance(invalid, ActionResult):
            raise ValidationError(
                invalid.message or "invalid params", [("params", invalid.message or "")]
            )
        return action_type.id

    def _dashboard_url(self, connector_id: str, space_id: str) -> str | None:
        if not self.public_base_url:
            return None
        prefix = "" if space_id == "default" else f"/s/{space_id}"
        return f"{self.public_base_url.rstrip('/')}{prefix}/app/connectors/{connector_id}/usage"

    def _validate(
        self, action_type: ActionType, resolved: ResolvedConnector, params: Any
    ) -> ActionResult | tuple[dict, dict, dict]:
        connector_id = resolved.connector.id
        ctx = ValidationContext(action_type.id, self._network, connector_id)
        try:
            params = validate(action_type.params_schema, params)
            if action_type.validate_params is not None:
                params = action_type.validate_params(params, ctx) or params
        except Exception as err:
            return _invalid(connector_id, "error validating action params", err, "user")
        if resolved.secrets is None:
            return ActionResult(
                status="error",
                connector_id=connector_id,
                message=(
                    "Unable to execute action because no secrets are defined for the "
                    f'"{resolved.connector.name}" connector.'
                ),
                service_message=resolved.secrets_problem,
                retry=False,
                error_source="user",
            )
        from actions_core.connectors import validate_connector_values

        try:
            validated = resolved.validated.get(action_type.id)
            if validated is None:
                validated = validate_connector_values(
                    action_type, resolved.config, resolved.secrets, ctx
                )
                resolved.validated[action_type.id] = validated
            # copies: an executor that changes its config must not change the cached one
            config, secrets = copy.deepcopy(validated)
        except ValidationError as err:
            return ActionResult(
                status="error",
                connector_id=connector_id,
                message=err.message,
                retry=False,
                error_source="framework",
            )
        return config, secrets, params


class _Completion:
    """Writes the ``execute`` record exactly once, whenever the execution really ends."""

    def __init__(
        self,
        events: EventLog,
        base: dict[str, Any],
        label: str,
        ctx: ExecutionContext,
        started: float,
    ) -> None:
        self._events = events
        self._base = base
        self._label = label
        self._ctx = ctx
        self._started = started
        self.done = False

    def finish(self, result: ActionResult, note: str | None = None) -> None:
        if self.done:
            return
        self.done = True
        duration_ms = (time.perf_counter() - self._started) * 1000
        ok = result.ok
        message = (
            f"action executed: {self._label}" if ok else f"action execution failure: {self._label}"
        )
        if note:
            message += f" ({note})"
        error_message = None if ok else _event_error(result)
        if not ok:
            _log.warning("action execution failure: %s: %s", self._label, error_message)
        usage = self._ctx.usage
        self._events.record(
            action="execute",
            outcome="success" if ok else "failure",
            duration_ms=duration_ms,
            message=message,
            error_message=error_message,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            total_tokens=usage.total_tokens if usage else None,
            usage_estimated=usage.estimated if usage else None,
            model=usage.model if usage else None,
            request_body_bytes=self._ctx.request_body_bytes or None,
            **self._base,
        )


class ExecutionStream(Iterator[Any]):
    """The ``data`` of a streaming execution: iterate it; the event is written at the end.

    The record is completed when the iterator is exhausted (success), raises (failure; the
    exception reaches the caller) or is closed early by the caller (success, noted).
    """

    def __init__(self, source: Any, completion: _Completion) -> None:
        self._source = iter(source)
        self._completion = completion
        self.chunks = 0

    def __iter__(self) -> ExecutionStream:
        return self

    def __next__(self) -> Any:
        if self._completion.done:
            raise StopIteration
        try:
            chunk = next(self._source)
        except StopIteration:
            self._completion.finish(ActionResult("ok", self._completion._ctx.connector_id))
            raise
        except Exception as err:
            self._completion.finish(_failure(self._completion._ctx.connector_id, err))
            raise
        self.chunks += 1
        return chunk

    def close(self) -> None:
        if self._completion.done:
            return
        closer = getattr(self._source, "close", None)
        try:
            if closer is not None:
                closer()
        finally:
            self._completion.finish(
                ActionResult("ok", self._completion._ctx.connector_id),
                note=f"stream closed by the caller after {self.chunks} chunks",
            )

    def __enter__(self) -> ExecutionStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # a finaliser must never raise
            self.close()


def _is_stream(data: Any) -> bool:
    return isinstance(data, Iterator) and not isinstance(data, str | bytes | dict | list)


def _to_result(connector_id: str, outcome: Any) -> ActionResult:
    if isinstance(outcome, ActionResult):
        if outcome.status == "error":
            outcome.error_source = "user"
        outcome.connector_id = connector_id
        return outcome
    if isinstance(outcome, AsyncIterator):
        raise TypeError("async iterators are returned through Actions.execute_async")
    return ActionResult(status="ok", connector_id=connector_id, data=outcome)


def _failure(connector_id: str, err: BaseException) -> ActionResult:
    if isinstance(err, ExecutionError):
        return ActionResult(
            status="error",
            connector_id=connector_id,
            message=RUN_FAILED,
            service_message=str(err),
            retry=err.retry,
            error_source=err.error_source,
        )
    if isinstance(err, ActionsError) and 400 <= err.status_code < 500:
        # e.g. a host refused by the network policy: the request is wrong, retrying cannot help
        return ActionResult(
            status="error",
            connector_id=connector_id,
            message=RUN_FAILED,
            service_message=err.message,
            retry=False,
            error_source="user",
        )
    return ActionResult(
        status="error",
        connector_id=connector_id,
        message=RUN_FAILED,
        service_message=str(err) or type(err).__name__,
        retry=True,
        error_source="framework",
    )


def _invalid(connector_id: str, prefix: str, err: Exception, source: str) -> ActionResult:
    detail = getattr(err, "message", None) or str(err)
    return ActionResult(
        status="error",
        connector_id=connector_id,
        message=f"{prefix}: {detail}",
        retry=False,
        error_source=source,  # type: ignore[arg-type]
    )


def _event_error(result: ActionResult) -> str:
    text = result.message or ""
    if result.service_message:
        text += f": {result.service_message}"
    if isinstance(result.retry, datetime):
        text += f"; retry at {result.retry.isoformat()}"
    elif result.retry is not None:
        text += f"; retry: {'true' if result.retry else 'false'}"
    return text
