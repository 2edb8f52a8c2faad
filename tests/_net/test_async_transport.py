"""The asyncio transport's own parts: the guarded connection and the per-loop clients (the
policy itself is tested through both transports: tests/_net/transports.py)."""

from __future__ import annotations

import asyncio
import socket

import httpcore
import pytest

from actions_core import AddressNotAllowedError, NetworkPolicy
from actions_core._net.aclient import AsyncHttpClient, _GuardedBackend
from actions_core._net.ssrf import AddressGuard


class _Rebinding:
    """getaddrinfo answering a public address first and loopback afterwards."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host, port, *args, **kwargs):
        self.calls += 1
        address = "8.8.8.8" if self.calls == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


class _Connected(Exception):
    pass


def test_the_async_guard_connects_to_the_address_it_checked(monkeypatch):
    resolver = _Rebinding()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    backend = _GuardedBackend(AddressGuard(exempt_hosts=()))
    seen: list[str] = []

    async def record(host, port, **kwargs):  # stands in for opening the socket
        seen.append(host)
        raise _Connected(host)

    monkeypatch.setattr(backend._inner, "connect_tcp", record)

    async def main() -> None:
        with pytest.raises(_Connected):
            await backend.connect_tcp("rebind.test", 80, timeout=1)
        # the second answer is loopback: refused, and nothing is connected to
        with pytest.raises(AddressNotAllowedError, match=r"resolves to 127\.0\.0\.1"):
            await backend.connect_tcp("rebind.test", 80, timeout=1)

    asyncio.run(main())
    assert seen == ["8.8.8.8"]  # by number: no second lookup between check and connect
    assert resolver.calls == 2


def test_a_mixed_answer_uses_only_the_public_addresses(monkeypatch):
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    backend = _GuardedBackend(AddressGuard(()))
    seen: list[str] = []

    async def refuse(host, port, **kwargs):
        seen.append(host)
        raise httpcore.ConnectError("refused")

    monkeypatch.setattr(backend._inner, "connect_tcp", refuse)
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(backend.connect_tcp("mixed.test", 80, timeout=1))
    assert seen == ["93.184.216.34"]


def test_each_event_loop_gets_its_own_clients():
    http = AsyncHttpClient(NetworkPolicy())

    async def ids() -> tuple[int, int]:
        first, again = http.client(), http.client()
        await http.aclose()
        return id(first), id(again)

    one = asyncio.run(ids())
    assert one[0] == one[1]  # shared within a loop
    assert len(http._by_loop) == 0  # aclose dropped the loop's clients


def test_policy_arguments_are_refused():
    http = AsyncHttpClient(NetworkPolicy())
    with pytest.raises(TypeError, match="the network policy decides TLS and proxies"):
        asyncio.run(http.request("GET", "http://127.0.0.1:1/", verify=False))
