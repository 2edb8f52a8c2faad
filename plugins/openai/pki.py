"""PKI secrets: base64 PEM checks, PEM re-wrapping and the TLS options of a connector (§2, §6).

Certificates and keys arrive as base64 of a PEM file. They are decoded as leniently as Node's
``Buffer.from(s, "base64")``, checked for their PEM header, re-wrapped at 64 characters and
handed to the core's outbound HTTP factory as :class:`actions_core.TlsOptions`. Their content
never appears in a message, a log line or a result.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import actions_core

from .constants import OTHER
from .jsjson import truthy

__all__ = [
    "PkiError",
    "check_pki_secrets",
    "decode_base64",
    "reformat_pem",
    "remap_tls_error",
    "tls_options",
]

CERT_HEADER = "-----BEGIN CERTIFICATE-----"
KEY_HEADERS = ("-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----")
PKI_KEYS = ("certificateData", "privateKeyData", "caData")

INVALID_CERT = (
    "Invalid Certificate data file format: The file must be a PEM-encoded certificate "
    'beginning with "-----BEGIN CERTIFICATE-----".'
)
INVALID_KEY = (
    "Invalid Private key data file format: The file must be a PEM-encoded private key "
    'beginning with "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----".'
)
INVALID_CA = (
    "Invalid CA certificate data file format: The file must be a PEM-encoded certificate "
    'beginning with "-----BEGIN CERTIFICATE-----".'
)
PKI_REQUIRES_BOTH = "PKI configuration requires certificate and private key"
CERT_REQUIRED = "Certificate data must be provided for PKI"
KEY_REQUIRED = "Private key data must be provided for PKI"

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64 = {c: i for i, c in enumerate(_ALPHABET)} | {"-": 62, "_": 63}
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")

# OpenSSL chain-verification failures, by the names Node gives them (error.code).
CERTIFICATE_ERROR_CODES = actions_core.CERTIFICATE_ERROR_CODES
HOSTNAME_ERROR_CODE = actions_core.HOSTNAME_ERROR_CODE
_HANDSHAKE_MARKERS = (HOSTNAME_ERROR_CODE, "ERR_TLS_HANDSHAKE", "ERR_SSL_")

_log = logging.getLogger("actions_core.types.gen-ai")


class PkiError(actions_core.ExecutionError):
    """The connector's PKI secrets cannot be used; never retried, the user's to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry=False, error_source="user")


def decode_base64(text: str) -> bytes:
    """``Buffer.from(text, "base64")``: skips characters outside the alphabet (whitespace
    included), accepts ``-``/``_``, stops at the first ``=`` and tolerates missing padding."""
    out = bytearray()
    acc = bits = 0
    for char in text:
        if char == "=":
            break
        value = _BASE64.get(char)
        if value is None:
            continue
        acc = ((acc << 6) | value) & 0xFFFFFF
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def decode_pem(data: str) -> str:
    return decode_base64(data).decode("utf-8", errors="replace")


def _is_cert(data: str) -> bool:
    return CERT_HEADER in decode_pem(data)


def _is_key(data: str) -> bool:
    text = decode_pem(data)
    return any(header in text for header in KEY_HEADERS)


def check_pki_secrets(secrets: Mapping[str, Any]) -> None:
    """Kibana's PKI secrets validator; raises ``ValueError`` with its exact message."""
    if not any(key in secrets for key in PKI_KEYS):
        raise ValueError(PKI_REQUIRES_BOTH)
    cert, key, ca = (secrets.get(k) for k in PKI_KEYS)
    if not truthy(cert):
        raise ValueError(CERT_REQUIRED)
    if not truthy(key):
        raise ValueError(KEY_REQUIRED)
    if not _is_cert(cert):
        raise ValueError(INVALID_CERT)
    if not _is_key(key):
        raise ValueError(INVALID_KEY)
    if truthy(ca) and not _is_cert(ca):
        raise ValueError(INVALID_CA)


def reformat_pem(text: str) -> str:
    """Re-wrap every PEM block's base64 body at 64 characters (pasted PEMs often lose their
    line breaks). Blocks with headers (``Proc-Type: ...``) and text without blocks are kept."""
    blocks = list(_PEM_BLOCK.finditer(text))
    if not blocks or any(":" in block.group(2) for block in blocks):
        return text
    wrapped = []
    for block in blocks:
        label, body = block.group(1), _WHITESPACE.sub("", block.group(2))
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        wrapped.append("\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]))
    return "\n".join(wrapped) + "\n"


def tls_options(provider: str, config: Mapping[str, Any], secrets: Mapping[str, Any]) -> Any:
    """The per-connector TLS options, or ``None`` when the platform's TLS settings apply.

    Only ``Other`` connectors carry TLS settings. They apply when a PKI secret is present or
    ``verificationMode`` is set (without a mode, the platform's ``ssl.verificationMode``).
    A client certificate needs its
    key (and the reverse); a CA alone replaces the trusted roots.
    """
    if provider != OTHER:
        return None
    cert, key, ca = (secrets.get(k) for k in PKI_KEYS)
    mode = config.get("verificationMode")
    if not (truthy(cert) or truthy(key) or truthy(ca) or mode):
        return None
    try:
        if truthy(cert) or truthy(key):
            check_pki_secrets(secrets)
        elif truthy(ca) and not _is_cert(ca):
            raise ValueError(INVALID_CA)
    except ValueError as err:
        _log.error("Error validating PKI certificates: %s", err)
        raise PkiError(f"Invalid or inaccessible PKI certificates: {err}") from None
    return actions_core.TlsOptions(
        verification_mode=mode or None,
        ca_data=reformat_pem(decode_pem(ca)) if truthy(ca) else None,
        cert_data=reformat_pem(decode_pem(cert)) if truthy(cert) else None,
        key_data=reformat_pem(decode_pem(key)) if truthy(key) else None,
    )


def remap_tls_error(message: str) -> str | None:
    """Kibana's PKI error handler: a clearer message for certificate and handshake failures."""
    if any(code in message for code in CERTIFICATE_ERROR_CODES.values()):
        return (
            f"Certificate error: {message}. Please check if your PKI certificates are valid "
            "or adjust SSL verification mode."
        )
    if any(marker in message for marker in _HANDSHAKE_MARKERS):
        return (
            f"TLS handshake failed: {message}. Verify server certificate hostname and CA "
            "configuration."
        )
    return None
