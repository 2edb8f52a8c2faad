"""Both transports of the network policy behind one blocking interface, so that the policy
tests run against each: ``requests`` (``HttpClient``, ``ctx.http``) and httpx on asyncio
(``AsyncHttpClient``, ``ctx.ahttp``).

A test module opts in with ``transport = both_transports(__name__)`` (an autouse fixture): every
use of the name ``HttpClient`` in that module then builds the transport of the current
parameter, and each test runs once per transport.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from actions_core import HttpClient, NetworkPolicy
from actions_core._net.aclient import AsyncHttpClient

TRANSPORTS = ("requests", "httpx")
_WAIT = 60.0


class _Loop:
    """One event loop in a daemon thread for every blocking call into the async client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="test-async-http", daemon=True).start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(_WAIT)


_LOOP: _Loop | None = None


def _loop() -> _Loop:
    global _LOOP
    if _LOOP is None:
        _LOOP = _Loop()
    return _LOOP


class BlockingReply:
    """An ``httpx.Response`` seen through the parts of ``requests.Response`` the tests use."""

    def __init__(self, response: httpx.Response, loop: _Loop) -> None:
        self.response = response
        self._loop = loop
        self.status_code = response.status_code
        self.headers = response.headers
        self.url = str(response.url)
        self.history = response.history

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def content(self) -> bytes:
        return self.response.content

    @property
    def text(self) -> str:
        return self.response.text

    def json(self) -> Any:
        return self.response.json()

    def _iterate(self, source: AsyncIterator[Any]) -> Iterator[Any]:
        async def step() -> tuple[bool, Any]:
            try:
                return True, await source.__anext__()
            except StopAsyncIteration:
                return False, None

        while True:
            more, item = self._loop.run(step())
            if not more:
                return
            yield item

    def iter_content(self, chunk_size: int | None = 1) -> Iterator[bytes]:
        return self._iterate(self.response.aiter_bytes(chunk_size))

    def iter_lines(self) -> Iterator[bytes]:
        for line in self._iterate(self.response.aiter_lines()):
            yield line.rstrip("\r\n").encode()

    def close(self) -> None:
        self._loop.run(self.response.aclose())

    def __enter__(self) -> BlockingReply:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlockingAsyncClient:
    """``AsyncHttpClient`` with ``HttpClient``'s blocking ``request`` (requests' argument names
    mapped to httpx's), for the shared policy tests."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self.client = AsyncHttpClient(policy)
        self._loop = _loop()

    def request(self, method: str, url: str, **kwargs: Any) -> BlockingReply:
        if isinstance(kwargs.get("data"), bytes | str):
            kwargs["content"] = kwargs.pop("data")
        response = self._loop.run(self.client.request(method, url, **kwargs))
        return BlockingReply(response, self._loop)

    def effective_timeout(self, timeout: float | None = None) -> float:
        return self.client.effective_timeout(timeout)

    def close(self) -> None:
        self._loop.run(self.client.aclose())


def client_class(transport: str) -> Callable[[NetworkPolicy], Any]:
    return HttpClient if transport == "requests" else BlockingAsyncClient


def both_transports(module_name: str) -> Any:
    """An autouse fixture, parametrised over the transports, that makes ``HttpClient`` in
    module ``module_name`` build the current one; it returns the transport's name."""

    @pytest.fixture(autouse=True, params=TRANSPORTS)
    def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
        monkeypatch.setattr(sys.modules[module_name], "HttpClient", client_class(request.param))
        return str(request.param)

    return transport


def requests_only(transport: str) -> None:
    """Skip a test about requests' own session objects under the httpx transport."""
    if transport != "requests":
        pytest.skip("about requests' session and pool objects")
