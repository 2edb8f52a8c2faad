"""Error texts and retry flags of failed upstream calls (spec §4, §10).

HTTP failures read ``Status code: <status>. Message: <text>`` where the text is Kibana's
``getResponseErrorMessage``; network failures carry the code Node would report (``ECONNREFUSED``,
``ECONNABORTED`` for timeouts, OpenSSL's names for certificate errors) so messages and the PKI
error remapping match Kibana's.
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

from .jsjson import js_number, js_text, truthy
from .pki import CERTIFICATE_ERROR_CODES, HOSTNAME_ERROR_CODE

__all__ = [
    "AZURE_FUNCTIONS_HINT",
    "error_detail",
    "exception_code",
    "is_tls_error",
    "response_error_message",
    "retry_after",
    "status_error_source",
    "status_retry",
]

FUNCTIONS_UNSUPPORTED = "404 Unrecognized request argument supplied: functions"
AZURE_FUNCTIONS_HINT = (
    "\n        \n\nFunction support with Azure OpenAI API was added in 2023-07-01-preview. "
    "Update the API version of the Azure OpenAI connector in use\n      "
)
_HOSTNAME_MISMATCH = frozenset({62, 64})  # X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH


def error_detail(data: Any) -> str | None:
    """``data.error.message ?? data.error`` as text, or ``None`` when it is falsy."""
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    detail = error.get("message") if isinstance(error, dict) else None
    if detail is None:
        detail = error
    return js_text(detail) if truthy(detail) else None


def response_error_message(status: int, status_text: str, data: Any) -> str:
    """Kibana's ``getResponseErrorMessage`` for an HTTP error response."""
    detail = error_detail(data)
    if status == 404 and detail == FUNCTIONS_UNSUPPORTED.removeprefix("404 "):
        return f"API Error: {FUNCTIONS_UNSUPPORTED}{AZURE_FUNCTIONS_HINT}"
    suffix = f" - {detail}" if detail else ""
    if status == 401:
        return f"Unauthorized API Error{suffix}"
    return f"API Error: {status_text}{suffix}"


def status_retry(status: int, headers: Mapping[str, str]) -> bool | datetime:
    """429 and 5xx are worth retrying (at ``Retry-After`` when given); other 4xx are not."""
    if status == 429 or status >= 500:
        return retry_after(headers) or True
    return False


def status_error_source(status: int) -> str:
    """Whose fault: 4xx (429 included, as in Kibana) are the user's, 5xx the service's."""
    return "user" if 400 <= status < 500 else "framework"


def retry_after(headers: Mapping[str, str], now: float | None = None) -> datetime | None:
    """When to retry, from ``retry-after-ms`` (OpenAI) or ``Retry-After`` (seconds or a date)."""
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
    raw = headers.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
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


# --- network failures ------------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (args, urllib3's ``reason``, causes), depth first."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(reversed([*item.args, getattr(item, "reason", None)]))
        stack.extend([item.__context__, item.__cause__])


def is_tls_error(exc: BaseException) -> bool:
    return any(isinstance(e, ssl.SSLError) for e in _causes(exc))


def is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.Timeout):
        return False  # requests tells a refused connection (a urllib3 "timeout") apart
    return isinstance(
        exc,
        requests.Timeout | urllib3.exceptions.ReadTimeoutError | socket.timeout | TimeoutError,
    ) and not isinstance(exc, urllib3.exceptions.NewConnectionError)


def exception_code(exc: BaseException, url: str, timeout: float | None) -> tuple[str, str]:
    """The ``(code, message)`` Node/axios would report for a failed request to ``url``."""
    if is_timeout(exc):
        millis = js_number(round(timeout * 1000)) if timeout is not None else "0"
        return "ECONNABORTED", f"timeout of {millis}ms exceeded"
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    for cause in _causes(exc):
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
    for cause in _causes(exc):
        if type(cause).__name__ in ("RemoteDisconnected", "IncompleteRead"):
            return "ECONNRESET", "socket hang up"
        if isinstance(cause, OSError) and cause.errno in errno.errorcode:
            return errno.errorcode[cause.errno], cause.strerror or str(cause)
    return "", str(exc) or "Unknown error"
