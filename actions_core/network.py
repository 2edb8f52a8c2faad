"""The outbound network policy: which hosts connectors may reach, and how.

Validators see the policy at create/update time (so a disallowed URL is refused before it is
stored) and the HTTP factory applies it again on every request and redirect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ForbiddenError

__all__ = ["HostNotAllowedError", "NetworkPolicy"]


class HostNotAllowedError(ForbiddenError):
    """The target host is not in ``allowedHosts``."""


@dataclass(frozen=True)
class NetworkPolicy:
    allowed_hosts: tuple[str, ...] = ("*",)
    response_timeout: float = 60.0
    max_response_content_length: int = 1024 * 1024
    verification_mode: str = "full"
    proxy_url: str | None = None

    @classmethod
    def allow(cls, hosts: Iterable[str], **kwargs) -> NetworkPolicy:
        return cls(allowed_hosts=tuple(hosts), **kwargs)

    @property
    def allows_any_host(self) -> bool:
        return "*" in self.allowed_hosts

    def is_hostname_allowed(self, hostname: str | None) -> bool:
        if not hostname:
            return False
        return self.allows_any_host or hostname.lower() in {h.lower() for h in self.allowed_hosts}

    def is_uri_allowed(self, url: str) -> bool:
        return self.is_hostname_allowed(hostname_of(url))

    def ensure_uri_allowed(self, url: str) -> None:
        """Raise :class:`HostNotAllowedError` with Kibana's message shape if ``url`` is refused."""
        if not self.is_uri_allowed(url):
            raise HostNotAllowedError(
                f'target url "{url}" is not added to the configuration actions.allowedHosts'
            )

    def ensure_hostname_allowed(self, hostname: str) -> None:
        if not self.is_hostname_allowed(hostname):
            raise HostNotAllowedError(
                f'target hostname "{hostname}" is not added to the configuration '
                "actions.allowedHosts"
            )


def hostname_of(url: str) -> str | None:
    """The hostname of ``url``; ``//host/path`` counts as having a host, as in Kibana."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None
