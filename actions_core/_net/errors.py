"""The errors of outbound HTTP: one family that plugins catch as one class.

Everything ``ctx.http`` (:class:`~actions_core.HttpClient`) raises for a request that got no
usable response is a :class:`RequestError`, whatever failed underneath (requests, urllib3, the
socket, the policy). Each error carries what a connector needs to build Kibana's result:

* ``code``: the error code Kibana's (Node/axios) connectors report (``ECONNREFUSED``,
  ``ECONNABORTED`` for timeouts, OpenSSL's certificate codes, ``ERR_BAD_RESPONSE``), or ``""``;
* ``message``: the text Node reports with it (``connect ECONNREFUSED 127.0.0.1:9``);
* ``service_message``: ``[code] message`` (Kibana's webhook wording), or just the message;
* ``retry``: whether the same request may succeed later; ``error_source``: ``"framework"``
  when the network failed, ``"user"`` when the connector's configuration must change.

The tree::

    ActionsError
     └── RequestError                 code, message, retry, error_source, url
          ├── RequestTimeoutError     ECONNABORTED "timeout of <ms>ms exceeded"   retry, framework
          ├── RequestConnectionError  ECONNREFUSED, ENOTFOUND, ECONNRESET, ...   retry, framework
          ├── RequestTlsError         UNABLE_TO_GET_ISSUER_CERT_LOCALLY, ...    no retry, user
          ├── InvalidRequestError     bad scheme or URL, too many redirects      no retry, user
          ├── ResponseTooLargeError   ERR_BAD_RESPONSE (maxResponseContentLength) no retry, user
          └── HostNotAllowedError     allowedHosts (also a ForbiddenError, 403) no retry, user
               └── AddressNotAllowedError   the SSRF guard

The transport errors also remain instances of the ``requests`` exception they replace (a
``RequestTimeoutError`` raised for a read timeout is a ``requests.ReadTimeout`` too), so code
written against requests keeps working. :func:`request_error` turns any exception of a request
(for example one raised while a streamed body is read) into the family.
"""

from __future__ import annotations

import errno
import socket
import ssl
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from actions_core.errors import ActionsError, ForbiddenError

__all__ = [
    "CERTIFICATE_ERROR_CODES",
    "HOSTNAME_ERROR_CODE",
    "AddressNotAllowedError",
    "HostNotAllowedError",
    "InvalidRequestError",
    "RequestConnectionError",
    "RequestError",
    "RequestTimeoutError",
    "RequestTlsError",
    "ResponseTooLargeError",
    "describe_request_error",
    "error_causes",
    "is_timeout",
    "is_tls_error",
    "request_error",
    "retry_after",
]

ErrorSource = Literal["user", "framework"]


class RequestError(ActionsError):
    """An outbound request that failed before a usable response arrived (see the tree above)."""

    status_code = 502
    error = "Bad Gateway"
    #: Defaults of the class; an instance may say otherwise.
    retry: bool = False
    error_source: ErrorSource = "user"
    default_code: str = ""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry: bool | None = None,
        error_source: ErrorSource | None = None,
        url: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = self.default_code if code is None else code
        if retry is not None:
            self.retry = retry
        if error_source is not None:
            self.error_source = error_source
        self.url = url
        if detail and detail != message:
            # str() keeps what the library said (logs, and code matching requests' texts)
            self.args = (f"{self.service_message} ({detail})",)

    @property
    def service_message(self) -> str:
        """``[code] message`` as Kibana's webhook connector words it (the message alone when
        there is no code)."""
        return f"[{self.code}] {self.message}" if self.code else self.message


class RequestTimeoutError(RequestError):
    """No connection or no answer within the timeout (``max(responseTimeout, timeout)``)."""

    retry = True
    error_source = "framework"
    default_code = "ECONNABORTED"


class RequestConnectionError(RequestError):
    """The connection could not be made or broke (refused, unknown host, reset, proxy)."""

    retry = True
    error_source = "framework"


class RequestTlsError(RequestError):
    """A certificate or handshake failure: the connector's TLS settings must change."""


class InvalidRequestError(RequestError):
    """The request cannot be sent as given: unsupported scheme, malformed URL, redirect loop."""


class ResponseTooLargeError(RequestError):
    """A response body was larger than ``maxResponseContentLength`` (or the caller's limit)."""

    default_code = "ERR_BAD_RESPONSE"

    def __init__(self, message: str, *, limit: int, origin: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.origin = origin


class HostNotAllowedError(ForbiddenError, RequestError):
    """The target host is not in ``allowedHosts`` (also raised for a redirect hop)."""


class AddressNotAllowedError(HostNotAllowedError):
    """The SSRF guard: the target is (or resolves to) a non-public address and its host is not
    listed by name in ``allowedHosts``."""


def request_error(err: BaseException, url: str, timeout: float | None) -> RequestError:
    """``err`` (raised by a request to ``url`` sent with ``timeout`` seconds) as a member of
    the family; a :class:`RequestError` is returned as it is.

    The new error is also an instance of ``type(err)`` when that is a ``requests`` exception,
    and has ``err`` as its ``__cause__`` once raised ``from err``.
    """
    if isinstance(err, RequestError):
        return err
    code, message = describe_request_error(err, url, timeout)
    kind: type[RequestError]
    if is_tls_error(err):
        kind = RequestTlsError
    elif is_timeout(err):
        kind = RequestTimeoutError
    elif _is_invalid_request(err):
        kind = InvalidRequestError
    else:
        kind = RequestConnectionError
    new = _with_library_base(kind, err)(message, code=code, url=url, detail=str(err) or None)
    for name in ("request", "response"):  # what requests' exceptions carry
        try:
            value = getattr(err, name)
        except (AttributeError, RuntimeError):  # httpx: "the .request property has not been set"
            continue
        setattr(new, name, value)
    return new


def _is_invalid_request(err: BaseException) -> bool:
    import requests

    invalid: tuple[type[BaseException], ...] = (
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidHeader,
        requests.exceptions.TooManyRedirects,
    )
    httpx = _httpx()
    if httpx is not None:
        invalid += (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.TooManyRedirects)
    return isinstance(err, invalid)


def _httpx() -> Any:
    """httpx, when the asyncio transport has loaded it (an error cannot come from it otherwise)."""
    return sys.modules.get("httpx")


_combined: dict[tuple[type, type], type] = {}


def _with_library_base(kind: type[RequestError], err: BaseException) -> type[RequestError]:
    """``kind``, also deriving from ``type(err)`` when that is one of requests' exceptions, or
    from the requests exception that stands for an httpx one (so that both transports raise
    errors that the same ``except`` clauses catch)."""
    import requests

    base: type = type(err)
    if not issubclass(base, requests.RequestException):
        base = _requests_equivalent(kind, err)  # type: ignore[assignment]
        if base is None:
            return kind
    key = (kind, base)
    combined = _combined.get(key)
    if combined is None:
        combined = type(kind.__name__, (kind, base), {"__module__": kind.__module__})
        _combined[key] = combined
    return combined


def _requests_equivalent(kind: type[RequestError], err: BaseException) -> type | None:
    """The requests exception an httpx (asyncio transport) error corresponds to, if any."""
    import requests

    exceptions = requests.exceptions
    httpx = _httpx()
    if httpx is None or not isinstance(err, httpx.HTTPError | httpx.InvalidURL):
        # a socket or TLS error the transport let through unwrapped (a TLS 1.3 alert that
        # arrives with the first read, say): requests would have said SSLError/ConnectionError
        if isinstance(err, OSError):
            return exceptions.SSLError if kind is RequestTlsError else exceptions.ConnectionError
        return None
    if isinstance(err, httpx.ProxyError):
        return exceptions.ProxyError
    if kind is RequestTlsError:
        return exceptions.SSLError
    pairs: tuple[tuple[type, type], ...] = (
        (httpx.ConnectTimeout, exceptions.ConnectTimeout),
        (httpx.ReadTimeout, exceptions.ReadTimeout),
        (httpx.TimeoutException, exceptions.Timeout),
        (httpx.ProxyError, exceptions.ProxyError),
        (httpx.DecodingError, exceptions.ContentDecodingError),
        (httpx.TooManyRedirects, exceptions.TooManyRedirects),
        (httpx.UnsupportedProtocol, exceptions.InvalidSchema),
        (httpx.InvalidURL, exceptions.InvalidURL),
        (httpx.TransportError, exceptions.ConnectionError),
    )
    for httpx_error, equivalent in pairs:
        if isinstance(err, httpx_error):
            return equivalent
    return exceptions.RequestException


#: OpenSSL verify codes → the names Node reports for them.
CERTIFICATE_ERROR_CODES = {
    2: "UNABLE_TO_GET_ISSUER_CERT",
    9: "CERT_NOT_YET_VALID",
    10: "CERT_HAS_EXPIRED",
    18: "DEPTH_ZERO_SELF_SIGNED_CERT",
    19: "SELF_SIGNED_CERT_IN_CHAIN",
    20: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    21: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    24: "INVALID_CA",
    26: "INVALID_PURPOSE",
    27: "CERT_UNTRUSTED",
    28: "CERT_REJECTED",
}
HOSTNAME_ERROR_CODE = "ERR_TLS_CERT_ALTNAME_INVALID"
_HOSTNAME_MISMATCH = frozenset({62, 64})  # X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH


def error_causes(err: BaseException) -> Iterator[BaseException]:
    """``err`` and everything it wraps (args, urllib3's ``reason``, causes), depth first."""
    seen: set[int] = set()
    stack: list[Any] = [err]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(reversed([*item.args, getattr(item, "reason", None)]))
        stack.extend([item.__context__, item.__cause__])


def is_tls_error(err: BaseException) -> bool:
    """Certificate and handshake failures: they need a configuration change, not a retry."""
    import requests

    return isinstance(err, requests.exceptions.SSLError) or any(
        isinstance(cause, ssl.SSLError) for cause in error_causes(err)
    )


def is_timeout(err: BaseException) -> bool:
    """A connect or read timeout (a refused connection is not one, whatever urllib3 says)."""
    import requests
    import urllib3.exceptions

    httpx = _httpx()
    if httpx is not None and isinstance(err, httpx.TimeoutException):
        return True
    if isinstance(err, requests.ConnectionError) and not isinstance(err, requests.Timeout):
        return False  # requests tells a refused connection (a urllib3 "timeout") apart
    return isinstance(
        err,
        requests.Timeout | urllib3.exceptions.ReadTimeoutError | socket.timeout | TimeoutError,
    ) and not isinstance(err, urllib3.exceptions.NewConnectionError)


def describe_request_error(err: BaseException, url: str, timeout: float | None) -> tuple[str, str]:
    """The ``(code, message)`` Node/axios would report for a request to ``url`` that failed."""
    if is_timeout(err):
        millis = round(timeout * 1000) if timeout is not None else 0
        return "ECONNABORTED", f"timeout of {millis}ms exceeded"
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    for cause in error_causes(err):
        if isinstance(cause, ssl.SSLCertVerificationError):
            if cause.verify_code in _HOSTNAME_MISMATCH:
                return (
                    HOSTNAME_ERROR_CODE,
                    f"Hostname/IP does not match certificate's altnames: {cause.verify_message}",
                )
            code = CERTIFICATE_ERROR_CODES.get(cause.verify_code, "CERT_VERIFY_FAILED")
            return code, str(cause.verify_message)
        if isinstance(cause, ssl.SSLError):
            reason = getattr(cause, "reason", None) or "HANDSHAKE_FAILURE"
            return f"ERR_SSL_{reason}", cause.strerror or str(cause)
        if isinstance(cause, socket.gaierror):
            return "ENOTFOUND", f"getaddrinfo ENOTFOUND {host}"
        if isinstance(cause, ConnectionRefusedError):
            return "ECONNREFUSED", f"connect ECONNREFUSED {host}:{port}"
        if isinstance(cause, ConnectionResetError | BrokenPipeError):
            return "ECONNRESET", "socket hang up"
    for cause in error_causes(err):
        if type(cause).__name__ in ("RemoteDisconnected", "IncompleteRead", "RemoteProtocolError"):
            return "ECONNRESET", "socket hang up"
        if (
            isinstance(cause, OSError)
            and cause.errno is not None
            and cause.errno in errno.errorcode
        ):
            return errno.errorcode[cause.errno], cause.strerror or str(cause)
    return "", str(err) or "Unknown error"


def retry_after(headers: Mapping[str, str], now: float | None = None) -> datetime | None:
    """When to retry, from ``retry-after-ms`` (OpenAI) or ``Retry-After`` (seconds or a date).

    ``headers`` should be case-insensitive (as ``requests``' are).
    """
    now = time.time() if now is None else now
    base = datetime.fromtimestamp(now, UTC)
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            value = float(millis)
        except ValueError:
            value = -1
        if value >= 0:
            return base + timedelta(milliseconds=value)
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(when.astimezone(UTC), base)
    return base + timedelta(seconds=max(seconds, 0))
