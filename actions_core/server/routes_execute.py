"""``POST …/connector/{id}/_execute``: Kibana's result body, or a live event stream.

A streaming executor's chunks are sent as they arrive (``text/event-stream``; bytes and text
pass through untouched, other values become ``data: <json>`` events), with nothing buffered.
A stream of values (``invokeAsyncIterator``) ends with ``data: [DONE]``, as the provider's own
stream that ``invokeStream`` passes through does, so a client reads both the same way.
When the client goes away the execution stream is closed, which closes the upstream request
and writes the ``execute`` event; a read already in flight finishes first, because a
generator cannot be closed while it runs.

Executions run through ``Actions.execute_async``: an executor that streams with an async
generator (the ``.gen-ai`` stream sub-actions, on ``ctx.ahttp``) is iterated right here on the
event loop, an ``await`` per chunk; a blocking iterator is pulled in worker threads. The first
chunk of an async stream is awaited before the response starts, so a failure before any data
(the provider answering 401, a refused host) is the execution's JSON error result, as it is
for a blocking executor that fails before returning its iterator.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from actions_core._run.executor import RUN_FAILED, AsyncExecutionStream
from actions_core.server.auth import Principal, ensure_allowed
from actions_core.server.bodies import read_json, validate_execute_body
from actions_core.server.deps import (
    CALLER,
    SPACE,
    audit_request,
    audited,
    authenticated,
    server_state,
    space_id,
)
from actions_core.server.openapi import json_body, ref, responses
from actions_core.server.routing import add_route

__all__ = ["AsyncEventStreamResponse", "EventStreamResponse", "ExecuteRoute", "router"]

_log = logging.getLogger("actions_core.server")
router = APIRouter()
_END = object()
DONE = b"data: [DONE]\n\n"
#: No cache, and no buffering by a proxy (nginx) in front: every chunk goes out as it comes.
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class _Pump:
    """Pulls chunks in worker threads and closes the stream once, never during a pull."""

    def __init__(self, stream: Iterator[Any]) -> None:
        self.stream = self._stream = stream
        self._lock = threading.Lock()
        self._busy = False
        self._closing = False
        self._closed = False

    def pull(self) -> Any:
        with self._lock:
            if self._closing:
                return _END
            self._busy = True
        try:
            return next(self._stream, _END)
        finally:
            with self._lock:
                self._busy = False
                close_now = self._closing
            if close_now:
                self._close()

    def close(self) -> None:
        with self._lock:
            self._closing = True
            if self._busy:
                return  # the running pull closes the stream when it returns
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        closer = getattr(self._stream, "close", None)
        if closer is not None:
            try:
                closer()
            except Exception:  # closing must not fail the response
                _log.exception("closing an execution stream failed")


def _encode(chunk: Any) -> bytes:
    if isinstance(chunk, bytes | bytearray | memoryview):
        return bytes(chunk)
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    return f"data: {json.dumps(chunk, ensure_ascii=False, default=str)}\n\n".encode()


def _passed_through(chunk: Any) -> bool:
    return isinstance(chunk, bytes | bytearray | memoryview | str)


async def _chunks(pump: _Pump) -> AsyncIterator[bytes]:
    values = True  # no pass-through chunk yet: the end marker is ours to send
    try:
        while True:
            chunk = await anyio.to_thread.run_sync(pump.pull, abandon_on_cancel=True)
            if chunk is _END:
                if values:
                    yield DONE
                return
            values = values and not _passed_through(chunk)
            data = _encode(chunk)
            if data:
                yield data
    except Exception as err:  # the executor failed mid-stream: tell the client, then end
        yield _failure_event(getattr(pump.stream, "result", None), err)
    finally:
        pump.close()


async def _achunks(stream: AsyncExecutionStream, first: Any) -> AsyncIterator[bytes]:
    """:func:`_chunks` for an async execution stream: each chunk an ``await``, no thread."""
    values = True
    try:
        chunk = first
        while chunk is not _END:
            values = values and not _passed_through(chunk)
            data = _encode(chunk)
            if data:
                yield data
            chunk = await anext(stream, _END)
        if values:
            yield DONE
    except Exception as err:  # the executor failed mid-stream: tell the client, then end
        yield _failure_event(stream.result, err)
    finally:
        await stream.aclose()


def _failure_event(final: Any, err: Exception) -> bytes:
    """The ``error`` event that ends a failed stream, with what Python and the CLI report."""
    detail = final.service_message if final is not None else str(err)
    _log.warning("execution stream failed: %s", detail)
    error = {"message": RUN_FAILED}
    if detail:
        error["service_message"] = detail
    return f"event: error\ndata: {json.dumps(error)}\n\n".encode()


class AsyncEventStreamResponse(StreamingResponse):
    """Streams an async execution on the event loop; however the response ends (done, error,
    disconnect) the stream is closed, which closes the upstream and writes the event."""

    media_type = "text/event-stream"

    def __init__(self, stream: AsyncExecutionStream, first: Any) -> None:
        self._stream = stream
        super().__init__(
            _achunks(stream, first),
            media_type=self.media_type,
            headers=_SSE_HEADERS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._stream.aclose()


async def _async_stream_response(stream: AsyncExecutionStream) -> Response:
    """The event stream, or the JSON error result when the stream fails before its first
    chunk."""
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        first = _END
    except Exception:
        final = stream.result
        if final is None:  # cannot happen: a failure completes the execution
            raise
        return JSONResponse(final.to_api())
    except BaseException:
        await stream.aclose()
        raise
    return AsyncEventStreamResponse(stream, first)


class EventStreamResponse(StreamingResponse):
    """Streams an execution; whatever ends the response (done, error, disconnect) closes it."""

    media_type = "text/event-stream"

    def __init__(self, stream: Iterator[Any]) -> None:
        self._pump = _Pump(stream)
        super().__init__(
            _chunks(self._pump),
            media_type=self.media_type,
            headers=_SSE_HEADERS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._pump.close()


async def execute_connector(
    request: Request,
    connector_id: str = Path(alias="connectorId", description="An identifier for the connector."),
    principal: Principal = CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    body = validate_execute_body(await read_json(request, state.max_payload))
    ensure_allowed(principal, "execute")  # both roles may execute, as in Kibana
    result = await audited(
        state,
        "connector_execute",
        audit,
        connector_id,
        state.actions.execute_async,
        connector_id,
        body["params"],
        space_id=space,
        source="http_request",
        user=principal.event_user,
    )
    if result is None:  # Kibana answers 204 when the client returns no result
        return Response(status_code=204)
    if result.ok and isinstance(result.data, AsyncExecutionStream):
        return await _async_stream_response(result.data)
    if result.ok and isinstance(result.data, Iterator):
        return EventStreamResponse(result.data)
    return JSONResponse(result.to_api())


async def _handle_execute(request: Request) -> Response:
    """What FastAPI's handler does for :func:`execute_connector`, without its general machinery.

    The route's parameters are the caller, the space and one string path parameter: resolving
    them by hand, in FastAPI's order (the dependencies as declared: 401, then ``kbn-xsrf``'s 400,
    then the space's 400), spares the busiest route FastAPI's per-request dependency solving,
    a good part of the service's own CPU per execution. Errors reach the app's handlers as
    before; the OpenAPI document still comes from the endpoint's signature.
    """
    principal = await authenticated(request)
    space = await space_id(request)
    return await execute_connector(request, request.path_params["connectorId"], principal, space)


class ExecuteRoute(APIRoute):
    """The ``_execute`` route, served by :func:`_handle_execute` (so FastAPI's dependency
    overrides do not apply to it). Refuses an endpoint whose parameters that handler would not
    pass: a parameter added to :func:`execute_connector` must be resolved there too."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        if list(inspect.signature(endpoint).parameters) != _EXECUTE_PARAMETERS:
            raise TypeError(f"{endpoint.__name__}: _handle_execute passes {_EXECUTE_PARAMETERS}")
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Any:
        return _handle_execute


_EXECUTE_PARAMETERS = ["request", "connector_id", "principal", "space"]


_STREAM_OR_JSON = responses(
    200, ref("RunConnectorResponse"), 400, 403, 404, 413, description="The execution's result."
)
_STREAM_OR_JSON[200]["content"]["text/event-stream"] = {
    "schema": {"type": "string", "description": "The chunks of a streaming sub-action."}
}
_STREAM_OR_JSON[204] = {"description": "The execution returned no result."}

add_route(
    router,
    "POST",
    "/api/actions/connector/{connectorId}/_execute",
    execute_connector,
    operation_id="runConnector",
    summary="Run a connector.",
    description=(
        "Execution failures are still 200 with `status: error`. Streaming sub-actions answer "
        "`text/event-stream`, passed through as it arrives."
    ),
    responses=_STREAM_OR_JSON,
    body=json_body("RunConnectorRequest"),
    route_class=ExecuteRoute,
)
