"""Helpers for the ``.gen-ai`` tests: scripted upstreams on 127.0.0.1 and response builders.

Every server here is started and stopped by a fixture (``with`` blocks); no test reaches any
address but loopback.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from pytest_httpserver import HTTPServer

WAIT = 10.0  # seconds: the bound of every wait in these helpers


def completion(
    content: str | None = "Hello there!",
    *,
    usage: dict[str, int] | None = None,
    model: str = "gpt-4.1-2025-04-14",
    **extra: Any,
) -> dict[str, Any]:
    """A chat completion as OpenAI returns it (``usage=None`` leaves usage out)."""
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
        body["usage"] = usage
    body.update(extra)
    return body


USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def chunk(content: str | None = None, *, usage: dict[str, int] | None = None, **delta: Any) -> dict:
    """One ``chat.completion.chunk``; with ``usage`` it is the final usage chunk (no choices)."""
    if usage is not None:
        return {
            "id": "c",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [],
            "usage": usage,
        }
    if content is not None:
        delta["content"] = content
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def sse(*chunks: dict[str, Any], done: bool = True) -> bytes:
    """An SSE body of ``chunks`` (``data: {...}\\n\\n`` each), ending with ``data: [DONE]``."""
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


class Upstream(HTTPServer):
    """pytest-httpserver on 127.0.0.1, threaded (HTTP/1.1, chunked streaming responses)."""

    def __init__(self, ssl_context: Any = None) -> None:
        super().__init__(host="127.0.0.1", port=0, ssl_context=ssl_context, threaded=True)

    def __enter__(self) -> Upstream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()
        if self.is_running():
            self.stop()

    def requests(self) -> list[Any]:
        return [request for request, _ in self.log]


# --- a raw socket server for what HTTP servers won't do: stall, drop mid-stream ---------------


def read_request(conn: socket.socket) -> bytes:
    """Read one HTTP request (head + Content-Length body) from ``conn``."""
    data = b""
    conn.settimeout(WAIT)
    while b"\r\n\r\n" not in data:
        part = conn.recv(65536)
        if not part:
            return data
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        part = conn.recv(65536)
        if not part:
            break
        body += part
    return head + b"\r\n\r\n" + body


class RawServer:
    """Accepts connections on 127.0.0.1 and runs ``script(conn, request_bytes)`` for each."""

    def __init__(self, script: Callable[[socket.socket, bytes], None]) -> None:
        self.script = script
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/v1/chat/completions") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = read_request(conn)
            self.requests.append(request)
            with contextlib.suppress(OSError):
                self.script(conn, request)

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.sock.close()
        self._accepter.join(WAIT)
        for thread in self._threads:
            thread.join(WAIT)


def chunked_head(content_type: str = "text/event-stream") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )


def http_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def stall(stopping: threading.Event) -> Callable[[socket.socket, bytes], None]:
    """A script that answers nothing until the server stops."""

    def script(conn: socket.socket, request: bytes) -> None:
        stopping.wait(WAIT)

    return script


def wait_until(condition: Callable[[], Any], timeout: float = WAIT, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def body_of(request: Any) -> bytes:
    return request.get_data()


def header_map(request: Any) -> dict[str, str]:
    """The request's headers, names lower-cased."""
    return {name.lower(): value for name, value in request.headers.items()}


def iter_bytes(stream: Iterator[bytes]) -> bytes:
    return b"".join(stream)
