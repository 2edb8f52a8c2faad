"""What may cross the executor boundary, and how async executors cross it.

An executor is plugin code: it may be ``def`` or ``async def``, return data, an iterator, an
async iterator or a coroutine, and it may return something that is not JSON. Everything here
turns those into the one shape every interface (Python, CLI, HTTP) understands:

* a coroutine is awaited (:func:`settle`): with ``asyncio.run`` when this thread runs no event
  loop (the CLI, scripts, the HTTP service's worker threads), otherwise on a private loop in a
  helper thread, because a synchronous ``Actions.execute`` cannot await on its caller's loop;
* an async iterator (an ``async def`` generator) becomes a plain iterator (:class:`AsyncStream`)
  whose items are produced on a private event loop in one helper thread, so it can be pulled
  from any thread, including threads that run a loop of their own;
* data that is not JSON (a set, bytes, an arbitrary object, NaN) is found (:func:`json_problem`)
  so the executor can fail the execution naming the action type, the plugin and where the
  offending value sits, instead of each interface doing something different with it.

Streamed chunks follow the HTTP service's event-stream rule: ``bytes`` and ``str`` chunks pass
through untouched (server-sent events already encoded by the upstream); every other chunk must
be JSON (it is sent as ``data: <json>``). See :func:`chunk_problem`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any

__all__ = ["AsyncStream", "chunk_problem", "json_problem", "settle"]

_SCALARS = (str, int, bool, type(None))
_CLOSE_TIMEOUT = 10.0


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def settle(outcome: Any) -> Any:
    """``outcome``, awaited first if it is a coroutine (an ``async def`` executor's return)."""
    if not isinstance(outcome, Coroutine):  # (asyncio.iscoroutine also accepts generators)
        return outcome
    coro = outcome
    if not _in_running_loop():
        return asyncio.run(coro)
    # The caller's loop is busy running us; await on a private loop in a helper thread.
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="actions-async") as pool:
        return pool.submit(asyncio.run, coro).result()


class AsyncStream(Iterator[Any]):
    """A synchronous iterator over an async iterator, run on its own loop in its own thread.

    The loop thread starts on the first item and stops when the async iterator ends, fails or
    is closed (``aclose()`` runs, so the generator's ``finally`` blocks do).
    """

    def __init__(self, source: AsyncIterator[Any]) -> None:
        self._source = source
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._finished = False

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="actions-async-stream", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def __iter__(self) -> AsyncStream:
        return self

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(_anext(self._source), loop)
        try:
            return future.result()
        except StopAsyncIteration:
            self._stop()
            raise StopIteration from None
        except BaseException:
            self._stop()
            raise

    def close(self) -> None:
        """Close the async iterator (its ``finally`` blocks run) and stop the loop thread."""
        if self._finished:
            return
        closer = getattr(self._source, "aclose", None)
        if closer is not None:
            if self._loop is None:
                # never started: close it on a throwaway loop so its finally blocks still run
                settle(closer())
            else:
                future = asyncio.run_coroutine_threadsafe(closer(), self._loop)
                try:
                    future.result(timeout=_CLOSE_TIMEOUT)
                finally:
                    self._stop()
                return
        self._stop()

    def _stop(self) -> None:
        self._finished = True
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout=_CLOSE_TIMEOUT)
        if not thread.is_alive():
            loop.close()


async def _anext(source: AsyncIterator[Any]) -> Any:
    return await source.__anext__()


def json_problem(value: Any, path: str = "data") -> str | None:
    """``None`` when ``value`` serialises as JSON (as the HTTP service will send it), else what
    is wrong and where: ``"set at data.tags"``."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return _find(value, path, set()) or f"a value at {path}"
    return None


def chunk_problem(chunk: Any) -> str | None:
    """``None`` for a streamable chunk: bytes, text, or a JSON value (see the module doc)."""
    if isinstance(chunk, bytes | bytearray | memoryview | str):
        return None
    return json_problem(chunk, "chunk")


def _find(value: Any, path: str, seen: set[int]) -> str | None:
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} (not JSON) at {path}"
    if isinstance(value, _SCALARS):
        return None
    if isinstance(value, dict | list | tuple):
        if id(value) in seen:
            return f"a circular reference at {path}"
        seen.add(id(value))
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str | int | float | bool | type(None)):
                    return f"a {type(key).__name__} key at {path}"
                found = _find(item, f"{path}.{key}", seen)
                if found:
                    return found
        else:
            for index, item in enumerate(value):
                found = _find(item, f"{path}[{index}]", seen)
                if found:
                    return found
        seen.discard(id(value))
        return None
    return f"{type(value).__qualname__} at {path}"
