"""Real servers on loopback for tests, each started and stopped by its ``with`` block.

* :class:`Upstream` — a scripted HTTP(S) server (pytest-httpserver on werkzeug) on 127.0.0.1;
* :class:`TcpServer` — a raw socket server running a handler per connection (slow, endless,
  early-closing servers) that counts the connections it accepted;
* :class:`Pki` — trustme CAs and certificates for TLS tests;
* :func:`wait_until` — the bounded poll every wait in a test should use.

They need the ``testing`` extra (``pip install actions-core[testing]``). actions-core's own
tests use them too (``tests/servers.py`` re-exports them next to its loopback guard).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trustme
from pytest_httpserver import HTTPServer

__all__ = ["WAIT", "Pki", "TcpServer", "Upstream", "read_request_head", "wait_until"]

WAIT = 10.0  # seconds: the bound of every wait loop in these helpers


def wait_until(condition: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll ``condition`` until it is truthy and return its value; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


# --- certificates ---


class Pki:
    """trustme CAs and certificates for the TLS tests."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.unknown_ca = trustme.CA()  # trusted by nobody
        self.client_ca = trustme.CA()
        self.server = self.ca.issue_cert("127.0.0.1", "localhost", "::1")
        self.wrong_host = self.ca.issue_cert("elsewhere.test")
        self.untrusted = self.unknown_ca.issue_cert("127.0.0.1", "localhost")
        self.client = self.client_ca.issue_cert("client.test")

    @property
    def ca_pem(self) -> str:
        return self.ca.cert_pem.bytes().decode()

    @property
    def client_ca_pem(self) -> str:
        return self.client_ca.cert_pem.bytes().decode()

    def client_cert_pem(self) -> tuple[str, str]:
        """The client certificate and its (PKCS#8) key, as PEM text."""
        cert = b"".join(blob.bytes() for blob in self.client.cert_chain_pems).decode()
        return cert, self.client.private_key_pem.bytes().decode()

    def server_context(
        self, leaf: trustme.LeafCert | None = None, *, require_client_cert: bool = False
    ) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        (leaf or self.server).configure_cert(context)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            self.client_ca.configure_trust(context)
        return context

    def write_leaf(self, leaf: trustme.LeafCert, directory: Path) -> tuple[Path, Path]:
        cert = directory / "cert.pem"
        key = directory / "key.pem"
        cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        key.write_bytes(leaf.private_key_pem.bytes())
        return cert, key


# --- scripted HTTP(S) upstreams ---


class Upstream(HTTPServer):
    """pytest-httpserver on 127.0.0.1 (threaded), optionally with TLS."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        super().__init__(host=host, port=0, ssl_context=ssl_context, threaded=True)

    def url(self, path: str = "/", host: str | None = None) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def __enter__(self) -> Upstream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()
        if self.is_running():
            self.stop()


# --- raw TCP servers ---


Handler = Callable[[socket.socket, threading.Event], None]


class TcpServer:
    """Accepts connections on ``host`` and runs ``handler(conn, stopping)`` for each one.

    ``connections`` counts accepted connections; ``stop()`` closes everything within bounds.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.handler = handler
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/", host: str | None = None) -> str:
        host = host or self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.settimeout(WAIT)
            self._clients.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            self.handler(conn, self.stopping)

    def __enter__(self) -> TcpServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._acceptor.join(WAIT)
        for client in self._clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()
        for thread in self._threads:
            thread.join(WAIT)
        self.sock.close()


def read_request_head(conn: socket.socket) -> bytes:
    """Read up to the end of the request head (bounded by size and the socket timeout)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
