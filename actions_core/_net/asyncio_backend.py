"""httpcore's network backend on plain asyncio transports, for ``ctx.ahttp``'s connections.

httpcore's own asyncio backend goes through anyio, which costs a stream layer, a cancellation
checkpoint and a ``sniffio`` lookup per call, and sends each part of a request (headers, body,
end of body) as its own ``send``: on a relayed request that is three wake-ups of the upstream
where one does. Profiled against nginx on 127.0.0.1, a request through httpx cost ~430 µs of
CPU, a third of it in anyio's ``send``; requests (one ``send``) cost ~220 µs.

This backend writes into the asyncio transport directly and coalesces: what httpcore writes is
kept until it reads (or until 64 KiB are pending), then sent in one ``write``. Reads wait on a
future fed by the protocol, with the timeout as a timer on the loop. Errors are httpcore's
(``ConnectError``, ``ReadTimeout``, ...), which httpx turns into its own, as with anyio.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

__all__ = ["AsyncioBackend"]

#: Pending writes past this size are sent (and the transport drained) before more are taken.
_COALESCE_LIMIT = 64 * 1024
#: Received bytes nobody has read yet: past the high mark the socket is not read any more
#: (TCP then slows the upstream down) until a reader brings them under the low mark, so a
#: fast upstream relayed to a slow client is never buffered here whole.
_READ_HIGH = 256 * 1024
_READ_LOW = 64 * 1024


class _Protocol(asyncio.Protocol):
    """Receives into a buffer and wakes the one reader waiting for data."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        self.drained: asyncio.Future[None] | None = None
        self.reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _READ_HIGH and not self.reading_paused and self.transport:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def consumed(self) -> None:
        """A reader took bytes: read the socket again once the backlog is small."""
        if self.reading_paused and len(self.buffer) < _READ_LOW and self.transport:
            self.reading_paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close the transport: HTTP/1.1 has nothing to send after the peer's EOF

    def connection_lost(self, exc: BaseException | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _expire(future: asyncio.Future[None], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


async def _wait(future: asyncio.Future[None], timeout: float | None, error: Exception) -> None:
    """Await ``future``; past ``timeout`` seconds it fails with ``error`` instead."""
    if timeout is None:
        await future
        return
    timer = asyncio.get_running_loop().call_later(timeout, _expire, future, error)
    try:
        await future
    finally:
        timer.cancel()


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._pending: list[bytes] = []
        self._pending_size = 0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._flush()
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            protocol.waiter = asyncio.get_running_loop().create_future()
            await _wait(protocol.waiter, timeout, httpcore.ReadTimeout("timed out reading"))
        buffer = protocol.buffer
        if buffer:
            data = bytes(buffer[:max_bytes])
            del buffer[:max_bytes]
            protocol.consumed()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""  # the peer closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._pending.append(bytes(buffer))
        self._pending_size += len(buffer)
        if self._pending_size >= _COALESCE_LIMIT:
            self._flush()
            protocol = self._protocol
            if protocol.paused:
                protocol.drained = asyncio.get_running_loop().create_future()
                error = httpcore.WriteTimeout("timed out writing")
                await _wait(protocol.drained, timeout, error)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(data)

    async def aclose(self) -> None:
        self._pending.clear()
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self._flush()
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except TimeoutError as err:
            self._transport.close()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from err
        except (OSError, ssl.SSLError) as err:
            self._transport.close()
            raise httpcore.ConnectError(str(err)) from err
        if transport is None:
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        return _Stream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":  # an idle connection the server closed (or wrote to)
            return self._protocol.eof or bool(self._protocol.buffer)
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """TCP connections as asyncio transports (see the module docstring)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to ``host``, an IP address (the caller has resolved and checked it)."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option in socket_options or ():
                sock.setsockopt(*option)
            if local_address is not None:
                sock.bind((local_address, 0))
            try:
                async with asyncio.timeout(timeout):
                    await loop.sock_connect(sock, (host, port))
            except TimeoutError as err:
                raise httpcore.ConnectTimeout("timed out connecting") from err
            transport, protocol = await loop.create_connection(_Protocol, sock=sock)
        except httpcore.ConnectTimeout:
            sock.close()
            raise
        except OSError as err:
            sock.close()
            raise httpcore.ConnectError(str(err)) from err
        except BaseException:
            sock.close()
            raise
        return _Stream(transport, protocol)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("connectors do not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
