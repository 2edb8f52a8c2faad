"""Running a connector by id: Kibana's executor pipeline, in one place.

resolve connector → type executable? → validate params, config, secrets, connector →
``execute-start`` → type executor → ``ActionResult`` → ``execute`` (outcome, duration, usage).

Validation failures return error results and write no event, as in Kibana. Streaming executors
return an iterator; their ``execute`` record is written when the caller finishes or closes it.

Once ``execute-start`` is written, every path ends in exactly one ``execute`` record, whatever
the plugin's executor does: ``async def`` executors are awaited or streamed (:mod:`.boundary`),
data or chunks that are not JSON fail the execution naming the type and the plugin, and an
unexpected exception is reported with its type while its traceback goes to the log, with the
connector's secret values masked in both.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import logging
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from actions_core._js.json_values import check_json_value
from actions_core._net.errors import RequestError
from actions_core._run.boundary import AsyncStream, chunk_problem, json_problem, settle
from actions_core._run.context import ExecutionContext, ValidationContext
from actions_core._run.masking import SecretMask
from actions_core._run.result import ActionResult, ExecutionError
from actions_core._run.validation import format_problems, validate, validate_connector_values
from actions_core.errors import ActionsError, ErrorSource, ValidationError

if TYPE_CHECKING:
    from actions_core._net.aclient import AsyncHttpClient
    from actions_core._net.client import HttpClient
    from actions_core._net.policy import NetworkPolicy
    from actions_core._plugins.action_type import ActionType
    from actions_core._plugins.registry import ActionTypeRegistry
    from actions_core.connectors import ConnectorsClient, ResolvedConnector
    from actions_core.events import EventLog

__all__ = ["AsyncExecutionStream", "ExecutionStream", "Executor", "RunRecords"]

_log = logging.getLogger("actions_core.executor")
RUN_FAILED = "an error occurred while running the action"
_CLOSE_TIMEOUT = 10.0  # seconds closing an async stream's source may take


class RunRecords(Protocol):
    """Who writes an execution's two event records instead of the event log (a queued run,
    which writes them in the transactions that change the execution's state)."""

    def start(self, record: dict[str, Any]) -> None:
        """Make the ``execute-start`` record durable; the executor runs once this returns (an
        exception here ends the execution before it ran, without an ``execute`` record)."""

    def end(self, record: dict[str, Any]) -> None:
        """The ``execute`` record: the caller makes it durable with the execution's end."""


class Executor:
    def __init__(
        self,
        registry: ActionTypeRegistry,
        connectors: ConnectorsClient,
        events: EventLog,
        http: HttpClient,
        network: NetworkPolicy,
        ahttp: Callable[[], AsyncHttpClient] | None = None,
        *,
        local_store: bool = True,
    ) -> None:
        self._registry = registry
        self._connectors = connectors
        self._events = events
        self._http = http
        self._ahttp = ahttp
        #: The store is a SQLite file: a read takes microseconds and never waits for a writer
        #: (WAL), so ``execute_async`` may do its checks on the loop. Over a network (PostgreSQL)
        #: a read is a round trip the loop would wait for.
        self._local_store = local_store
        self._network = network
        #: ``(connector_id, space_id) -> URL`` of the connector's usage page, handed to executors
        #: as ``ctx.dashboard_url``. Set by whoever knows where that page is (the HTTP service).
        self.dashboard_url: Callable[[str, str], str | None] | None = None

    def execute(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str = "default",
        source: str = "python",
        user: str | None = None,
        async_streams: bool = False,
        execution_id: str | None = None,
        attempt: int | None = None,
        schedule_delay_ms: float | None = None,
        records: RunRecords | None = None,
    ) -> ActionResult:
        """Run the connector (see the module docstring). With ``async_streams`` the caller
        will iterate a streaming result on its own event loop: an executor's async iterator is
        then handed over as an :class:`AsyncExecutionStream` (``async for``) instead of being
        run on a private loop behind a blocking iterator. Queued runs (``actions_core._queue``)
        pass their execution id, attempt and schedule delay, which land in the event records
        and the context, and hand both event records to ``records`` (see :class:`RunRecords`)
        instead of the event log."""
        run = self._begin(
            connector_id,
            params,
            space_id=space_id,
            source=source,
            user=user,
            async_streams=async_streams,
            execution_id=execution_id,
            attempt=attempt,
            schedule_delay_ms=schedule_delay_ms,
            records=records,
        )
        if isinstance(run, ActionResult):
            return run
        return run.blocking()

    async def execute_async(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str = "default",
        source: str = "python",
        user: str | None = None,
    ) -> ActionResult:
        """:meth:`execute` for a caller on an event loop, run on that loop where it can be.

        The checks and the ``execute-start`` record run here on a local store (in-memory work
        and, on a cache miss, one indexed read), in a worker thread on a networked one. A type's
        ``async_executor`` is awaited on this loop; a blocking executor runs in a worker thread,
        as :meth:`execute` with ``async_streams`` would.
        """
        import anyio.to_thread  # only asyncio callers get here

        begin = functools.partial(
            self._begin,
            connector_id,
            params,
            space_id=space_id,
            source=source,
            user=user,
            async_streams=True,
        )
        run = begin() if self._local_store else await anyio.to_thread.run_sync(begin)
        if isinstance(run, ActionResult):
            return run
        return await run.on_loop(anyio.to_thread.run_sync, self._events.durable_is_cheap)

    def _begin(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str,
        source: str,
        user: str | None,
        async_streams: bool,
        execution_id: str | None = None,
        attempt: int | None = None,
        schedule_delay_ms: float | None = None,
        records: RunRecords | None = None,
    ) -> ActionResult | _Run:
        """The checks, the ``execute-start`` record and the context: a run ready to execute,
        or the error result that refuses it (no record written)."""
        resolved, action_type, invalid = self._checked(connector_id, params, space_id)
        if isinstance(invalid, ActionResult):
            return invalid
        connector = resolved.connector
        config, secrets, params = invalid

        execution_id = execution_id or str(uuid.uuid4())
        base: dict[str, Any] = {
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
        start = {"action": "execute-start", "message": f"action started: {label}", **base}
        if records is not None:
            records.start(self._events.row(**start))  # durable before the executor runs
        else:
            self._events.record(**start)
            if attempt is not None:
                self._events.flush()  # a queued run's start survives a worker killed mid-run
        who = _Origin(action_type.id, self._registry.plugin_of(action_type.id), label, secrets)
        ctx = ExecutionContext(
            connector_id=connector.id,
            connector_name=connector.name,
            action_type_id=action_type.id,
            config=config,
            secrets=secrets,
            params=params,
            http=self._http,
            logger=who.mask.logger(
                logging.getLogger(f"actions_core.types.{action_type.id.lstrip('.')}")
            ),
            execution_id=execution_id,
            space_id=space_id,
            source=source,
            is_preconfigured=connector.is_preconfigured,
            dashboard_url=self._dashboard_url(connector.id, space_id),
            async_streams=async_streams,
            _ahttp=self._ahttp,
            attempt=attempt or 1,
        )
        started = time.perf_counter()
        completion = _Completion(self._events, base, label, ctx, started, who, records)
        # From here on every path ends in completion.finish (now, or when a stream ends):
        # an execute-start is never left without its execute record.
        return _Run(action_type, ctx, completion)

    def _checked(
        self, connector_id: str, params: Any, space_id: str
    ) -> tuple[
        ResolvedConnector,
        ActionType,
        ActionResult | tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
    ]:
        """The connector, its type (enabled, or ``ActionTypeDisabledError``), and the validated
        ``(params, config, secrets)`` or the error result that refuses them."""
        resolved = self._connectors.resolve(connector_id, space_id=space_id)
        connector = resolved.connector
        action_type = self._registry.get(connector.connector_type_id)
        if not self._registry.is_executable(
            action_type.id, is_preconfigured=connector.is_preconfigured
        ):
            self._registry.ensure_enabled(action_type.id)
        return resolved, action_type, self._validate(action_type, resolved, params)

    def check(self, connector_id: str, params: Any, *, space_id: str = "default") -> str:
        """What ``execute`` checks before running, as exceptions (for ``enqueue``): the type id.

        Raises ``NotFoundError``, ``ActionTypeDisabledError`` or ``ValidationError``.
        """
        _, action_type, invalid = self._checked(connector_id, params, space_id)
        if isinstance(invalid, ActionResult):
            raise ValidationError(
                invalid.message or "invalid params", [("params", invalid.message or "")]
            )
        return action_type.id

    def _dashboard_url(self, connector_id: str, space_id: str) -> str | None:
        return self.dashboard_url(connector_id, space_id) if self.dashboard_url else None

    def _validate(
        self, action_type: ActionType, resolved: ResolvedConnector, params: Any
    ) -> ActionResult | tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        connector_id = resolved.connector.id
        ctx = ValidationContext(action_type.id, self._network, connector_id)
        try:
            not_json = check_json_value(params)
            if not_json:  # NaN, Infinity, a lone surrogate: never reaches an executor or a log
                raise ValidationError(format_problems(not_json), not_json)
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


class _Run:
    """One execution past its checks and its ``execute-start`` record: each way of running the
    executor ends in exactly one ``execute`` record (``completion.finish``)."""

    def __init__(self, action_type: ActionType, ctx: ExecutionContext, completion: _Completion):
        self.action_type = action_type
        self.ctx = ctx
        self.completion = completion

    def blocking(self) -> ActionResult:
        """Call the executor here, settling a coroutine it returns (see :func:`settle`)."""
        connector_id = self.ctx.connector_id
        try:
            result = self._result(settle(self.action_type.executor(self.ctx)))
        except Exception as err:
            result = _failure(connector_id, err, self.completion.origin)
        except BaseException as err:  # KeyboardInterrupt, SystemExit: record, then let it go
            self.completion.finish(_failure(connector_id, err, self.completion.origin))
            raise
        if not isinstance(result.data, ExecutionStream | AsyncExecutionStream):
            self.completion.finish(result)
        return result

    async def on_loop(
        self,
        in_thread: Callable[..., Awaitable[Any]],
        finish_here: bool,
    ) -> ActionResult:
        """Await the type's ``async_executor`` on the running loop; a type without one (or
        one that declines these params) runs :meth:`blocking` through ``in_thread``. The
        ``execute`` record is written here when that is cheap (a journal append), else in a
        worker thread (a commit)."""
        connector_id = self.ctx.connector_id
        try:
            call = self.action_type.async_executor
            outcome = call(self.ctx) if call is not None else None
            if outcome is None:
                return cast(ActionResult, await in_thread(self.blocking))
            if inspect.isawaitable(outcome):
                outcome = await outcome
            result = self._result(outcome)
        except Exception as err:
            result = _failure(connector_id, err, self.completion.origin)
        except BaseException as err:  # cancelled (the client went away): record, then go on
            self.completion.finish(_failure(connector_id, err, self.completion.origin))
            raise
        if isinstance(result.data, ExecutionStream | AsyncExecutionStream):
            return result
        if finish_here:
            self.completion.finish(result)
        else:
            await in_thread(self.completion.finish, result)
        return result

    def _result(self, outcome: Any) -> ActionResult:
        """The executor's outcome as a result; a stream is handed over to end later."""
        connector_id = self.ctx.connector_id
        result = _to_result(connector_id, outcome)
        if isinstance(result.data, AsyncIterator):
            if self.ctx.async_streams and result.ok:
                result.data = AsyncExecutionStream(result.data, self.completion)
                return result
            result.data = AsyncStream(result.data)
        if result.ok and _is_stream(result.data):
            result.data = ExecutionStream(result.data, self.completion)
            return result
        problem = json_problem(result.data)
        if problem is not None:
            result = self.completion.origin.not_json(connector_id, problem)
        return result


class _Completion:
    """Writes the ``execute`` record exactly once, whenever the execution really ends."""

    def __init__(
        self,
        events: EventLog,
        base: dict[str, Any],
        label: str,
        ctx: ExecutionContext,
        started: float,
        origin: _Origin,
        records: RunRecords | None = None,
    ) -> None:
        self._events = events
        self._records = records
        self._base = base
        self._label = label
        self._ctx = ctx
        self._started = started
        self.origin = origin
        self.done = False
        #: The execution's final result, once it has ended.
        self.result: ActionResult | None = None

    def finish(self, result: ActionResult, note: str | None = None) -> None:
        if self.done:
            return
        self.done = True
        self.result = self.origin.mask.result(result)  # whatever the plugin put in it
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
        record = dict(
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
        if self._records is not None:
            self._records.end(self._events.row(**record))
        else:
            # durable: once the execution has ended for its caller, both its records are
            # committed
            self._events.record(durable=True, **record)


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

    @property
    def result(self) -> ActionResult | None:
        """The execution's final result once the stream has ended (``None`` before): on a
        failure, the error result every interface reports."""
        return self._completion.result

    def __next__(self) -> Any:
        completion = self._completion
        if completion.done:
            raise StopIteration
        connector_id = completion._ctx.connector_id
        try:
            chunk = next(self._source)
        except StopIteration:
            completion.finish(ActionResult("ok", connector_id))
            raise
        except Exception as err:
            completion.finish(_failure(connector_id, err, completion.origin))
            completion.origin.mask.exception(err)  # it reaches the caller: no secret in it
            raise
        problem = chunk_problem(chunk)
        if problem is not None:
            failure = completion.origin.not_json(connector_id, problem)
            completion.finish(failure, note=f"after {self.chunks} chunks")
            with contextlib.suppress(Exception):
                closer = getattr(self._source, "close", None)
                if closer is not None:
                    closer()
            raise ExecutionError(failure.service_message or RUN_FAILED, retry=False)
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


class AsyncExecutionStream(AsyncIterator[Any]):
    """:class:`ExecutionStream` for ``async for``: the ``data`` of a streaming execution whose
    executor returned an async iterator, when the caller runs an event loop (the HTTP service).

    Each chunk is one ``await`` on the caller's loop (no thread). The ``execute`` record is
    completed exactly as for :class:`ExecutionStream`: exhausted (success), raised (failure;
    the exception reaches the caller), or closed early with :meth:`aclose` (success, noted).
    """

    def __init__(self, source: AsyncIterator[Any], completion: _Completion) -> None:
        self._source = source
        self._completion = completion
        self.chunks = 0

    def __aiter__(self) -> AsyncExecutionStream:
        return self

    @property
    def result(self) -> ActionResult | None:
        """The final result once the stream has ended (``None`` before)."""
        return self._completion.result

    async def __anext__(self) -> Any:
        completion = self._completion
        if completion.done:
            raise StopAsyncIteration
        connector_id = completion._ctx.connector_id
        try:
            chunk = await self._source.__anext__()
        except StopAsyncIteration:
            completion.finish(ActionResult("ok", connector_id))
            raise
        except Exception as err:
            completion.finish(_failure(connector_id, err, completion.origin))
            raise
        except BaseException as err:  # cancelled (the client went away mid-read)
            completion.finish(
                ActionResult("ok", connector_id),
                note=f"stream closed by the caller after {self.chunks} chunks",
            )
            await self._close_source()
            raise err
        problem = chunk_problem(chunk)
        if problem is not None:
            failure = completion.origin.not_json(connector_id, problem)
            completion.finish(failure, note=f"after {self.chunks} chunks")
            await self._close_source()
            raise ExecutionError(failure.service_message or RUN_FAILED, retry=False)
        self.chunks += 1
        return chunk

    async def _close_source(self) -> None:
        """Close the source (its ``finally`` blocks run, the upstream is released), even when
        the caller's task is being cancelled: the close is shielded, and bounded."""
        closer = getattr(self._source, "aclose", None)
        if closer is None:
            return
        import anyio  # the HTTP service's (and httpx's) event-loop toolkit

        with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True), contextlib.suppress(Exception):
            await closer()

    async def aclose(self) -> None:
        if self._completion.done:
            await self._close_source()  # a finished generator's aclose is a no-op
            return
        try:
            await self._close_source()
        finally:
            self._completion.finish(
                ActionResult("ok", self._completion._ctx.connector_id),
                note=f"stream closed by the caller after {self.chunks} chunks",
            )

    def __del__(self) -> None:
        # dropped unclosed: the event still gets written (the generator itself is finalised
        # by the event loop's async-generator hooks)
        with contextlib.suppress(Exception):
            self._completion.finish(
                ActionResult("ok", self._completion._ctx.connector_id),
                note=f"stream dropped by the caller after {self.chunks} chunks",
            )


def _is_stream(data: Any) -> bool:
    return isinstance(data, Iterator) and not isinstance(data, str | bytes | dict | list)


def _to_result(connector_id: str, outcome: Any) -> ActionResult:
    if isinstance(outcome, ActionResult):
        if outcome.status == "error":
            outcome.error_source = "user"
        outcome.connector_id = connector_id
        return outcome
    return ActionResult(status="ok", connector_id=connector_id, data=outcome)


class _Origin:
    """Who ran: the action type, the plugin that registered it, and the secrets to keep out of
    messages and logs."""

    def __init__(
        self, type_id: str, plugin: str | None, label: str, secrets: dict[str, Any]
    ) -> None:
        self.type_id = type_id
        self.plugin = plugin
        self.label = label
        self.mask = SecretMask(secrets)

    def describe(self) -> str:
        plugin = f' (plugin "{self.plugin}")' if self.plugin else ""
        return f'the executor of action type "{self.type_id}"{plugin}'

    def scrub(self, text: str) -> str:
        return self.mask.scrub(text)

    def not_json(self, connector_id: str, problem: str) -> ActionResult:
        message = f"{self.describe()} returned data that is not JSON-serialisable: {problem}"
        _log.error("action execution failure: %s: %s", self.label, message)
        return ActionResult(
            status="error",
            connector_id=connector_id,
            message=RUN_FAILED,
            service_message=message,
            retry=False,  # the same code returns the same kind of value next time
            error_source="framework",
        )

    def log_exception(self, err: BaseException) -> None:
        """The traceback in the server log, with the connector's secret values masked."""
        trace = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        _log.error("%s raised: %s", self.describe(), self.scrub(trace.rstrip()))


def describe_exception(err: BaseException) -> str:
    """``KeyError: 'missing'``: the exception's type, then its text (when it has one)."""
    text = str(err)
    name = type(err).__name__
    return f"{name}: {text}" if text else name


def _failure(connector_id: str, err: BaseException, origin: _Origin | None = None) -> ActionResult:
    """The error result for an executor that raised; the connector's secrets never in it."""
    result = _failure_result(connector_id, err, origin)
    if origin is not None and result.service_message:
        result.service_message = origin.scrub(result.service_message)
    return result


def _failure_result(connector_id: str, err: BaseException, origin: _Origin | None) -> ActionResult:
    if isinstance(err, ExecutionError):
        return ActionResult(
            status="error",
            connector_id=connector_id,
            message=RUN_FAILED,
            service_message=str(err),
            retry=err.retry,
            error_source=err.error_source,
        )
    if isinstance(err, RequestError):  # ctx.http failed and the plugin let it through
        return ActionResult(
            status="error",
            connector_id=connector_id,
            message=RUN_FAILED,
            service_message=err.service_message,
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
    # an unexpected exception: its type says what went wrong, its traceback goes to the log
    if origin is not None:
        origin.log_exception(err)
    return ActionResult(
        status="error",
        connector_id=connector_id,
        message=RUN_FAILED,
        service_message=describe_exception(err),
        retry=True,
        error_source="framework",
    )


def _invalid(connector_id: str, prefix: str, err: Exception, source: ErrorSource) -> ActionResult:
    detail = getattr(err, "message", None) or str(err)
    return ActionResult(
        status="error",
        connector_id=connector_id,
        message=f"{prefix}: {detail}",
        retry=False,
        error_source=source,
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
