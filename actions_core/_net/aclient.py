"""The asyncio transport of the network policy: ``ctx.ahttp`` (:class:`AsyncHttpClient`).

The same policy as :class:`~actions_core._net.client.HttpClient`, enforced by the same code,
over httpx instead of requests, so that a stream relayed by the HTTP service costs an ``await``
per chunk instead of a worker thread:

* every hop (the first request and each redirect) passes :func:`.client.check_target`
  (``allowedHosts``, the SSRF literal check) inside :class:`_PolicyTransport`, which every hop
  goes through; redirects are followed here, one at a time, with their bodies read under the
  size limit;
* direct connections are opened by :class:`_GuardedBackend`: the name is resolved once,
  :meth:`.ssrf.AddressGuard.screen` (shared with the synchronous transport) keeps the allowed
  addresses, and the socket connects to an address it kept, by number;
* a proxied request is checked first with the guard's own rules (:meth:`AddressGuard.check_all`)
  and goes through the policy's proxy (bypass/only lists, headers, credentials, TLS to the
  proxy from :meth:`NetworkPolicy.proxy_tls`);
* TLS per host and per connector: the SSL context of :meth:`NetworkPolicy.tls_for`, the very
  context object the synchronous transport uses (cached per distinct setting);
* ``responseTimeout`` for connect and read (``max(responseTimeout, timeout)``), a total
  deadline for bodies read in full, ``maxResponseContentLength`` on decoded bytes, and failures
  raised as the :class:`~actions_core.RequestError` family, whose members are also the requests
  exceptions code already catches.

Clients (and their connection pools) belong to one event loop: one is kept per loop and per
distinct ``(policy, TlsOptions)``; a closed loop's clients are dropped.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import socket
import ssl
import threading
import time
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpcore
import httpx
import requests
from urllib3.util.connection import allowed_gai_family

from actions_core._net.asyncio_backend import AsyncioBackend
from actions_core._net.client import (
    _NoCookies,
    _refuse_policy_kwargs,
    check_target,
    declared_length_over,
    effective_timeout,
    origin_of,
    timed_out,
    too_large,
)
from actions_core._net.errors import RequestError, request_error
from actions_core._net.policy import NetworkPolicy
from actions_core._net.ssrf import AddressGuard, parse_ip
from actions_core._net.tls import TlsOptions, TlsSettings

__all__ = ["AsyncHttpClient"]

_MAX_REDIRECTS = 30  # requests' default, which the synchronous transport keeps
#: Streams relayed at once are many: no cap on connections per pool (the floor relay has none
#: either); idle keep-alive connections are capped.
_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=16, keepalive_expiry=30)
#: Connections to one (proxy, TLS) destination are spread over this many pools. httpcore's pool
#: looks at every one of its connections each time a request starts or a response is closed,
#: so with N streams open one pool costs O(N) per stream and O(N²) in all: a profile of 500
#: relayed streams spent a quarter of the service's CPU there. Round robin over 16 pools
#: divides that by 16 and still keeps up to 16 idle keep-alive connections in each.
_SHARDS = 16
#: What a request can fail with underneath; raised as the RequestError family.
_TRANSPORT_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpcore.ConnectError, OSError)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to addresses the SSRF guard has just checked (no second lookup)."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        guard = self._guard
        guard.check_literal(host)
        name = host.strip("[]")
        ip = parse_ip(name)
        if ip is not None:  # a literal: nothing to resolve
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            infos: list[Any] = [(family, socket.SOCK_STREAM, 6, "", (str(ip), port))]
        else:
            try:
                infos = await asyncio.wait_for(
                    asyncio.get_running_loop().getaddrinfo(
                        name, port, family=allowed_gai_family(), type=socket.SOCK_STREAM
                    ),
                    timeout,
                )
            except TimeoutError as err:
                raise httpcore.ConnectTimeout(f"resolving {name} timed out") from err
            except (OSError, UnicodeError) as err:  # socket.gaierror: an unknown host
                raise httpcore.ConnectError(str(err)) from err
        allowed, refusal = guard.screen(host, infos)
        last_error: httpcore.ConnectError | None = None
        for info in allowed:
            address = str(info[4][0])
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as err:
                last_error = err
        if last_error is not None:
            raise last_error
        if refusal is not None:
            raise refusal
        raise httpcore.ConnectError(f"getaddrinfo returned no addresses for {host!r}")

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("connectors do not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _plain_http_context() -> ssl.SSLContext:
    """What an ``http://`` pool is given (it never uses it: an https hop has its own pool)."""
    return ssl.create_default_context()


def _direct_transport(context: Any, guard: AddressGuard | None) -> httpx.AsyncHTTPTransport:
    context = context or _plain_http_context()
    transport = httpx.AsyncHTTPTransport(verify=context, limits=_LIMITS, trust_env=False)
    # httpx builds its pool without a way to pass a network backend; this is the same pool
    # (httpx's own arguments) with ours: guarded, on plain asyncio transports.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,
        max_connections=_LIMITS.max_connections,
        max_keepalive_connections=_LIMITS.max_keepalive_connections,
        keepalive_expiry=_LIMITS.keepalive_expiry,
        network_backend=_GuardedBackend(guard) if guard is not None else AsyncioBackend(),
    )
    return transport


class _PolicyTransport(httpx.AsyncBaseTransport):
    """Every hop of every request: the policy check, then a pool chosen by proxy and TLS."""

    def __init__(self, policy: NetworkPolicy, tls: TlsOptions | None) -> None:
        self.policy = policy
        self.tls = tls
        self._pools: dict[tuple[str | None, TlsSettings | None, int], httpx.AsyncHTTPTransport] = {}
        self._turn = itertools.count()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        check_target(self.policy, url)
        proxy = self.policy.proxy_for(url)
        settings = self.policy.tls_for(url, self.tls) if request.url.scheme == "https" else None
        guard = self.policy.address_guard
        if proxy is None:
            return await self._pool(None, settings).handle_async_request(request)
        if guard is not None:
            await _check_proxied_target(guard, request.url)
        try:
            return await self._pool(proxy, settings).handle_async_request(request)
        except httpx.ConnectError as err:  # as requests reports it: the proxy failed us
            raise httpx.ProxyError(str(err), request=request) from err

    def _pool(self, proxy: str | None, settings: TlsSettings | None) -> httpx.AsyncHTTPTransport:
        key = (proxy, settings, next(self._turn) % _SHARDS)
        pool = self._pools.get(key)
        if pool is None:
            context = settings.context() if settings is not None else None
            if proxy is None:
                pool = _direct_transport(context, self.policy.address_guard)
            else:
                pool = httpx.AsyncHTTPTransport(
                    verify=context or _plain_http_context(),
                    limits=_LIMITS,
                    trust_env=False,
                    proxy=self._proxy(proxy),
                )
            self._pools[key] = pool
        return pool

    def _proxy(self, proxy: str) -> httpx.Proxy:
        context = None
        if proxy.lower().startswith("https:"):
            context = self.policy.proxy_tls().context()
        # credentials in the URL become Proxy-Authorization (httpx does that itself)
        return httpx.Proxy(proxy, headers=dict(self.policy.proxy_headers), ssl_context=context)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


async def _check_proxied_target(guard: AddressGuard, url: httpx.URL) -> None:
    """The proxy connects, not us: refuse a target that resolves to a non-public address here
    (a name this machine cannot resolve is left to the proxy), as the sync transport does."""
    host = url.host
    guard.check_literal(host)
    if guard.is_exempt(host) or parse_ip(host) is not None:
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, family=allowed_gai_family(), type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        return
    guard.check_all(host, infos)


class _NoCookieStore(httpx.Cookies):
    """The cookie jar of a client every connector shares: it stays empty. httpx would parse
    each response's ``Set-Cookie`` into it (about a tenth of a relayed request's CPU) only for
    the policy to refuse them; a response's own ``.cookies`` are still there to read."""

    def __init__(self) -> None:
        super().__init__()
        self.jar.set_policy(_NoCookies())  # type: ignore[arg-type]

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class AsyncHttpClient:
    """``ctx.ahttp``: the policy-aware HTTP client for asyncio code (executors that are
    ``async def`` or async generators). Same arguments and guarantees as ``ctx.http``."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[TlsOptions | None, httpx.AsyncClient]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def client(self, tls: TlsOptions | None = None) -> httpx.AsyncClient:
        """The pooled ``httpx.AsyncClient`` of the running loop for ``tls``: redirects off
        (:meth:`request` follows them under the policy), no cookies kept, nothing read from
        the environment."""
        loop = asyncio.get_running_loop()
        with self._lock:
            clients = self._by_loop.get(loop)
            if clients is None:
                for closed in [other for other in self._by_loop if other.is_closed()]:
                    del self._by_loop[closed]  # its connections died with it
                clients = self._by_loop[loop] = {}
            client = clients.get(tls or None)
            if client is None:
                client = clients[tls or None] = httpx.AsyncClient(
                    transport=_PolicyTransport(self.policy, tls or None),
                    follow_redirects=False,
                    trust_env=False,
                )
                # shared by every connector: never store a cookie, nor parse one to drop it
                client._cookies = _NoCookieStore()
        return client

    async def request(
        self,
        method: str,
        url: str,
        *,
        tls: TlsOptions | None = None,
        timeout: float | None = None,
        stream: bool = False,
        max_content_length: int | None = None,
        allow_redirects: bool = True,
        headers: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
        data: Any = None,
        json: Any = None,
        params: Any = None,
        auth: Any = None,
        **refused: Any,
    ) -> httpx.Response:
        """Send one request under the policy (see ``HttpClient.request``).

        ``stream=False``: the body is read now (``response.content``), at most
        ``max_content_length`` (default ``maxResponseContentLength``) bytes, within the timeout.
        ``stream=True``: the body is unread; read it with ``response.aiter_bytes()`` (or
        ``aiter_lines``/``aiter_text``) and ``await response.aclose()`` when done. Only
        ``max_content_length``, when given, limits a streamed body.
        """
        _refuse_policy_kwargs(refused)
        if max_content_length is not None and max_content_length <= 0:
            raise ValueError("max_content_length must be greater than zero")
        seconds = effective_timeout(self.policy, timeout)
        try:
            check_target(self.policy, url)  # a URL without a scheme gets the hint
            client = self.client(tls)
            sent = client.build_request(
                method,
                url,
                headers=headers,
                content=content,
                data=data,
                json=json,
                params=params,
                timeout=httpx.Timeout(seconds),
            )
            return await self._send(
                client, sent, seconds, stream, max_content_length, allow_redirects, auth
            )
        except RequestError:
            raise
        except _TRANSPORT_ERRORS as err:
            raise request_error(err, url, seconds) from err

    async def _send(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        seconds: float,
        stream: bool,
        max_content_length: int | None,
        allow_redirects: bool,
        auth: Any,
    ) -> httpx.Response:
        deadline = time.monotonic() + seconds
        limit = max_content_length or self.policy.max_response_content_length
        explicit = max_content_length is not None
        history: list[httpx.Response] = []
        while True:
            # auth on the first hop only; a redirect keeps its header for the same host alone
            hop_auth = auth if not history else None
            response = await client.send(
                request, stream=True, follow_redirects=False, auth=hop_auth
            )
            following = response.next_request if allow_redirects else None
            if following is None:
                break
            await _read_body(response, limit, explicit, deadline, seconds)
            if len(history) >= _MAX_REDIRECTS:
                raise httpx.TooManyRedirects(
                    f"Exceeded {_MAX_REDIRECTS} redirects.", request=request
                )
            history.append(response)
            request = following
        response.history = history
        if not stream:
            await _read_body(response, limit, explicit, deadline, seconds)
        elif explicit:
            _check_declared(response, limit, explicit)
            _limit_stream(response, limit)
        return response

    def effective_timeout(self, timeout: float | None = None) -> float:
        """The seconds a request sent with ``timeout`` really waits (``max(responseTimeout,
        timeout)``)."""
        return effective_timeout(self.policy, timeout)

    async def aclose(self) -> None:
        """Close the running loop's clients (and their connections)."""
        with self._lock:
            clients = self._by_loop.pop(asyncio.get_running_loop(), {})
        for client in clients.values():
            await client.aclose()


def _check_declared(response: httpx.Response, limit: int, explicit: bool) -> None:
    method = response.request.method if response.request is not None else None
    if declared_length_over(method, response.status_code, response.headers, limit):
        raise too_large(origin_of(str(response.url)), limit, explicit)


async def _read_body(
    response: httpx.Response, limit: int, explicit: bool, deadline: float, seconds: float
) -> None:
    """Read the whole decoded body (never more than ``limit`` bytes, never past ``deadline``)
    into ``response.content``; the response is closed either way."""
    try:
        _check_declared(response, limit, explicit)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise too_large(origin_of(str(response.url)), limit, explicit)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(
                    timed_out(origin_of(str(response.url)), seconds), request=response.request
                )
    except (httpx.RemoteProtocolError, httpx.ReadError) as err:
        # the body was cut short: what requests (the other transport) reports for it
        raise requests.exceptions.ChunkedEncodingError(str(err)) from err
    finally:
        await response.aclose()
    # httpx keeps a read body here; what response.read() would have stored
    response._content = bytes(body)


def _limit_stream(response: httpx.Response, limit: int) -> None:
    """Make reading a streamed body past ``limit`` (decoded bytes) raise."""
    decoded = response.aiter_bytes
    origin = origin_of(str(response.url))

    async def limited(chunk_size: int | None = None) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in decoded(chunk_size):
            seen += len(chunk)
            if seen > limit:
                await response.aclose()
                raise too_large(origin, limit, True)
            yield chunk

    response.aiter_bytes = limited  # type: ignore[method-assign]
