"""A fake OpenAI: a real loopback server speaking the chat completions wire format.

Plugins that call an OpenAI-compatible API (and the built-in ``.gen-ai`` connector) are tested
against real HTTP, not mocks: :class:`FakeOpenAI` answers ``POST …/chat/completions`` with JSON,
or with server-sent events when the request says ``"stream": true``, records every request, and
plays scripted answers (status, body, chunks, delays) in order. The builders (:func:`completion`,
:func:`chunk`, :func:`sse`) make the bodies OpenAI sends.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from actions_core._testing.servers import Upstream

__all__ = [
    "DEFAULT_CONTENT",
    "USAGE",
    "FakeOpenAI",
    "RecordedRequest",
    "chunk",
    "completion",
    "sse",
]

#: The token usage of the default answers (and of :meth:`FakeOpenAI.reply` unless told).
USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
#: What the assistant says when nothing is scripted.
DEFAULT_CONTENT = "Hello there!"
DEFAULT_MODEL = "gpt-4.1-2025-04-14"
CHAT_PATH = "/v1/chat/completions"
MAX_DELAY = 60.0  # seconds: no scripted delay outlives this (and stop() cuts every delay short)


def completion(
    content: str | None = DEFAULT_CONTENT,
    *,
    usage: Mapping[str, int] | None = None,
    model: str = DEFAULT_MODEL,
    **extra: Any,
) -> dict[str, Any]:
    """A chat completion as OpenAI returns it (``usage=None`` leaves usage out; ``extra`` keys
    are added at the top level)."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    if usage is not None:
        body["usage"] = dict(usage)
    body.update(extra)
    return body


def chunk(
    content: str | None = None, *, usage: Mapping[str, int] | None = None, **delta: Any
) -> dict[str, Any]:
    """One ``chat.completion.chunk``; with ``usage`` it is the final usage chunk (no choices)."""
    if usage is not None:
        return {
            "id": "c",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [],
            "usage": dict(usage),
        }
    if content is not None:
        delta["content"] = content
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def sse(*chunks: Mapping[str, Any], done: bool = True) -> bytes:
    """An SSE body of ``chunks`` (``data: {...}\\n\\n`` each), ending with ``data: [DONE]``."""
    body = b"".join(_event(c) for c in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


def _event(item: Mapping[str, Any] | str | bytes) -> bytes:
    if isinstance(item, bytes):
        return item  # raw wire bytes, sent as they are
    if isinstance(item, str):
        item = chunk(item)
    return b"data: " + json.dumps(item).encode() + b"\n\n"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received. ``headers`` has lower-case names; ``json`` is the parsed
    body (``None`` when the body is not JSON)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = field(repr=False)
    json: Any


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    delay: float
    body: bytes | None = None  # a whole body …
    events: Sequence[Mapping[str, Any] | str | bytes] = ()  # … or SSE events
    done: bool = True
    interval: float = 0.0
    content_type: str = "application/json"


class FakeOpenAI:
    """OpenAI's chat completions endpoint on 127.0.0.1 (``with FakeOpenAI() as fake: ...``).

    * ``url`` is the full chat completions URL (``http://127.0.0.1:PORT/v1/chat/completions``:
      what a ``.gen-ai`` connector's ``apiUrl`` takes); ``base_url`` is
      ``http://127.0.0.1:PORT/v1`` (what the ``openai`` SDK's ``base_url`` takes).
    * ``requests`` lists every request received, oldest first (:class:`RecordedRequest`).
    * :meth:`reply`, :meth:`stream` and :meth:`fail` script the next answers, played in order,
      one per chat completions request. With nothing scripted, a request gets a valid answer:
      ``"Hello there!"`` as JSON with :data:`USAGE`, or, for ``"stream": true``, as SSE chunks
      ending with ``data: [DONE]`` (with a usage chunk when ``stream_options.include_usage``).
    * Any path not ending in ``/chat/completions`` answers 404 in OpenAI's error format.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = Upstream(ssl_context)
        self._lock = threading.Lock()
        self._script: deque[_Answer] = deque()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    # --- lifecycle ---

    def start(self) -> FakeOpenAI:
        self._stopping.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop the server; delays still running end at once."""
        self._stopping.set()
        if self._server.is_running():
            self._server.stop()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget the recorded requests and any answers not yet played."""
        with self._lock:
            self._script.clear()
            self._requests.clear()
        self._server.clear_log()

    # --- where it is, what it saw ---

    @property
    def base_url(self) -> str:
        return self._server.url("/v1")

    @property
    def url(self) -> str:
        return self._server.url(CHAT_PATH)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """How many scripted answers have not been played yet."""
        with self._lock:
            return len(self._script)

    # --- scripting the next answers ---

    def reply(
        self,
        content: str | None = DEFAULT_CONTENT,
        *,
        usage: Mapping[str, int] | None = USAGE,
        model: str = DEFAULT_MODEL,
        body: Any = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next request with a JSON completion saying ``content`` (or with ``body``
        as it is: a mapping or list is sent as JSON, ``str``/``bytes`` verbatim), after
        ``delay`` seconds."""
        if body is None:
            body = completion(content, usage=usage, model=model)
        self._push(_Answer(status, dict(headers or {}), delay, body=_bytes(body)))

    def stream(
        self,
        chunks: Sequence[Mapping[str, Any] | str | bytes] = ("Hello", " there", "!"),
        *,
        usage: Mapping[str, int] | None = USAGE,
        done: bool = True,
        delay: float = 0.0,
        interval: float = 0.0,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next request with server-sent events: one ``data: {...}`` event per item
        of ``chunks`` (a ``str`` is a content delta, a mapping a whole chunk object, ``bytes``
        go on the wire verbatim), then a usage chunk (unless ``usage=None``) and
        ``data: [DONE]`` (unless ``done=False``). ``delay`` comes before the response,
        ``interval`` between events."""
        events = [*chunks, chunk(usage=usage)] if usage is not None else list(chunks)
        self._push(
            _Answer(
                status,
                dict(headers or {}),
                delay,
                events=events,
                done=done,
                interval=interval,
                content_type="text/event-stream",
            )
        )

    def fail(
        self,
        status: int = 500,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next request with HTTP ``status`` and ``body`` (default: OpenAI's error
        object, ``{"error": {"message": ..., "type": ..., ...}}``)."""
        if body is None:
            body = {
                "error": {
                    "message": f"scripted failure {status}",
                    "type": "server_error" if status >= 500 else "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            }
        self._push(_Answer(status, dict(headers or {}), delay, body=_bytes(body)))

    def _push(self, answer: _Answer) -> None:
        if not 0 <= answer.delay <= MAX_DELAY or not 0 <= answer.interval <= MAX_DELAY:
            raise ValueError(f"delays must be between 0 and {MAX_DELAY} seconds")
        with self._lock:
            self._script.append(answer)

    # --- the server side ---

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            json=parsed,
        )
        with self._lock:
            self._requests.append(recorded)
            chat = request.method == "POST" and request.path.endswith("/chat/completions")
            answer = self._script.popleft() if chat and self._script else None
        if not chat:
            return _json_response(404, _not_found(request.path))
        if answer is None:
            answer = _default_answer(parsed)
        if answer.delay and self._stopping.wait(answer.delay):
            return _json_response(503, {"error": {"message": "stopping"}})
        headers = {"Content-Type": answer.content_type, **answer.headers}
        if answer.body is not None:
            return Response(answer.body, status=answer.status, headers=headers)
        return Response(
            self._events(answer), status=answer.status, headers=headers, direct_passthrough=True
        )

    def _events(self, answer: _Answer) -> Iterator[bytes]:
        for index, item in enumerate(answer.events):
            if index and answer.interval and self._stopping.wait(answer.interval):
                return
            yield _event(item)
        if answer.done:
            yield b"data: [DONE]\n\n"


def _default_answer(request: Any) -> _Answer:
    body = request if isinstance(request, dict) else {}
    model = body["model"] if isinstance(body.get("model"), str) else DEFAULT_MODEL
    if body.get("stream") is True:
        options = body.get("stream_options")
        with_usage = isinstance(options, dict) and options.get("include_usage") is True
        words: list[Any] = ["Hello", " there", "!"]
        events = [*words, chunk(usage=USAGE)] if with_usage else words
        return _Answer(200, {}, 0.0, events=events, content_type="text/event-stream")
    return _Answer(200, {}, 0.0, body=_bytes(completion(DEFAULT_CONTENT, usage=USAGE, model=model)))


def _not_found(path: str) -> dict[str, Any]:
    return {
        "error": {
            "message": f"Invalid URL (POST {path})",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def _json_response(status: int, body: Any) -> Response:
    return Response(_bytes(body), status=status, content_type="application/json")


def _bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()
