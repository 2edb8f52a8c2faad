"""URLs: Kibana's ``assertURL`` checks, request URL normalisation and the chat endpoint (§3-§5)."""

from __future__ import annotations

import re

from .constants import AZURE

__all__ = [
    "UrlError",
    "assert_url",
    "chat_completions_url",
    "normalize_url",
    "remove_endpoint",
]

_SCHEME = re.compile(r"^[\x00-\x20]*([A-Za-z][A-Za-z0-9+.\-]*):(.*?)[\x00-\x20]*$", re.DOTALL)
# WHATWG "special" schemes: their URLs always have an authority; "file" may have an empty host.
_SPECIAL = frozenset({"http", "https", "ws", "wss", "ftp"})
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_DOUBLE_SLASH = re.compile(r"([^:]/)/+")
_ENDPOINT = re.compile(r"/chat/completions/?$")


class UrlError(ValueError):
    """``apiUrl`` is not a usable URL; the message is Kibana's (``Invalid URL: ...`` etc.)."""


def _hostname(url: str) -> tuple[str, str]:
    """The scheme and hostname of ``url`` as a WHATWG URL parser sees them.

    Raises :class:`UrlError` (``Invalid URL: <url>``) where the parser would fail.
    """
    match = _SCHEME.match(url)
    if not match:
        raise UrlError(f"Invalid URL: {url}")
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme in _SPECIAL or scheme == "file":
        rest = rest.lstrip("/\\") if scheme != "file" else rest
        if scheme == "file":
            if not rest.startswith(("//", "\\\\")):
                return scheme, ""
            rest = rest[2:]
        authority = re.split(r"[/\\?#]", rest, maxsplit=1)[0]
    elif rest.startswith("//"):
        authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    else:
        return scheme, ""  # e.g. mailto:x@y: parses, but has no host
    host_port = authority.rpartition("@")[2]
    if host_port.startswith("["):
        host, sep, port = host_port.partition("]")
        if not sep or (port and not port.startswith(":")):
            raise UrlError(f"Invalid URL: {url}")
        host, port = host + "]", port[1:]
        if not re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", host):
            raise UrlError(f"Invalid URL: {url}")
    else:
        host, _, port = host_port.partition(":")
        if _FORBIDDEN_HOST.search(host):
            raise UrlError(f"Invalid URL: {url}")
    if port and (not port.isdigit() or int(port) > 65535):
        raise UrlError(f"Invalid URL: {url}")
    if not host and scheme in _SPECIAL:
        raise UrlError(f"Invalid URL: {url}")
    return scheme, host


def assert_url(url: str) -> None:
    """Kibana's ``assertURL``: a parsable http(s) URL with a hostname.

    Messages (without the ``URL Error: `` prefix the caller adds): ``Invalid URL: <url>``,
    ``URL must contain hostname``, ``Invalid protocol``.
    """
    scheme, host = _hostname(url)
    if not host:
        raise UrlError("URL must contain hostname")
    if scheme not in ("http", "https"):
        raise UrlError("Invalid protocol")


def normalize_url(url: str) -> str:
    """The framework's normalisation: drop one trailing ``/``, collapse ``//`` not after ``:``."""
    if url.endswith("/"):
        url = url[:-1]
    return _DOUBLE_SLASH.sub(r"\1", url)


def remove_endpoint(url: str) -> str:
    """``removeEndpointFromUrl``: strip a trailing ``/chat/completions`` (or with ``/``)."""
    return _ENDPOINT.sub("", url)


def chat_completions_url(api_url: str, provider: str) -> str:
    """The URL the OpenAI SDK path (``invokeAsyncIterator``) posts to (spec §5).

    OpenAI and Other: the base URL (``apiUrl`` without its ``/chat/completions``) plus
    ``/chat/completions``, the query string kept. Azure: ``apiUrl`` itself, which is what the
    SDK ends up with for the documented ``...?api-version=`` URLs.
    """
    if provider == AZURE:
        return normalize_url(api_url)
    base, sep, query = api_url.partition("?")
    base = remove_endpoint(base).rstrip("/")
    return normalize_url(base + "/chat/completions") + (sep + query if sep else "")
