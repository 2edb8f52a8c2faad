"""The outbound proxy: which requests use it, and what a usable proxy URL is.

Kibana's rules: ``proxyUrl`` enables the proxy for every target, ``proxyBypassHosts`` lists exact
hostnames that go direct, ``proxyOnlyHosts`` lists the only hostnames that use the proxy (when
both lists are set, the only-list is ignored with a warning). An invalid ``proxyUrl`` is reported
at start-up and requests connect directly. ``https`` targets go through an HTTP ``CONNECT``
tunnel, ``http`` targets are forwarded by the proxy; ``proxyHeaders`` are sent to the proxy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["invalid_proxy_warning", "proxy_url_problem", "redact_url", "uses_proxy"]

_SCHEMES = ("http", "https")


def proxy_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be used as a proxy, or ``None`` when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as err:
        return str(err)
    if parts.scheme.lower() not in _SCHEMES:
        return "the scheme must be http or https"
    if not parts.hostname:
        return "it has no host"
    return None


def invalid_proxy_warning(url: str) -> str:
    """Kibana's start-up warning, with any password in the URL masked."""
    return f"The configuration actions.proxyUrl: {redact_url(url)} is invalid."


def uses_proxy(
    hostname: str | None,
    bypass_hosts: frozenset[str] | None,
    only_hosts: frozenset[str] | None,
) -> bool:
    """Whether a request to ``hostname`` goes through the proxy (exact, case-insensitive)."""
    host = (hostname or "").lower()
    if bypass_hosts is not None:
        return host not in bypass_hosts
    if only_hosts is not None:
        return host in only_hosts
    return True


def redact_url(url: str) -> str:
    """``http://user:secret@proxy:3128`` → ``http://user:***@proxy:3128``.

    Meant for URLs that may be invalid (that is when they are shown): everything between the
    user name and the *last* ``@`` is masked, so a password holding an unescaped ``/``, ``@`` or
    ``:`` (or a URL without ``//``) does not show either.
    """
    start = url.find("//") + 2 if "//" in url else 0
    end = url.rfind("@", start)
    colon = url.find(":", start, end)
    if end < 0 or colon < 0:
        return url
    return f"{url[: colon + 1]}***{url[end:]}"
