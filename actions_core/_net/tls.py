"""TLS for outbound requests: verification modes, per-connector overrides, cached contexts.

Which settings apply to a connection, most specific first:

1. the connector's own :class:`TlsOptions` (e.g. a webhook's CA and client certificate),
2. the ``customHostSettings`` entry for the target's ``https://host:port``,
3. the global ``ssl.verificationMode`` and the default trusted roots (certifi, as requests).

A CA given at one level *replaces* the trusted roots for that connection (as Node's ``ca``
option does in Kibana). An ``ssl.SSLContext`` is built once per distinct combination and then
shared by every connection that uses it.
"""

from __future__ import annotations

import functools
import os
import ssl
import tempfile
from dataclasses import dataclass

# certifi's where(), which requests re-exports; its stubs declare no public names in certs
from requests.certs import where as default_ca_bundle  # type: ignore[attr-defined]
from urllib3.util.ssl_ import create_urllib3_context

from actions_core.errors import ValidationError

__all__ = ["VERIFICATION_MODES", "TlsOptions", "TlsSettings", "ssl_context"]

VERIFICATION_MODES = ("full", "certificate", "none")


@dataclass(frozen=True)
class TlsOptions:
    """Per-connector TLS overrides (hashable: the HTTP factory caches contexts on it).

    ``verification_mode`` is ``"full"``, ``"certificate"`` (chain only, no hostname check) or
    ``"none"``; ``None`` keeps the policy's (or the matching ``customHostSettings`` entry's)
    mode. ``ca_data`` is PEM text that *replaces* the trusted roots for the connection;
    ``cert_data``/``key_data`` are a PEM client certificate and its private key (mTLS; the key
    unencrypted, PKCS#8 or RSA).
    """

    verification_mode: str | None = None
    ca_data: str | None = None
    cert_data: str | None = None
    key_data: str | None = None

    def __post_init__(self) -> None:
        check_verification_mode(self.verification_mode, "TlsOptions.verification_mode")
        if bool(self.cert_data) != bool(self.key_data):
            raise ValueError(
                "TlsOptions.cert_data and TlsOptions.key_data must be given together "
                "(a client certificate needs its private key)"
            )

    def __repr__(self) -> str:  # the key is a secret: never shown
        return (
            f"TlsOptions(verification_mode={self.verification_mode!r}, "
            f"ca_data={_shown(self.ca_data)}, cert_data={_shown(self.cert_data)}, "
            f"key_data={'<hidden>' if self.key_data else None})"
        )


@dataclass(frozen=True)
class TlsSettings:
    """What one connection uses, after the three levels are merged (see the module doc)."""

    verification_mode: str = "full"
    ca_data: str | None = None
    cert_data: str | None = None
    key_data: str | None = None
    #: Where the CA came from, to name it in errors.
    ca_source: str = "ca_data"

    @classmethod
    def merge(
        cls,
        global_mode: str,
        custom_mode: str | None = None,
        custom_ca: str | None = None,
        custom_url: str | None = None,
        options: TlsOptions | None = None,
    ) -> TlsSettings:
        options = options or TlsOptions()
        ca: str | None
        if options.ca_data:
            ca, source = options.ca_data, "TlsOptions.ca_data"
        else:
            ca = custom_ca
            source = f"customHostSettings[{custom_url}].ssl.certificateAuthoritiesData"
        return cls(
            verification_mode=options.verification_mode or custom_mode or global_mode,
            ca_data=ca or None,
            cert_data=options.cert_data,
            key_data=options.key_data,
            ca_source=source,
        )

    def __repr__(self) -> str:
        return (
            f"TlsSettings(verification_mode={self.verification_mode!r}, "
            f"ca_data={_shown(self.ca_data)}, cert_data={_shown(self.cert_data)}, "
            f"key_data={'<hidden>' if self.key_data else None})"
        )

    def context(self) -> ssl.SSLContext:
        return ssl_context(self)


def check_verification_mode(mode: str | None, field: str) -> None:
    if mode is not None and mode not in VERIFICATION_MODES:
        raise ValueError(f"{field} must be one of full, certificate or none, not {mode!r}")


@functools.lru_cache(maxsize=256)
def ssl_context(settings: TlsSettings) -> ssl.SSLContext:
    """The (shared, cached) client context for ``settings``; raises ValidationError naming the
    setting when a CA, certificate or key cannot be loaded."""
    mode = settings.verification_mode
    check_verification_mode(mode, "ssl.verificationMode")
    context = create_urllib3_context(
        cert_reqs=ssl.CERT_NONE if mode == "none" else ssl.CERT_REQUIRED
    )
    if mode == "certificate":
        context.check_hostname = False  # the chain is still verified
    if settings.ca_data:
        try:
            context.load_verify_locations(cadata=settings.ca_data)
        except (ssl.SSLError, ValueError) as err:
            raise ValidationError(
                f"{settings.ca_source} holds no valid PEM certificate: {_reason(err)}",
                [(settings.ca_source, "invalid PEM certificate")],
            ) from None
    elif mode != "none":
        context.load_verify_locations(cafile=default_ca_bundle())
    if settings.cert_data and settings.key_data:
        _load_client_certificate(context, settings.cert_data, settings.key_data)
    return context


def _load_client_certificate(context: ssl.SSLContext, cert: str, key: str) -> None:
    """``load_cert_chain`` reads files only: write both to a private temporary directory that is
    removed at once."""
    with tempfile.TemporaryDirectory(prefix="actions-tls-") as directory:
        cert_file = os.path.join(directory, "cert.pem")
        key_file = os.path.join(directory, "key.pem")
        for path, text in ((cert_file, cert), (key_file, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        try:
            context.load_cert_chain(cert_file, key_file, password=_no_password)
        except (ssl.SSLError, ValueError, OSError) as err:
            raise ValidationError(
                "TlsOptions.cert_data/key_data: the client certificate or its private key "
                f"cannot be loaded ({_reason(err)}); give a PEM certificate and the matching "
                "unencrypted PEM key",
                [("TlsOptions.cert_data", "invalid client certificate or key")],
            ) from None


def _no_password() -> bytes:
    """An encrypted key fails cleanly instead of prompting on the terminal."""
    raise ValueError("the private key is encrypted")


def _reason(err: BaseException) -> str:
    reason = getattr(err, "reason", None)
    return str(reason or err or type(err).__name__)


def _shown(value: str | None) -> str | None:
    return "<set>" if value else None
