"""Streams: pass upstream bytes through as they arrive, and read SSE for chunks and usage.

``stream``/``invokeStream`` forward the upstream body untouched, one read at a time (no
buffering), while :class:`SseTally` watches the same bytes for the completion text and a usage
chunk. ``invokeAsyncIterator`` parses the events into chunk dicts instead. Either way the
upstream response is closed, and the connection released, when the stream ends, fails or is
closed early by the caller.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import requests
import urllib3.exceptions

import actions_core

from .errors import error_detail

__all__ = [
    "SseEvents",
    "SseTally",
    "UpstreamStream",
    "iter_chunks",
    "not_event_stream",
    "pass_through",
    "require_event_stream",
]

T = TypeVar("T")

_log = logging.getLogger("actions_core.types.gen-ai")
READ_SIZE = 64 * 1024
#: SseTally parses what it was fed once this much is waiting (else when the stream ends).
_MAX_UNREAD = 256 * 1024
_CHUNK_OBJECT = "chat.completion.chunk"
_STREAM_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)


class SseTally:
    """Follows an OpenAI chat-completion SSE body: completion text, function call and usage.

    Lines are Kibana's: ``data: <json>`` lines except ``[DONE]``, chunks with
    ``object == "chat.completion.chunk"`` (or no ``object``); ``usage`` is the last one seen.
    """

    def __init__(self) -> None:
        self._pending = b""
        self._unread: list[bytes] = []
        self._unread_size = 0
        self._content: list[str] = []
        self._name: list[str] = []
        self._arguments: list[str] = []
        self._usage: dict[str, Any] | None = None
        self._model: str | None = None
        self._finished = False
        self.bytes = 0

    @property
    def usage(self) -> dict[str, Any] | None:
        """The last usage seen (what was fed is read first)."""
        if not self._usage_from_tail():
            self._drain()
        return self._usage

    @property
    def model(self) -> str | None:
        """The last model name seen (what was fed is read first)."""
        if not self._usage_from_tail():
            self._drain()
        return self._model

    @property
    def content(self) -> str:
        self._drain()
        return "".join(self._content)

    @property
    def function_name(self) -> str:
        self._drain()
        return "".join(self._name)

    @property
    def function_arguments(self) -> str:
        self._drain()
        return "".join(self._arguments)

    def feed(self, data: bytes) -> None:
        """Take ``data`` now, read it later: parsing is kept off the path of each chunk (the
        caller is waiting for it) and done in one go when the text or usage is needed, or
        once ``_MAX_UNREAD`` bytes are waiting (memory stays bounded on long streams)."""
        self.bytes += len(data)
        self._unread.append(data)
        self._unread_size += len(data)
        if self._unread_size > _MAX_UNREAD:
            self._drain()

    def _drain(self) -> None:
        if self._unread:
            data = b"".join(self._unread)
            self._unread.clear()
            self._unread_size = 0
            lines = (self._pending + data).split(b"\n")
            self._pending = lines.pop()
            for line in lines:
                self._line(line)
        if self._finished and self._pending:
            self._line(self._pending)
            self._pending = b""

    def finish(self) -> None:
        """The stream ended: its last, unterminated line counts too (read lazily as well)."""
        self._finished = True

    def _usage_from_tail(self) -> bool:
        """At the end of a stream, find the usage chunk by reading backwards from the end.

        Providers send usage in the last chunk, so when there is one, the content chunks
        before it need not be parsed at all. The result is exactly what reading everything
        would give (the last usage and the last model seen); ``False`` means read everything.
        """
        if not self._finished or not (self._unread or self._pending):
            return False
        if b'"usage"' not in self._pending and not any(b'"usage"' in d for d in self._unread):
            return False
        model: str | None = None
        for raw in reversed((self._pending + b"".join(self._unread)).split(b"\n")):
            if b'"usage"' not in raw and (model is not None or b'"model"' not in raw):
                continue
            chunk = _chunk(raw)
            if chunk is None:
                continue
            if model is None and isinstance(chunk.get("model"), str):
                model = chunk["model"]
            if isinstance(chunk.get("usage"), dict):
                if model is None:
                    return False  # the last model is further back: read everything
                self._usage, self._model = chunk["usage"], model
                return True
        return False

    def _line(self, raw: bytes) -> None:
        chunk = _chunk(raw, any_object=True)
        if chunk is not None:
            self.add_chunk(chunk)

    def add_chunk(self, chunk: Any) -> None:
        if not isinstance(chunk, dict) or chunk.get("object", _CHUNK_OBJECT) != _CHUNK_OBJECT:
            return
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
        if isinstance(chunk.get("model"), str):
            self._model = chunk["model"]
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return
        delta = choices[0].get("delta")
        if not isinstance(delta, dict):
            return
        content = delta.get("content")
        if isinstance(content, str):
            self._content.append(content)
        elif content is not None:
            _log.warning("Token counting skipped a chunk whose content is not a string")
        call = delta.get("function_call")
        if isinstance(call, dict):
            if isinstance(call.get("name"), str):
                self._name.append(call["name"])
            if isinstance(call.get("arguments"), str):
                self._arguments.append(call["arguments"])


def _chunk(raw: bytes, *, any_object: bool = False) -> Any:
    """The JSON of a ``data: `` line (not ``[DONE]``); with ``any_object`` any JSON value,
    otherwise only a chat-completion chunk object. ``None`` when the line has none."""
    line = raw.decode("utf-8", errors="replace").rstrip("\r")
    if not line.startswith("data: ") or line.endswith("[DONE]"):
        return None
    try:
        chunk = json.loads(line[len("data: ") :])
    except ValueError:
        return None
    if any_object:
        return chunk
    if not isinstance(chunk, dict) or chunk.get("object", _CHUNK_OBJECT) != _CHUNK_OBJECT:
        return None
    return chunk


def stream_error(err: BaseException, received: int, url: str, timeout: float | None) -> Exception:
    """A failed read of the body, described with the core's request error family."""
    failure = actions_core.request_error(err, url, timeout)
    code, message = failure.code, failure.message
    if isinstance(failure, actions_core.RequestTimeoutError):
        what = f"the upstream server sent nothing for longer than the timeout ({message})"
    else:
        what = f"the upstream connection failed ({code or 'error'}: {message})"
        if code in ("ECONNRESET", "") or isinstance(err, urllib3.exceptions.ProtocolError):
            # (httpx's RemoteProtocolError is ECONNRESET through request_error)
            what = "the upstream server closed the connection before the response was complete"
    return actions_core.ExecutionError(
        f"Stream interrupted after {received} bytes: {what}", retry=True, error_source="framework"
    )


def _reads(response: requests.Response, url: str, timeout: float | None) -> Iterator[bytes]:
    """Every read of the upstream body, as soon as it arrives."""
    raw = response.raw
    received = 0
    while True:
        try:
            data = raw.read1(READ_SIZE, decode_content=True)
        except actions_core.ResponseTooLargeError as err:
            raise too_large(err, received) from None
        except _STREAM_ERRORS as err:
            raise stream_error(err, received, url, timeout) from None
        if not data:
            return
        received += len(data)
        yield data


class UpstreamStream(Iterator[T]):
    """An iterator over an open upstream response that always ends it exactly once.

    However iteration stops (exhausted, failed, or closed by the caller, even before the first
    item), the response is closed, releasing its connection, and ``on_end`` runs.
    """

    def __init__(
        self,
        produce: Callable[[UpstreamStream[T]], Iterator[T]],
        response: requests.Response,
        on_end: Callable[[], None],
    ) -> None:
        self._response = response
        self._on_end = on_end
        self._ended = False
        self._items = produce(self)

    def __iter__(self) -> UpstreamStream[T]:
        return self

    def __next__(self) -> T:
        return next(self._items)

    def close(self) -> None:
        try:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()
        finally:
            self.end()

    def end(self) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            self._response.close()
        finally:
            self._on_end()


def too_large(err: actions_core.ResponseTooLargeError, received: int) -> Exception:
    """A stream cut at ``maxResponseContentLength`` (both transports say it the same way)."""
    return actions_core.ExecutionError(
        f"Stream interrupted after {received} bytes: {err.message}",
        retry=False,
        error_source="user",
    )


def not_event_stream(headers: Any) -> str | None:
    """The media type of a response that says it is not SSE, or None.

    A proxy's HTML login page or a provider that ignored ``stream: true`` answers 200 with a
    body no SSE reader can use; passing it on as a successful stream would hide the failure.
    A response without a Content-Type is given the benefit of the doubt.
    """
    media = str(headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    return None if not media or media == "text/event-stream" else media


def not_event_stream_error(media: str) -> actions_core.ExecutionError:
    """The failure for a body that is not SSE; the body is not read or echoed (it may be
    large, or hold what the caller must not see)."""
    return actions_core.ExecutionError(
        "Response validation failed "
        f"(Error: expected a text/event-stream response but got [{media}])",
        error_source="framework",
    )


def require_event_stream(response: requests.Response) -> None:
    """Refuse (closing it) a successful response that says it is not SSE."""
    media = not_event_stream(response.headers)
    if media:
        response.close()
        raise not_event_stream_error(media)


def pass_through(
    response: requests.Response,
    tally: SseTally,
    on_end: Callable[[], None],
    *,
    url: str,
    timeout: float | None,
) -> UpstreamStream[bytes]:
    """The upstream body, untouched, one read at a time; ``on_end`` runs however it ends."""

    def produce(stream: UpstreamStream[bytes]) -> Iterator[bytes]:
        try:
            for data in _reads(response, url, timeout):
                tally.feed(data)
                yield data
            tally.finish()
        finally:
            stream.end()

    return UpstreamStream(produce, response, on_end)


def iter_chunks(
    response: requests.Response,
    tally: SseTally,
    on_end: Callable[[], None],
    *,
    url: str,
    timeout: float | None,
) -> UpstreamStream[dict[str, Any]]:
    """The parsed ``data:`` events of an SSE body, until ``data: [DONE]``."""

    def produce(stream: UpstreamStream[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        try:
            yield from _events(response, tally, url, timeout)
        finally:
            stream.end()

    return UpstreamStream(produce, response, on_end)


def _events(
    response: requests.Response, tally: SseTally, url: str, timeout: float | None
) -> Iterator[dict[str, Any]]:
    """SSE events (``data:`` lines joined, CRLF line ends accepted) parsed as JSON objects."""
    events = SseEvents(tally)
    for data in _reads(response, url, timeout):
        yield from events.feed(data)
        if events.done:
            return
    yield from events.finish()


class SseEvents:
    """Splits an SSE body into parsed ``data:`` events, fed as it arrives (both transports);
    ``done`` once ``data: [DONE]`` is seen. Each chunk is also added to the tally."""

    def __init__(self, tally: SseTally) -> None:
        self._tally = tally
        self._pending = b""
        self._data_lines: list[str] = []
        self.done = False

    def feed(self, data: bytes) -> Iterator[dict[str, Any]]:
        """The events ``data`` completes, parsed one at a time as the caller takes them (an
        error event raises only once the chunks before it have been handed out)."""
        self._tally.bytes += len(data)
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        for raw in lines:
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            if line:
                if line.startswith("data:"):
                    self._data_lines.append(line[5:].removeprefix(" "))
                continue
            event, self._data_lines = "\n".join(self._data_lines), []
            if not event:
                continue
            if event == "[DONE]":
                self.done = True
                return
            chunk = _parse_event(event)
            if chunk is not None:
                self._tally.add_chunk(chunk)
                yield chunk

    def finish(self) -> list[dict[str, Any]]:
        """The body ended: its last event counts even without a blank line after it."""
        tail = self._pending.decode("utf-8", errors="replace").rstrip("\r")
        if tail.startswith("data:"):
            self._data_lines.append(tail[5:].removeprefix(" "))
        event = "\n".join(self._data_lines)
        if event and event != "[DONE]":
            chunk = _parse_event(event)
            if chunk is not None:
                self._tally.add_chunk(chunk)
                return [chunk]
        return []


def _parse_event(event: str) -> dict[str, Any] | None:
    try:
        chunk = json.loads(event)
    except ValueError:
        _log.warning("Skipped a stream event that is not JSON")
        return None
    if isinstance(chunk, dict) and chunk.get("error"):
        detail = error_detail(chunk) or "unknown error"
        raise actions_core.ExecutionError(
            f"API Error: {detail}", retry=True, error_source="framework"
        )
    return chunk if isinstance(chunk, dict) else None
