"""``customHostSettings``: TLS settings per ``https://host:port``, resolved once at start-up.

Kibana's rules and warnings (``lib/custom_host_settings.ts``): each entry's URL is reduced to its
canonical ``<scheme>//<host>:<port>`` (default ports 443 and 25); only ``https:`` and ``smtp:``
are kept; credentials, a path or a fragment in the URL are ignored with a warning; the CA files
are read and appended to ``certificateAuthoritiesData``; a later entry with the same canonical URL
is dropped. Every problem is a warning, never a start-up failure. At request time the target URL
is canonicalised the same way and matched exactly (its path is irrelevant).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CustomHost", "canonical_url", "resolve_custom_hosts"]

PREFIX = "In configuration actions.customHostSettings,"
_DEFAULT_PORTS = {"http": 80, "https": 443, "smtp": 25}
_PROTOCOLS = ("https", "smtp")
_IGNORED = "contains {} information which will be ignored"


@dataclass(frozen=True)
class CustomHost:
    """One resolved entry: canonical URL, verification mode and CA PEM data (files read)."""

    url: str
    verification_mode: str | None = None
    ca_data: str | None = None
    smtp: tuple[tuple[str, bool], ...] = ()

    def __repr__(self) -> str:
        ca = "<set>" if self.ca_data else None
        return (
            f"CustomHost(url={self.url!r}, verification_mode={self.verification_mode!r}, "
            f"ca_data={ca})"
        )


def canonical_url(url: str) -> str | None:
    """``https://Host/path`` → ``https://host:443``; ``None`` if ``url`` has no usable host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not scheme or not host:
        return None
    port = port or _DEFAULT_PORTS.get(scheme)
    if not port:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def resolve_custom_hosts(
    entries: Iterable[Mapping[str, Any]], warnings: list[str]
) -> list[CustomHost]:
    """Canonicalise and check ``entries`` (plain mappings of the settings' shape).

    Problems are appended to ``warnings``; bad entries are dropped, as Kibana does.
    """
    resolved: list[CustomHost] = []
    seen: set[str] = set()
    for entry in entries:
        host = _resolve_entry(entry, warnings)
        if host is None:
            continue
        if host.url in seen:
            warnings.append(
                f'{PREFIX} multiple URLs match the canonical url "{host.url}"; only the first '
                "will be used"
            )
            continue
        seen.add(host.url)
        resolved.append(host)
    return resolved


def _resolve_entry(entry: Mapping[str, Any], warnings: list[str]) -> CustomHost | None:
    original = str(entry.get("url", ""))
    try:
        parts = urlsplit(original)
        port = parts.port
    except ValueError as err:
        warnings.append(f'{PREFIX} invalid URL "{original}", ignoring; error: {err}')
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        warnings.append(f'{PREFIX} invalid URL "{original}", ignoring; error: no host')
        return None
    if scheme not in _PROTOCOLS:
        warnings.append(f'{PREFIX} unsupported protocol used in URL "{original}", ignoring')
        return None
    if port == 0:
        warnings.append(f'{PREFIX} unable to determine port for URL "{original}", ignoring')
        return None
    url = canonical_url(original)
    if url is None:  # pragma: no cover - every failure above was reported
        return None
    if parts.username or parts.password:
        warnings.append(
            f'{PREFIX} URL "{original}" contains authentication information which will be '
            "ignored, but should be removed from the configuration"
        )
    if parts.fragment:
        warnings.append(f'{PREFIX} URL "{original}" {_IGNORED.format("hash")}')
    if parts.path and parts.path != "/":
        warnings.append(f'{PREFIX} URL "{original}" {_IGNORED.format("path")}')

    smtp = dict(entry.get("smtp") or {})
    if smtp and scheme != "smtp":
        warnings.append(
            f'{PREFIX} URL "{original}" contains smtp properties but does not use smtp; '
            "ignoring smtp properties"
        )
        smtp = {}
    if smtp.get("requireTLS") and smtp.get("ignoreTLS"):
        warnings.append(
            f'{PREFIX} URL "{original}" cannot have both requireTLS and ignoreTLS set to true; '
            "using requireTLS: true and ignoreTLS: false"
        )
        smtp["ignoreTLS"] = False

    ssl_settings = dict(entry.get("ssl") or {})
    ca_parts = (
        [ssl_settings["certificateAuthoritiesData"]]
        if ssl_settings.get("certificateAuthoritiesData")
        else []
    )
    files = ssl_settings.get("certificateAuthoritiesFiles") or []
    for name in [files] if isinstance(files, str) else files:
        try:
            ca_parts.append(Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeError) as err:
            warnings.append(
                f'error reading file "{name}" specified in actions.customHostSettings, '
                f"ignoring: {err.strerror if isinstance(err, OSError) else err}"
            )
    ca_data = "\n".join(ca_parts) or None
    if ca_data is not None and not _loads_as_ca(ca_data):
        warnings.append(
            f'{PREFIX} URL "{original}": the certificate authorities hold no valid PEM '
            "certificate, ignoring them"
        )
        ca_data = None
    return CustomHost(
        url=url,
        verification_mode=ssl_settings.get("verificationMode"),
        ca_data=ca_data,
        smtp=tuple(sorted((k, bool(v)) for k, v in smtp.items())),
    )


def _loads_as_ca(data: str) -> bool:
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=data)
    except (ssl.SSLError, ValueError):
        return False
    return True
