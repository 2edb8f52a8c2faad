"""An asyncio view of a streaming execution (``invokeAsyncIterator`` and the byte streams)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

__all__ = ["aiter_stream"]

T = TypeVar("T")
_END: Any = object()


async def aiter_stream(stream: Iterator[T]) -> AsyncIterator[T]:
    """Iterate ``stream`` (e.g. ``result.data``) without blocking the event loop.

    Each blocking read runs in a worker thread; leaving the ``async for`` early closes the
    stream, which releases the upstream connection and completes the execution's event.
    """
    try:
        while True:
            item = await asyncio.to_thread(next, stream, _END)
            if item is _END:
                return
            yield item
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
