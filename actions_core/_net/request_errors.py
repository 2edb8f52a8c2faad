"""Describing failed outbound requests the way Kibana's connectors report them.

Kibana runs on Node, so its connectors' messages carry Node's error codes (``ECONNREFUSED``,
``ECONNABORTED`` for axios timeouts, OpenSSL's certificate codes). Clients match on those texts;
these helpers give every plugin the same codes and the same ``Retry-After`` reading.
"""

from __future__ import annotations

import errno
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

__all__ = [
    "CERTIFICATE_ERROR_CODES",
    "HOSTNAME_ERROR_CODE",
    "describe_request_error",
    "error_causes",
    "is_timeout",
    "is_tls_error",
    "retry_after",
]

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
    return isinstance(err, requests.exceptions.SSLError) or any(
        isinstance(cause, ssl.SSLError) for cause in error_causes(err)
    )


def is_timeout(err: BaseException) -> bool:
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
        if type(cause).__name__ in ("RemoteDisconnected", "IncompleteRead"):
            return "ECONNRESET", "socket hang up"
        if isinstance(cause, OSError) and cause.errno in errno.errorcode:
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
