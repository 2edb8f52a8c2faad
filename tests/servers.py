"""Real servers for the network tests, all on loopback, each started and stopped by a fixture.

The reusable ones live in the public test kit (:mod:`actions_core.testing`) and are re-exported
here under their old names:

* :class:`Upstream` — a scripted HTTP(S) server (pytest-httpserver on werkzeug) on 127.0.0.1;
* :class:`TcpServer` — a raw socket server running a handler per connection (slow, endless,
  early-closing servers) that counts the connections it accepted;
* :class:`Pki`, :func:`wait_until`, :func:`read_request_head`, ``WAIT``.

Only the project's own tests use the rest:

* :class:`ForwardProxy` — a real forward proxy (proxy.py, in a subprocess) whose access log
  says which requests it carried;
* :func:`loopback_only` — a guard: while active, any connection or DNS lookup that is not for a
  loopback address fails the test. No network test may ever reach another address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import trustme

from actions_core.testing import (
    WAIT,
    Pki,
    TcpServer,
    Upstream,
    read_request_head,
    wait_until,
)

__all__ = [
    "WAIT",
    "ForwardProxy",
    "Pki",
    "TcpServer",
    "Upstream",
    "loopback_only",
    "read_request_head",
    "wait_until",
]


# --- the loopback guard ---


_LOOPBACK_NAMES = {"localhost", "localhost.", ""}


def _is_loopback_host(host: Any) -> bool:
    if host is None:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    text = text.strip("[]").split("%", 1)[0]
    if text.lower() in _LOOPBACK_NAMES or text.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


@contextlib.contextmanager
def loopback_only() -> Iterator[list[str]]:
    """Fail any ``connect`` or ``getaddrinfo`` aimed at a non-loopback address.

    Yields the list of violations (also raised at the call) so a fixture can assert it is
    empty even when the offending call ran in a server thread.
    """
    violations: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback_host(address[0]):
            violations.append(f"connect to {address!r}")
            raise AssertionError(f"test tried to connect to non-loopback address {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback_host(host):
            violations.append(f"DNS lookup of {host!r}")
            raise AssertionError(f"test tried to resolve non-loopback host {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    try:
        yield violations
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo


# --- a real forward proxy ---


_ACCESS = re.compile(r" - (?P<method>[A-Z]+) (?P<target>\S+) - ")


class ForwardProxy:
    """proxy.py on 127.0.0.1 in its own process group, stopped (and reaped) on exit.

    ``basic_auth="user:pass"`` makes it demand ``Proxy-Authorization``; ``leaf`` (a trustme
    certificate) makes it an ``https://`` proxy.
    """

    def __init__(
        self,
        directory: Path,
        *,
        basic_auth: str | None = None,
        leaf: trustme.LeafCert | None = None,
        pki: Pki | None = None,
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.log_file = directory / "access.log"
        self.port_file = directory / "port"
        self.scheme = "https" if leaf else "http"
        command = [
            sys.executable,
            "-m",
            "proxy",
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(self.port_file),
            "--num-workers",
            "1",
            "--num-acceptors",
            "1",
            "--log-level",
            "INFO",
            "--log-file",
            str(self.log_file),
            "--data-dir",
            str(directory / "data"),
            "--timeout",
            "5",
        ]
        if basic_auth:
            command += ["--basic-auth", basic_auth]
        if leaf is not None:
            assert pki is not None
            cert, key = pki.write_leaf(leaf, directory)
            command += ["--cert-file", str(cert), "--key-file", str(key)]
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        env = dict(os.environ, HOME=str(self.directory))
        stderr = (self.directory / "stderr.log").open("wb")
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            env=env,
            start_new_session=True,
        )
        stderr.close()
        try:
            wait_until(self._ready, what="proxy.py to listen")
        except BaseException:
            self.__exit__()
            raise
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            output = (self.directory / "stderr.log").read_text(errors="replace")
            raise AssertionError(f"proxy.py exited with {self.process.returncode}: {output}")
        text = self.port_file.read_text().strip() if self.port_file.exists() else ""
        if not text:
            return False
        self.port = int(text)
        with socket.socket() as probe:
            probe.settimeout(1)
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def __exit__(self, *exc: object) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(WAIT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(WAIT)

    def seen(self) -> list[tuple[str, str]]:
        """``(method, target)`` of every request in the access log so far (e.g.
        ``("CONNECT", "127.0.0.1:4443")``, ``("GET", "127.0.0.1:8080/x")``)."""
        if not self.log_file.exists():
            return []
        text = self.log_file.read_text(errors="replace")
        return [(m["method"], m["target"]) for m in _ACCESS.finditer(text)]

    def mark(self) -> int:
        """How many requests the log shows now: pass it to :meth:`wait_seen` as ``since``."""
        return len(self.seen())

    def wait_seen(self, method: str, target_prefix: str, since: int = 0) -> list[tuple[str, str]]:
        """Wait (bounded) until the log shows, after entry ``since``, ``method`` to a target
        starting with ``target_prefix``; proxy.py logs a request when its connection closes."""

        def found() -> list[tuple[str, str]]:
            return [
                s for s in self.seen()[since:] if s[0] == method and s[1].startswith(target_prefix)
            ]

        return wait_until(found, what=f"proxy to log {method} {target_prefix}")
