"""PKI secrets: base64 PEM checks, PEM re-wrapping and the TLS options of a connector (§2, §6).

Certificates and keys arrive as base64 of a PEM file. They are decoded as leniently as Node's
``Buffer.from(s, "base64")``, checked for their PEM header, re-wrapped at 64 characters and
handed to the core's outbound HTTP factory as :class:`actions_core.TlsOptions`. Their content
never appears in a message, a log line or a result.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping
from typing import Any

import actions_core
from actions_core import js_truthy

from .constants import OTHER

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

_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/_-]")
_URL_SAFE = str.maketrans("-_", "+/")
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
    data = _NOT_BASE64.sub("", text.partition("=")[0]).translate(_URL_SAFE)
    if len(data) % 4 == 1:
        data = data[:-1]  # six bits make no byte
    return base64.b64decode(data + "=" * (-len(data) % 4))


def decode_pem(data: str) -> str:
    return decode_base64(data).decode("utf-8", errors="replace")


def _pem_texts(secrets: Mapping[str, Any]) -> dict[str, str]:
    """The decoded PEM text of each PKI secret that is set."""
    return {key: decode_pem(secrets[key]) for key in PKI_KEYS if js_truthy(secrets.get(key))}


def check_pki_secrets(secrets: Mapping[str, Any], texts: dict[str, str] | None = None) -> None:
    """Kibana's PKI secrets validator; raises ``ValueError`` with its exact message.

    ``texts`` are the secrets' decoded PEMs when the caller has them already."""
    if not any(key in secrets for key in PKI_KEYS):
        raise ValueError(PKI_REQUIRES_BOTH)
    if not js_truthy(secrets.get("certificateData")):
        raise ValueError(CERT_REQUIRED)
    if not js_truthy(secrets.get("privateKeyData")):
        raise ValueError(KEY_REQUIRED)
    texts = _pem_texts(secrets) if texts is None else texts
    if CERT_HEADER not in texts["certificateData"]:
        raise ValueError(INVALID_CERT)
    if not any(header in texts["privateKeyData"] for header in KEY_HEADERS):
        raise ValueError(INVALID_KEY)
    if "caData" in texts and CERT_HEADER not in texts["caData"]:
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
    texts = _pem_texts(secrets)  # each PEM decoded once, for the checks and the options
    mode = config.get("verificationMode")
    if not (texts or mode):
        return None
    try:
        if "certificateData" in texts or "privateKeyData" in texts:
            check_pki_secrets(secrets, texts)
        elif "caData" in texts and CERT_HEADER not in texts["caData"]:
            raise ValueError(INVALID_CA)
    except ValueError as err:
        _log.error("Error validating PKI certificates: %s", err)
        raise PkiError(f"Invalid or inaccessible PKI certificates: {err}") from None
    ca, cert, key = (texts.get(k) for k in ("caData", "certificateData", "privateKeyData"))
    return actions_core.TlsOptions(
        verification_mode=mode or None,
        ca_data=reformat_pem(ca) if ca is not None else None,
        cert_data=reformat_pem(cert) if cert is not None else None,
        key_data=reformat_pem(key) if key is not None else None,
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
