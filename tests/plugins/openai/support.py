"""Helpers for the ``.gen-ai`` tests: scripted upstreams on 127.0.0.1 and response builders
(the builders live in the public test kit, :mod:`actions_core.testing`).

Every server here is started and stopped by a fixture (``with`` blocks); no test reaches any
address but loopback.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from actions_core.testing import USAGE, chunk, completion, sse
from tests import servers
from tests.servers import WAIT

__all__ = [
    "USAGE",
    "WAIT",
    "RawServer",
    "Upstream",
    "chunk",
    "chunked_head",
    "completion",
    "header_map",
    "http_chunk",
    "read_request",
    "sse",
]


class Upstream(servers.Upstream):
    """The shared scripted upstream (HTTP/1.1, chunked streaming responses), with its log."""

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


class RawServer(servers.TcpServer):
    """A :class:`~tests.servers.TcpServer` that reads each request, then runs
    ``script(conn, request_bytes)``."""

    def __init__(self, script: Callable[[socket.socket, bytes], None]) -> None:
        super().__init__(lambda conn, stopping: script(conn, read_request(conn)))

    def url(self, path: str = "/v1/chat/completions", host: str | None = None) -> str:
        return super().url(path, host)


def chunked_head(content_type: str = "text/event-stream") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )


def http_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def header_map(request: Any) -> dict[str, str]:
    """The request's headers, names lower-cased."""
    return {name.lower(): value for name, value in request.headers.items()}
