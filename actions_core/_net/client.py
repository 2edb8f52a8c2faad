"""The one factory for outbound HTTP: every connector's requests go through it.

``HttpClient.request(method, url, tls=..., timeout=..., stream=..., max_content_length=...)``
applies the network policy (see docs/network.md):

* ``allowedHosts`` before every request and before following each redirect hop (a hop to a
  host that is not allowed is refused, not followed);
* the SSRF guard on the address each connection really uses (:mod:`.ssrf`);
* the proxy (bypass/only lists, proxy headers, TLS to the proxy);
* TLS per host and per connector (:mod:`.tls`), contexts built once per distinct setting;
* ``responseTimeout`` for connect and read, ``maxResponseContentLength`` while the body is read.

Sessions (and their connection pools, adapters and TLS contexts) are cached per distinct
``(policy, TlsOptions)`` and shared by threads. They keep no state between requests: cookies are
never stored, proxies and TLS come from the policy only (not from the environment).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.exceptions import (
    ChunkedEncodingError,
    ContentDecodingError,
    ReadTimeout,
    TooManyRedirects,
)
from requests.exceptions import SSLError as RequestsSSLError
from requests.hooks import dispatch_hook
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import PoolManager, ProxyManager, connectionpool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

from actions_core._net.errors import RequestError, ResponseTooLargeError, request_error
from actions_core._net.policy import NetworkPolicy
from actions_core._net.ssrf import AddressGuard
from actions_core._net.tls import TlsOptions

__all__ = [
    "HttpClient",
    "PolicySession",
    "ResponseTooLargeError",
    "check_target",
    "declared_length_over",
    "effective_timeout",
    "origin_of",
    "timed_out",
    "too_large",
]

_CHUNK = 64 * 1024
_MAX_SESSIONS = 128
_POLICY_KWARGS = ("verify", "cert", "proxies")
_MAX_URLS = 1024


# --- connections that go through the SSRF guard ---


class _GuardedConnectionMixin:
    """Opens its socket through the policy's :class:`AddressGuard` (resolve → check → connect)."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    _dns_host: str

    def __init__(self, *args: Any, address_guard: AddressGuard | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._address_guard = address_guard

    def _new_conn(self) -> socket.socket:
        guard = self._address_guard
        if guard is None:
            return super()._new_conn()  # type: ignore[misc,no-any-return]  # a mixin
        try:
            sock = guard.connect(
                self._dns_host, self.port, self.timeout, self.source_address, self.socket_options
            )
        except socket.gaierror as err:
            raise NameResolutionError(self.host, self, err) from err  # type: ignore[arg-type]
        except TimeoutError as err:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from err
        except OSError as err:
            raise NewConnectionError(
                self,  # type: ignore[arg-type]
                f"Failed to establish a new connection: {err}",
            ) from err
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


# urllib3's names, so that error messages read as usual ("HTTPSConnectionPool(host=...)").
class HTTPConnectionPool(connectionpool.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedPoolManager(PoolManager):
    def __init__(self, *args: Any, address_guard: AddressGuard | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool_classes_by_scheme = {
            "http": HTTPConnectionPool,
            "https": HTTPSConnectionPool,
        }
        self._address_guard = address_guard

    def _new_pool(
        self, scheme: str, host: str, port: int, request_context: dict[str, Any] | None = None
    ) -> connectionpool.HTTPConnectionPool:
        context = dict(self.connection_pool_kw if request_context is None else request_context)
        context["address_guard"] = self._address_guard
        return super()._new_pool(scheme, host, port, context)


# --- the adapter: TLS per host, proxy, guard ---


class PolicyAdapter(HTTPAdapter):
    """A requests adapter whose TLS, proxy and connections follow one policy (+ TLS options)."""

    def __init__(self, policy: NetworkPolicy, tls: TlsOptions | None = None) -> None:
        self.policy = policy
        self.tls = tls
        self._proxy_lock = threading.Lock()
        super().__init__(pool_connections=10, pool_maxsize=20)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _GuardedPoolManager(
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            address_guard=self.policy.address_guard,
            **pool_kwargs,
        )

    # plain dicts (host and port may be None), which is what urllib3's connection_from_host takes
    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        url = request.url or ""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host_params = {"scheme": scheme, "host": parts.hostname, "port": parts.port}
        pool_kwargs: dict[str, Any] = {}
        if scheme == "https":
            settings = self.policy.tls_for(url, self.tls)
            pool_kwargs["ssl_context"] = settings.context()
            if settings.verification_mode == "certificate":
                pool_kwargs["assert_hostname"] = False
        return host_params, pool_kwargs

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        """requests' ``build_response``, minus the cookie parsing when no cookie was sent.

        ``extract_cookies_to_jar`` wraps request and response in mock objects and runs
        ``http.cookiejar`` over the headers on every response; without a ``Set-Cookie`` header
        it can add nothing, so the jar is left empty without it.
        """
        headers = getattr(resp, "headers", None)
        if headers is None or "set-cookie" in headers or "set-cookie2" in headers:
            return super().build_response(req, resp)
        response = requests.Response()
        response.status_code = getattr(resp, "status", None)  # type: ignore[assignment]
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        url = req.url
        response.url = url.decode("utf-8") if isinstance(url, bytes) else url  # type: ignore[assignment]
        response.request = req
        response.connection = self
        return response

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """TLS comes from the SSL context chosen above; requests' own CA handling is off."""

    def proxy_headers(self, proxy: str) -> dict[str, str]:
        headers = super().proxy_headers(proxy)  # Proxy-Authorization from the proxy URL
        headers.update(self.policy.proxy_headers)
        return headers

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> ProxyManager:
        manager: ProxyManager | None = self.proxy_manager.get(proxy)
        if manager is not None:
            return manager
        with self._proxy_lock:
            manager = self.proxy_manager.get(proxy)
            if manager is not None:
                return manager
            tls = self.policy.proxy_tls()
            if proxy.lower().startswith("https:"):
                proxy_kwargs["proxy_ssl_context"] = tls.context()
                if tls.verification_mode == "certificate":
                    proxy_kwargs["proxy_assert_hostname"] = False
            manager = ProxyManager(
                proxy,
                proxy_headers=self.proxy_headers(proxy),
                num_pools=self._pool_connections,
                maxsize=self._pool_maxsize,
                block=self._pool_block,
                **proxy_kwargs,
            )
            self.proxy_manager[proxy] = manager
            return manager


# --- sessions ---


class _NoCookies:
    """A cookie policy that stores nothing: pooled sessions are shared by all connectors."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = False

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return True

    def domain_return_ok(self, domain: str, request: Any) -> bool:
        return True

    def path_return_ok(self, path: str, request: Any) -> bool:
        return True


class PolicySession(requests.Session):
    """A ``requests.Session`` that enforces a :class:`NetworkPolicy` (and ``TlsOptions``).

    ``request()`` takes the usual requests arguments plus ``max_content_length``; ``verify``,
    ``cert`` and ``proxies`` are refused because the policy decides them.
    """

    def __init__(self, policy: NetworkPolicy, tls: TlsOptions | None = None) -> None:
        super().__init__()
        self.policy = policy
        self.tls = tls
        self.trust_env = False  # proxies and CAs come from the policy, not from the environment
        self.cookies.set_policy(_NoCookies())  # type: ignore[arg-type]
        #: Prepared (normalised, IDNA-encoded) form of each URL requested, see _prepare_fast.
        self._urls: dict[str, str] = {}
        adapter = PolicyAdapter(policy, tls)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        hooks: Any = None,
        stream: bool | None = None,
        json: Any = None,
        *,
        max_content_length: int | None = None,
        **refused: Any,
    ) -> requests.Response:
        _refuse_policy_kwargs(refused)
        try:
            return self._request(
                method, url, params, data, headers, cookies, files, auth, timeout,
                allow_redirects, hooks, stream, json, max_content_length,
            )  # fmt: skip
        except _TRANSPORT_ERRORS as err:
            raise self._request_error(err, url, timeout) from err

    def _request(
        self,
        method: str,
        url: str,
        params: Any,
        data: Any,
        headers: Any,
        cookies: Any,
        files: Any,
        auth: Any,
        timeout: Any,
        allow_redirects: bool,
        hooks: Any,
        stream: bool | None,
        json: Any,
        max_content_length: int | None,
    ) -> requests.Response:
        self._check_target(url)  # before preparing: a URL without a scheme gets the hint
        prepared = None
        if (
            type(data) is bytes
            and data
            and not (params or files or json or auth or cookies or hooks)
            and (headers is None or type(headers) is dict)
        ):
            prepared = self._prepare_fast(method, url, headers, data)
        if prepared is None:
            request = requests.Request(
                method=method.upper(),
                url=url,
                headers=headers,
                files=files,
                data=data or {},
                json=json,
                params=params or {},
                auth=auth,
                cookies=cookies,
                hooks=hooks,
            )
            prepared = self.prepare_request(request)
        return self._send(
            prepared,
            timeout=timeout,
            allow_redirects=allow_redirects,
            stream=bool(stream),
            max_content_length=max_content_length,
        )

    def _request_error(self, err: BaseException, url: str, timeout: Any) -> RequestError:
        """``err`` as a member of the request error family, timed as the request was."""
        effective = self._timeout(timeout)
        if isinstance(effective, tuple):
            connect = isinstance(err, requests.exceptions.ConnectTimeout)
            effective = effective[0] if connect else effective[1]
        return request_error(err, url, effective)

    def _prepare_fast(
        self, method: str, url: str, headers: dict[str, Any] | None, data: bytes
    ) -> requests.PreparedRequest | None:
        """``prepare_request`` for the common call (a bytes body, plain headers), or ``None``.

        Produces the same ``PreparedRequest`` as requests would, without its per-call costs
        that cannot matter here: merging empty session params/auth/cookies through generic
        helpers and re-parsing the same URL every time (cached per URL string). Anything
        unusual (session auth, stored cookies, credentials in the URL) takes the normal path.
        """
        if self.auth is not None or self.params or len(self.cookies) or "@" in url:
            return None
        prepared_url = self._urls.get(url)
        if prepared_url is None:
            probe = requests.PreparedRequest()
            probe.prepare_url(url, None)
            prepared_url = cast(str, probe.url)  # prepare_url always sets it
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            self._urls[url] = prepared_url
        prepared = requests.PreparedRequest()
        prepared.method = method.upper()
        prepared.url = prepared_url
        merged = CaseInsensitiveDict(self.headers)
        if headers:
            merged.update(headers)
        for name in [k for k, v in merged.items() if v is None]:
            del merged[name]
        prepared.prepare_headers(merged)
        prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]
        prepared.body = data
        prepared.headers["Content-Length"] = str(len(data))
        prepared.prepare_hooks(self.hooks)
        return prepared

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        *,
        stream: bool = False,
        timeout: Any = None,
        allow_redirects: bool = True,
        max_content_length: int | None = None,
        **refused: Any,
    ) -> requests.Response:
        """Send ``request``, following redirects hop by hop under the policy.

        Transport failures raise the :class:`~actions_core.RequestError` family.
        """
        _refuse_policy_kwargs(refused)
        try:
            return self._send(
                request,
                stream=stream,
                timeout=timeout,
                allow_redirects=allow_redirects,
                max_content_length=max_content_length,
            )
        except _TRANSPORT_ERRORS as err:
            raise self._request_error(err, request.url or "", timeout) from err

    def _send(
        self,
        request: requests.PreparedRequest,
        *,
        stream: bool,
        timeout: Any,
        allow_redirects: bool,
        max_content_length: int | None,
    ) -> requests.Response:
        if max_content_length is not None and max_content_length <= 0:
            raise ValueError("max_content_length must be greater than zero")
        timeout = self._timeout(timeout)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        deadline = time.monotonic() + read_timeout
        limit = max_content_length or self.policy.max_response_content_length
        explicit_limit = max_content_length is not None
        history: list[requests.Response] = []
        while True:
            self._check_target(request.url or "")  # the first request and every redirect hop
            response = self._send_one(request, timeout)
            if allow_redirects and response.is_redirect:
                _read_body(response, limit, explicit_limit, deadline, read_timeout)
                if len(history) >= self.max_redirects:
                    raise TooManyRedirects(
                        f"Exceeded {self.max_redirects} redirects.", response=response
                    )
                # requests builds the next request (method, auth and body rules); proxies={}
                # keeps it from adding proxy credentials: the adapter sends those to the proxy.
                hops = self.resolve_redirects(response, request, yield_requests=True, proxies={})
                next_request = next(hops)
                hops.close()
                history.append(response)
                request = next_request
                continue
            response.history = history
            if not stream:
                _read_body(response, limit, explicit_limit, deadline, read_timeout)
            elif explicit_limit:
                _check_declared_length(response, limit, explicit_limit)
                response.raw = _LimitedRaw(response, limit)
            return response

    def _send_one(self, request: requests.PreparedRequest, timeout: Any) -> requests.Response:
        """One hop: no redirects followed, body unread."""
        url = request.url or ""
        proxy = self.policy.proxy_for(url)
        if proxy is not None and self.policy.address_guard is not None:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            self.policy.address_guard.check_resolved(parts.hostname or "", port)
        proxies = {"http": proxy, "https": proxy} if proxy else {}
        adapter = self.get_adapter(url)
        started = time.perf_counter()
        response = adapter.send(
            request, stream=True, timeout=timeout, verify=True, cert=None, proxies=proxies
        )
        response.elapsed = timedelta(seconds=time.perf_counter() - started)
        # types-requests leaves dispatch_hook unannotated; it returns the (hooked) response
        return dispatch_hook(  # type: ignore[no-untyped-call,no-any-return]
            "response", request.hooks, response, stream=True, timeout=timeout
        )

    def _timeout(self, timeout: Any) -> float | tuple[float, float]:
        """Kibana's ``max(responseTimeout, timeout ?? 0)``, for connect and for read."""
        if isinstance(timeout, tuple):
            connect, read = timeout
            return (
                effective_timeout(self.policy, connect),
                effective_timeout(self.policy, read),
            )
        return effective_timeout(self.policy, timeout)

    def _check_target(self, url: str) -> None:
        check_target(self.policy, url)


def check_target(policy: NetworkPolicy, url: str) -> None:
    """The check every hop of every request passes, whatever the transport: an http(s) URL
    whose host ``allowedHosts`` allows (and, with ``ssrfProtection``, not a non-public
    literal)."""
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme and scheme not in ("http", "https"):
        raise requests.exceptions.InvalidSchema(
            f"unsupported URL scheme {scheme!r} in {url!r}: connectors use http or https"
        )
    policy.ensure_uri_allowed(url)


def effective_timeout(policy: NetworkPolicy, timeout: float | None) -> float:
    """Seconds a request really waits: Kibana's ``max(responseTimeout, timeout ?? 0)``."""
    return max(policy.response_timeout, timeout or 0)


#: What a request can fail with underneath; the session raises them as the RequestError family.
_TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


def _refuse_policy_kwargs(kwargs: Mapping[str, Any]) -> None:
    for name in kwargs:
        if name in _POLICY_KWARGS:
            raise TypeError(
                f"{name}= is not accepted: the network policy decides TLS and proxies "
                "(pass tls=TlsOptions(...) for per-connector TLS)"
            )
        raise TypeError(f"unexpected keyword argument {name!r}")


# --- reading bodies under the size limit ---


def _origin(response: requests.Response) -> str:
    return origin_of(response.url or "")


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url`` (credentials left out), as size errors name it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _too_large(response: requests.Response, limit: int, explicit: bool) -> ResponseTooLargeError:
    return too_large(_origin(response), limit, explicit)


def too_large(origin: str, limit: int, explicit: bool) -> ResponseTooLargeError:
    """The error of a body past ``limit`` (``explicit``: the connector's own limit)."""
    where = "the limit the connector set" if explicit else "actions.maxResponseContentLength"
    return ResponseTooLargeError(
        f"maxContentLength size of {limit} exceeded: the response from {origin} is larger than "
        f"{limit} bytes ({where})",
        limit=limit,
        origin=origin,
    )


def declared_length_over(
    method: str | None, status: int, headers: Mapping[str, str], limit: int
) -> bool:
    """Whether an unencoded body announces (``Content-Length``) more than ``limit`` bytes."""
    if method == "HEAD" or status in (204, 304) or status < 200:
        return False  # no body follows
    if headers.get("Content-Encoding", "identity").lower() != "identity":
        return False
    try:
        declared = int(headers.get("Content-Length", ""))
    except ValueError:
        return False
    return declared > limit


def _check_declared_length(response: requests.Response, limit: int, explicit: bool) -> None:
    """Refuse early when an unencoded body announces that it is too large."""
    method = response.request.method if response.request is not None else None
    if declared_length_over(method, response.status_code, response.headers, limit):
        response.close()
        raise _too_large(response, limit, explicit)


def timed_out(origin: str, timeout: float) -> str:
    """What a response read in full says when it did not complete in time."""
    return (
        f"the response from {origin} did not complete within {timeout:g}s (actions.responseTimeout)"
    )


def _read_body(
    response: requests.Response,
    limit: int,
    explicit: bool,
    deadline: float,
    timeout: float,
) -> None:
    """Read the whole (decoded) body into ``response.content``, never holding more than
    ``limit`` bytes, and give up once ``deadline`` has passed."""
    _check_declared_length(response, limit, explicit)
    raw = response.raw
    body = bytearray()
    try:
        while True:
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                break
            body += chunk
            if len(body) > limit:
                raise _too_large(response, limit, explicit)
            if time.monotonic() > deadline:
                raise ReadTimeout(timed_out(_origin(response), timeout))
    except BaseException as err:
        response.close()
        _translate(err)
        raise
    response._content = bytes(body)
    response._content_consumed = True  # type: ignore[attr-defined]


def _translate(err: BaseException) -> None:
    """urllib3's errors while reading a body, as requests' (what plugins catch)."""
    if isinstance(err, ReadTimeoutError):
        raise ReadTimeout(err) from err
    if isinstance(err, ProtocolError):
        raise ChunkedEncodingError(err) from err
    if isinstance(err, DecodeError):
        raise ContentDecodingError(err) from err
    if isinstance(err, Urllib3SSLError):
        raise RequestsSSLError(err) from err


class _LimitedRaw:
    """Wraps a streamed response's ``raw`` so that reading past the limit raises."""

    def __init__(self, response: requests.Response, limit: int) -> None:
        self._response = response
        self._raw = response.raw
        self._limit = limit
        self._seen = 0

    def _count(self, data: bytes) -> bytes:
        self._seen += len(data)
        if self._seen > self._limit:
            self._raw.close()
            raise _too_large(self._response, self._limit, True)
        return data

    def stream(
        self, amt: int | None = _CHUNK, decode_content: bool | None = None
    ) -> Iterator[bytes]:
        for chunk in self._raw.stream(amt, decode_content=decode_content):
            yield self._count(chunk)

    def read(self, amt: int | None = None, *args: Any, **kwargs: Any) -> bytes:
        return self._count(self._raw.read(amt, *args, **kwargs))

    def read1(self, amt: int | None = None, *args: Any, **kwargs: Any) -> bytes:
        return self._count(self._raw.read1(amt, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


# --- the factory ---


class HttpClient:
    """Hands out policy-aware sessions; one pooled session per distinct (policy, TLS options)."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self._sessions: OrderedDict[tuple[NetworkPolicy, TlsOptions | None], PolicySession] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def session(
        self, policy: NetworkPolicy | None = None, tls: TlsOptions | None = None
    ) -> PolicySession:
        """The shared session for ``policy`` (default: the client's) and ``tls``.

        At most 128 sessions are kept; the least recently used is dropped (not closed: a thread
        may still be using it; its pools close when it is garbage).
        """
        key = (policy or self.policy, tls or None)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = PolicySession(*key)
                while len(self._sessions) > _MAX_SESSIONS:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(key)
        return session

    def request(
        self,
        method: str,
        url: str,
        *,
        tls: TlsOptions | None = None,
        timeout: float | None = None,
        stream: bool = False,
        max_content_length: int | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request under the policy.

        * ``timeout``: connect and read timeout is ``max(responseTimeout, timeout or 0)``; a
          response read in full must also complete within it.
        * ``stream=False``: the body is read now, at most ``max_content_length`` (default
          ``maxResponseContentLength``) bytes, else :class:`ResponseTooLargeError`.
        * ``stream=True``: the response comes back unread (``iter_content``, ``iter_lines``,
          ``raw``) and the caller closes it. No size limit applies unless
          ``max_content_length`` is given: LLM streams legitimately run past 1 MB, and
          Kibana's ``maxContentLength`` does not apply to stream responses either.

        Every failure without a usable response raises the
        :class:`~actions_core.RequestError` family (one ``except`` catches them all; each error
        has Kibana's ``code``, ``message``, ``retry`` and ``error_source``):
        :class:`~actions_core.RequestTimeoutError`, :class:`~actions_core.RequestConnectionError`,
        :class:`~actions_core.RequestTlsError`, :class:`~actions_core.InvalidRequestError`,
        :class:`~actions_core.ResponseTooLargeError` and
        :class:`~actions_core.HostNotAllowedError` (``allowedHosts`` and the SSRF guard).
        """
        return self.session(tls=tls).request(
            method,
            url,
            timeout=timeout,
            stream=stream,
            max_content_length=max_content_length,
            **kwargs,
        )

    def effective_timeout(self, timeout: float | None = None) -> float:
        """The seconds a request sent with ``timeout`` really waits (never below
        ``responseTimeout``); what timeout messages report."""
        return effective_timeout(self.policy, timeout)

    def forget_sessions(self) -> None:
        """Drop the pooled sessions without closing their connections: for a forked process,
        whose inherited sockets belong to its parent."""
        self._lock = threading.Lock()
        self._sessions = OrderedDict()

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()
