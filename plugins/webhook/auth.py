"""``.webhook`` authentication: basic credentials and TLS (CA, client certificate) options.

Kibana stores ``ca``, ``crt`` and ``key`` base64-encoded; PEM text is accepted as well. An
encrypted key is decrypted here with ``secrets.password`` (the passphrase, as in Kibana) because
the core's TLS options take an unencrypted key. No message ever contains a secret's value.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Any

import actions_core

BASIC = "webhook-authentication-basic"
SSL = "webhook-authentication-ssl"


class AuthError(ValueError):
    """The connector's authentication settings are incomplete or unreadable."""


def is_basic(config: dict[str, Any]) -> bool:
    """Kibana: ``hasAuth`` with authType basic, or with no authType (connectors from before
    authType existed)."""
    return bool(config.get("hasAuth", True)) and config.get("authType") in (BASIC, None)


def basic_auth(config: dict[str, Any], secrets: dict[str, Any]) -> tuple[str, str] | None:
    """``(user, password)`` for basic authentication, or ``None`` when none applies."""
    if not is_basic(config):
        return None
    user, password = secrets.get("user"), secrets.get("password")
    if user and password:
        return user, password
    if config.get("authType") == BASIC or user or password:
        raise AuthError(
            "authType webhook-authentication-basic needs both secrets.user and secrets.password"
        )
    return None  # legacy hasAuth without credentials: Kibana sends no Authorization


def ca_pem(config: dict[str, Any]) -> str | None:
    """``config.ca`` as PEM text, or ``None`` when not set."""
    return _pem(config["ca"], "config.ca", "CERTIFICATE") if config.get("ca") else None


def tls_options(config: dict[str, Any], secrets: dict[str, Any]) -> actions_core.TlsOptions | None:
    """The per-connector TLS options (verification mode, CA, client certificate), if any."""
    ca = ca_pem(config)
    cert = key = None
    if config.get("hasAuth", True) and config.get("authType") == SSL:
        if not secrets.get("crt") or not secrets.get("key"):
            raise AuthError(
                "authType webhook-authentication-ssl needs secrets.crt and secrets.key "
                "(a PEM client certificate and its private key)"
            )
        cert = _pem(secrets["crt"], "secrets.crt", "CERTIFICATE")
        key = _unencrypted_key(
            _pem(secrets["key"], "secrets.key", "PRIVATE KEY"), secrets.get("password")
        )
    mode = config.get("verificationMode")
    if not (ca or cert or mode):
        return None
    return actions_core.TlsOptions(verification_mode=mode, ca_data=ca, cert_data=cert, key_data=key)


def _pem(value: str, field: str, kind: str) -> str:
    """PEM text as given, or decoded from base64 (Kibana's form)."""
    text = value.strip()
    if not text.startswith("-----BEGIN"):
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8").strip()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            text = ""
    if not text.startswith("-----BEGIN") or kind not in text.split("\n", 1)[0]:
        raise AuthError(f"{field} must be a PEM {kind.lower()} or its base64 encoding")
    return text + "\n"


@functools.lru_cache(maxsize=64)
def _unencrypted_key(pem: str, password: str | None) -> str:
    """The key as unencrypted PKCS#8 PEM. Cached: loading an RSA key validates it (~100 ms),
    which would otherwise be paid on every execution. (The TLS context cache holds the same
    key already, so the cache keeps no secret that is not held anyway.)"""
    from cryptography.hazmat.primitives import serialization  # deferred: ~20 ms at start-up

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:  # encrypted
        if not password:
            raise AuthError(
                "secrets.key is encrypted: give its passphrase as secrets.password"
            ) from None
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=password.encode())
        except (TypeError, ValueError):
            raise AuthError("secrets.key cannot be decrypted with secrets.password") from None
    except ValueError:
        raise AuthError("secrets.key is not a readable PEM private key") from None
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
