"""The outbound network policy: which hosts connectors may reach, and how.

Validators see the policy at create/update time (so a disallowed URL is refused before it is
stored) and the HTTP factory applies it again on every request and redirect. The policy is a
frozen, hashable value: the factory pools one session per distinct policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from actions_core._net.custom_hosts import CustomHost, canonical_url
from actions_core._net.errors import HostNotAllowedError
from actions_core._net.proxy import proxy_url_problem, redact_url, uses_proxy
from actions_core._net.ssrf import AddressGuard, normalize_host
from actions_core._net.tls import TlsOptions, TlsSettings, check_verification_mode

if TYPE_CHECKING:
    from actions_core.settings import ActionsSettings

__all__ = ["HostNotAllowedError", "NetworkPolicy", "hostname_of"]


@dataclass(frozen=True)
class NetworkPolicy:
    """Every outbound network setting, resolved (see docs/network.md for each one).

    Lists may be given as any iterable and ``proxy_headers`` as a mapping; they are stored as
    tuples/frozensets so the policy stays hashable.
    """

    allowed_hosts: tuple[str, ...] = ("*",)
    response_timeout: float = 60.0
    max_response_content_length: int = 1024 * 1024
    verification_mode: str = "full"
    proxy_url: str | None = None
    proxy_headers: tuple[tuple[str, str], ...] = ()
    proxy_bypass_hosts: frozenset[str] | None = None
    proxy_only_hosts: frozenset[str] | None = None
    proxy_verification_mode: str = "full"
    custom_hosts: tuple[CustomHost, ...] = ()
    ssrf_protection: bool = True
    _allowed: frozenset[str] = field(
        default=frozenset(), init=False, repr=False, compare=False, hash=False
    )
    _custom_by_url: dict[str, CustomHost] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _guard: AddressGuard | None = field(
        default=None, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        check_verification_mode(self.verification_mode, "ssl.verificationMode")
        check_verification_mode(self.proxy_verification_mode, "ssl.proxyVerificationMode")
        if self.response_timeout <= 0:
            raise ValueError("responseTimeout must be greater than zero")
        if self.max_response_content_length <= 0:
            raise ValueError("maxResponseContentLength must be greater than zero")
        set_ = object.__setattr__
        set_(self, "allowed_hosts", tuple(self.allowed_hosts))
        set_(self, "_allowed", frozenset(normalize_host(h) for h in self.allowed_hosts))
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = self.proxy_headers
        if isinstance(headers, Mapping):
            headers = headers.items()
        set_(self, "proxy_headers", tuple((str(k), str(v)) for k, v in headers or ()))
        for name in ("proxy_bypass_hosts", "proxy_only_hosts"):
            hosts = getattr(self, name)
            if hosts is not None:
                set_(self, name, frozenset(normalize_host(h) for h in hosts))
        if self.proxy_bypass_hosts is not None and self.proxy_only_hosts is not None:
            set_(self, "proxy_only_hosts", None)  # Kibana: the bypass list wins
        set_(self, "custom_hosts", tuple(self.custom_hosts))
        set_(self, "_custom_by_url", {host.url: host for host in reversed(self.custom_hosts)})
        if self.ssrf_protection:
            explicit = [h for h in self.allowed_hosts if h != "*"]
            set_(self, "_guard", AddressGuard(explicit))

    def __repr__(self) -> str:
        """The proxy's password and the proxy header values (``Proxy-Authorization``) are
        secrets: never shown."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.repr}
        if self.proxy_url is not None:
            shown["proxy_url"] = redact_url(self.proxy_url)
        shown["proxy_headers"] = tuple((name, "<hidden>") for name, _ in self.proxy_headers)
        return f"NetworkPolicy({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @classmethod
    def allow(cls, hosts: Iterable[str], **kwargs: Any) -> NetworkPolicy:
        return cls(allowed_hosts=tuple(hosts), **kwargs)

    @classmethod
    def from_settings(cls, options: ActionsSettings) -> NetworkPolicy:
        """The policy of already loaded (and checked) settings.

        ``load_settings`` has resolved ``customHostSettings`` and warned about an invalid
        ``proxyUrl``; such a proxy URL is dropped here, so requests connect directly.
        """
        proxy_url = options.proxyUrl
        if proxy_url is not None and proxy_url_problem(proxy_url) is not None:
            proxy_url = None
        custom = tuple(
            CustomHost(
                url=entry.url,
                verification_mode=entry.ssl.verificationMode if entry.ssl else None,
                ca_data=entry.ssl.certificateAuthoritiesData if entry.ssl else None,
            )
            for entry in options.customHostSettings or ()
        )
        return cls(
            allowed_hosts=tuple(options.allowedHosts),
            response_timeout=options.responseTimeout,
            max_response_content_length=options.maxResponseContentLength,
            verification_mode=options.ssl.verificationMode,
            proxy_url=proxy_url,
            proxy_headers=tuple((options.proxyHeaders or {}).items()),
            proxy_bypass_hosts=_frozen_or_none(options.proxyBypassHosts),
            proxy_only_hosts=_frozen_or_none(options.proxyOnlyHosts),
            proxy_verification_mode=options.ssl.proxyVerificationMode,
            custom_hosts=custom,
            ssrf_protection=options.ssrfProtection,
        )

    # --- allowed hosts ---

    @property
    def allows_any_host(self) -> bool:
        return "*" in self.allowed_hosts

    def is_hostname_allowed(self, hostname: str | None) -> bool:
        if not hostname:
            return False
        if self.allows_any_host:
            return True
        return normalize_host(hostname) in self._allowed

    def is_uri_allowed(self, url: str) -> bool:
        return self.is_hostname_allowed(hostname_of(url))

    def ensure_uri_allowed(self, url: str) -> None:
        """Raise :class:`HostNotAllowedError` with Kibana's message shape if ``url`` is refused.

        With ``ssrfProtection`` on, a host that is a non-public IP literal or ``localhost`` and
        is not listed by name is refused too (``AddressNotAllowedError``), with no lookup.
        """
        if not self.is_uri_allowed(url):
            hint = ""
            if hostname_of(url) is None and "://" not in url and not url.startswith("//"):
                hint = f" (the URL has no scheme: did you mean https://{url}?)"
            raise HostNotAllowedError(
                f'target url "{url}" is not added to the configuration actions.allowedHosts' + hint
            )
        if self._guard is not None:
            self._guard.check_literal(hostname_of(url) or "")

    def ensure_hostname_allowed(self, hostname: str) -> None:
        if not self.is_hostname_allowed(hostname):
            raise HostNotAllowedError(
                f'target hostname "{hostname}" is not added to the configuration '
                "actions.allowedHosts"
            )

    @property
    def address_guard(self) -> AddressGuard | None:
        """The SSRF guard, or ``None`` when ``ssrfProtection`` is off."""
        return self._guard

    # --- proxy ---

    def proxy_for(self, url: str) -> str | None:
        """The proxy URL a request to ``url`` goes through, or ``None`` to connect directly."""
        if self.proxy_url is None:
            return None
        host = normalize_host(hostname_of(url) or "")
        if not uses_proxy(host, self.proxy_bypass_hosts, self.proxy_only_hosts):
            return None
        return self.proxy_url

    # --- TLS ---

    def custom_host_for(self, url: str) -> CustomHost | None:
        canonical = canonical_url(url)
        return self._custom_by_url.get(canonical) if canonical else None

    def tls_for(self, url: str, options: TlsOptions | None = None) -> TlsSettings:
        """The TLS settings a connection to ``url`` uses (connector > custom host > global)."""
        custom = self.custom_host_for(url)
        return TlsSettings.merge(
            self.verification_mode,
            custom.verification_mode if custom else None,
            custom.ca_data if custom else None,
            custom.url if custom else None,
            options,
        )

    def proxy_tls(self) -> TlsSettings:
        """TLS to an ``https://`` proxy: ``ssl.proxyVerificationMode``, and the proxy's own
        ``customHostSettings`` entry (CA, mode) when there is one."""
        assert self.proxy_url is not None
        custom = self.custom_host_for(self.proxy_url)
        return TlsSettings.merge(
            self.proxy_verification_mode,
            custom.verification_mode if custom else None,
            custom.ca_data if custom else None,
            custom.url if custom else None,
        )


def _frozen_or_none(hosts: Iterable[str] | None) -> frozenset[str] | None:
    """The settings' host list as the policy's field type (``__post_init__`` normalizes it)."""
    return None if hosts is None else frozenset(hosts)


def hostname_of(url: str) -> str | None:
    """The hostname of ``url``; ``//host/path`` counts as having a host, as in Kibana."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None
