"""``ctx.ahttp``'s connections: plain asyncio transports, one ``send`` per request, stale
keep-alive connections noticed, large bodies sent whole.

Each test runs a raw TCP server on 127.0.0.1 that records what arrives, so what is asserted is
what went over the wire.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable

from actions_core import NetworkPolicy
from actions_core._net.aclient import _SHARDS, AsyncHttpClient

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class RecordingServer:
    """Answers each request with ``OK``; records the reads (``recv`` calls) each one took."""

    def __init__(self, close_after_response: bool = False) -> None:
        self.close_after_response = close_after_response
        self.reads_per_request: list[int] = []
        self.bodies: list[bytes] = []
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                data, reads = b"", 0
                while b"\r\n\r\n" not in data:
                    chunk = await reader.read(1 << 20)
                    if not chunk:
                        return
                    data, reads = data + chunk, reads + 1
                head, _, body = data.partition(b"\r\n\r\n")
                length = _content_length(head)
                while len(body) < length:
                    chunk = await reader.read(1 << 20)
                    if not chunk:
                        return
                    body, reads = body + chunk, reads + 1
                self.reads_per_request.append(reads)
                self.bodies.append(body)
                writer.write(OK)
                await writer.drain()
                if self.close_after_response:  # keep-alive promised, then dropped while idle
                    writer.close()
                    return
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/upload"


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def run(scenario: Callable[[RecordingServer, AsyncHttpClient], Awaitable[None]], **options: bool):
    """``scenario(server, client)`` on a fresh loop; both are closed afterwards."""

    async def main() -> RecordingServer:
        recorder = RecordingServer(**options)
        recorder.server = await asyncio.start_server(recorder.handle, "127.0.0.1", 0)
        client = AsyncHttpClient(NetworkPolicy(allowed_hosts=["127.0.0.1"]))
        try:
            await asyncio.wait_for(scenario(recorder, client), 30)
        finally:
            await client.aclose()
            recorder.server.close()
            await recorder.server.wait_closed()
        return recorder

    return asyncio.run(main())


def test_headers_and_body_leave_in_one_send() -> None:
    """The server's thread blocks in ``recv``, which returns as soon as the first bytes
    arrive: a request sent in parts would be seen in parts."""
    first_reads: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)

    def serve() -> None:
        with listener:
            for _ in range(3):
                conn, _ = listener.accept()
                with conn:
                    conn.settimeout(30)
                    first_reads.append(conn.recv(1 << 20))
                    conn.sendall(OK.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/upload"

    async def three_posts() -> None:
        client = AsyncHttpClient(NetworkPolicy(allowed_hosts=["127.0.0.1"]))
        try:
            for n in range(3):
                response = await client.request("POST", url, content=b'{"n": %d}' % n)
                assert response.content == b"ok"
        finally:
            await client.aclose()

    asyncio.run(asyncio.wait_for(three_posts(), 30))
    thread.join(30)
    assert [read.partition(b"\r\n\r\n")[2] for read in first_reads] == [
        b'{"n": 0}',
        b'{"n": 1}',
        b'{"n": 2}',
    ]


def test_an_idle_connection_the_server_dropped_is_not_reused() -> None:
    count = 2 * _SHARDS + 1  # every pool gets a second request, on a connection now closed

    async def posts_with_pauses(server: RecordingServer, client: AsyncHttpClient) -> None:
        for _ in range(count):
            response = await client.request("POST", server.url, content=b"{}")
            assert response.status_code == 200
            await asyncio.sleep(0.01)  # the server's close reaches us while the connection idles

    server = run(posts_with_pauses, close_after_response=True)
    assert len(server.bodies) == count and server.connections == count


def test_a_body_larger_than_the_coalescing_limit_arrives_whole() -> None:
    body = bytes(range(256)) * 8192  # 2 MiB

    async def one_large_post(server: RecordingServer, client: AsyncHttpClient) -> None:
        response = await client.request("POST", server.url, content=body)
        assert response.content == b"ok"

    assert run(one_large_post).bodies == [body]


#: An upstream in its own process (a thread of ours would share the GIL with the reader):
#: sends a 64 MiB body and prints how much the client took before it closed.
_FLOOD = """
import socket
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
listener.settimeout(30)
conn, _ = listener.accept()
conn.settimeout(30)
conn.recv(1 << 20)
conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % (64 << 20))
sent, block = 0, b"x" * 65536
try:
    while sent < 64 << 20:
        sent += conn.send(block)
except OSError:  # the client closed the connection
    pass
print(sent, flush=True)
"""


def test_a_response_nobody_reads_is_not_buffered_whole() -> None:
    """An upstream sending 64 MiB to a reader that stops after the first chunk: the client
    stops reading the socket, so the upstream cannot send much more than the socket buffers
    hold, however long the response stays open."""
    upstream = subprocess.Popen([sys.executable, "-c", _FLOOD], stdout=subprocess.PIPE, text=True)
    try:
        assert upstream.stdout is not None
        url = f"http://127.0.0.1:{int(upstream.stdout.readline())}/large"

        async def read_a_little() -> None:
            client = AsyncHttpClient(NetworkPolicy(allowed_hosts=["127.0.0.1"]))
            try:
                response = await client.request("GET", url, stream=True)
                chunks = response.aiter_raw()
                await chunks.__anext__()
                await asyncio.sleep(1.5)  # the upstream keeps sending while we hold it
                await chunks.aclose()
                await response.aclose()
            finally:
                await client.aclose()

        asyncio.run(asyncio.wait_for(read_a_little(), 30))
        sent = int(upstream.stdout.readline())
    finally:
        upstream.kill()
        upstream.wait(10)
    assert sent < 16 << 20  # socket buffers and our high mark, not the whole 64 MiB
