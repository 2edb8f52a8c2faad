"""The stream sub-actions on ``ctx.ahttp``, for callers that iterate on their own event loop.

When ``ctx.async_streams`` is set (the HTTP service), ``stream``, ``invokeStream`` and
``invokeAsyncIterator`` return the async generators below instead of blocking iterators: the
request is sent on the first ``__anext__`` and every chunk is one ``await``, with no worker
thread. What they yield, how usage is counted (:class:`.streaming.SseTally`, the same
:class:`.streaming.SseEvents` parser) and how failures read is the same as the blocking path;
the upstream response is closed, and ``on_end`` runs, however the generator ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

import actions_core

from .streaming import (
    SseEvents,
    SseTally,
    not_event_stream,
    not_event_stream_error,
    stream_error,
    too_large,
)

__all__ = ["iter_chunks", "pass_through"]

_READ_ERRORS = (httpx.HTTPError, OSError)


async def _reads(response: httpx.Response, url: str, timeout: float | None) -> AsyncIterator[bytes]:
    """Every read of the upstream body (decoded), as soon as it arrives."""
    received = 0
    reads = response.aiter_bytes()
    while True:
        try:
            data = await reads.__anext__()
        except StopAsyncIteration:
            return
        except actions_core.ResponseTooLargeError as err:
            raise too_large(err, received) from None
        except _READ_ERRORS as err:
            raise stream_error(err, received, url, timeout) from None
        if data:
            received += len(data)
            yield data


async def pass_through(
    open_response: Callable[[], Awaitable[httpx.Response]],
    tally: SseTally,
    on_end: Callable[[], None],
    *,
    url: str,
    timeout: float | None,
    require_sse: bool = False,
) -> AsyncIterator[bytes]:
    """The upstream body, untouched, one read at a time (with ``require_sse``, only an SSE
    body: see :func:`~.streaming.not_event_stream`)."""
    response = await open_response()  # a failure here fails the execution before any data
    media = not_event_stream(response.headers) if require_sse else None
    if media:
        await response.aclose()
        raise not_event_stream_error(media)
    try:
        async for data in _reads(response, url, timeout):
            tally.feed(data)
            yield data
        tally.finish()
    finally:
        try:
            await response.aclose()
        finally:
            on_end()


async def iter_chunks(
    open_response: Callable[[], Awaitable[httpx.Response]],
    tally: SseTally,
    on_end: Callable[[], None],
    *,
    url: str,
    timeout: float | None,
) -> AsyncIterator[dict[str, Any]]:
    """The parsed ``data:`` events of an SSE body, until ``data: [DONE]``."""
    response = await open_response()
    events = SseEvents(tally)
    try:
        async for data in _reads(response, url, timeout):
            for chunk in events.feed(data):
                yield chunk
            if events.done:
                return
        for chunk in events.finish():
            yield chunk
    finally:
        try:
            await response.aclose()
        finally:
            on_end()
