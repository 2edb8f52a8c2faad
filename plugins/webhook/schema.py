"""``.webhook``: config, secrets and params schemas (Kibana's fields) and their validators."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import actions_core

from .auth import BASIC, SSL, AuthError, basic_auth, ca_pem, tls_options

METHODS = ("post", "put", "patch", "get", "delete")
CRT_KEY = "ssl-crt-key"
PFX = "ssl-pfx"

_NULLABLE_STRING = {"type": ["string", "null"]}

_VERIFICATION = [
    {"const": "full", "title": "Full (certificate and host name)"},
    {"const": "certificate", "title": "Certificate only"},
    {"const": "none", "title": "None"},
]
_PEM = {"contentMediaType": "application/x-pem-file"}

#: ``title``/``oneOf``/``if``-``then``/``writeOnly`` are form annotations (docs/plugins.md): the
#: ``allOf`` adds no rule, it only says which fields apply when.
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {
            "type": "string",
            "minLength": 1,
            "title": "URL",
            "format": "uri",
            "description": "The request URL.",
        },
        "method": {
            "enum": list(METHODS),
            "oneOf": [{"const": m, "title": m.upper()} for m in METHODS],
            "default": "post",
            "title": "Method",
        },
        "headers": {
            "type": ["object", "null"],
            "additionalProperties": {"type": "string"},
            "title": "Headers",
            "description": "Headers sent with every request.",
        },
        "hasAuth": {"type": "boolean", "default": True, "title": "Require authentication"},
        "authType": {
            "enum": [BASIC, SSL, None],
            "oneOf": [
                {"const": BASIC, "title": "Basic"},
                {"const": SSL, "title": "SSL"},
                {"const": None, "title": "None"},
            ],
            "title": "Authentication",
            "description": "basic (secrets user, password), ssl (client certificate) or none",
        },
        "certType": {
            "enum": [CRT_KEY, PFX],
            "oneOf": [
                {"const": CRT_KEY, "title": "CRT and KEY file"},
                {"const": PFX, "title": "PFX file"},
            ],
            "title": "Certificate type",
        },
        "ca": {
            "type": "string",
            "minLength": 1,
            "title": "CA file",
            **_PEM,
            "description": "CA certificate(s) to trust, PEM or base64-encoded PEM; replaces "
            "the default trusted roots for this connector.",
        },
        "verificationMode": {
            "enum": ["full", "certificate", "none"],
            "oneOf": _VERIFICATION,
            "title": "Verification mode",
            "description": "TLS verification for this connector; unset: the global "
            "ssl.verificationMode (or the customHostSettings entry).",
        },
    },
    "required": ["url"],
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"hasAuth": {"const": True}}},
            "then": {"properties": {"authType": {}}},
        },
        {
            "if": {"properties": {"authType": {"const": SSL}}},
            "then": {"properties": {"certType": {}, "ca": {}, "verificationMode": {}}},
        },
    ],
}

SECRETS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "user": {**_NULLABLE_STRING, "title": "Username"},
        "password": {
            **_NULLABLE_STRING,
            "title": "Password",
            "writeOnly": True,
            "format": "password",
        },
        "crt": {
            **_NULLABLE_STRING,
            **_PEM,
            "title": "CRT file",
            "description": "client certificate, PEM or base64 PEM",
        },
        "key": {
            **_NULLABLE_STRING,
            **_PEM,
            "title": "KEY file",
            "writeOnly": True,
            "description": "its private key, PEM or base64 PEM",
        },
        "pfx": {**_NULLABLE_STRING, "title": "PFX file", "writeOnly": True},
    },
    "additionalProperties": False,
}

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "body": {
            "type": "string",
            "title": "Body",
            "contentMediaType": "text/plain",
            "description": "The request body (a mustache template rendered with JSON escaping).",
        }
    },
    "additionalProperties": False,
}

_PREFIX = "error validation webhook action config"
#: RFC 9110 token characters: what a header name may be made of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Control characters (CR, LF, NUL, ...) that would end or split a request line or header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _field_problem(path: str, message: str) -> actions_core.ValidationError:
    return actions_core.ValidationError(f"{_PREFIX}: [{path}]: {message}", [(path, message)])


def _check_no_injection(config: dict[str, Any]) -> None:
    """CR/LF (any control character) in the URL or a header would inject headers or requests;
    urlsplit silently strips them, so they are refused here, at create, with the field path."""
    if _CONTROL.search(config["url"]):
        raise _field_problem("url", "must not contain control characters (CR, LF, ...)")
    for name, value in (config.get("headers") or {}).items():
        if not _TOKEN.fullmatch(name):
            raise _field_problem("headers", f"{name!r} is not a valid header name")
        if _CONTROL.search(value.replace("\t", "")):
            raise _field_problem(
                f"headers.{name}", "must not contain control characters (CR, LF, ...)"
            )


def validate_config(config: dict[str, Any], ctx: actions_core.ValidationContext) -> None:
    """Kibana's checks: a parseable http(s) URL on an allowed host; authType only with
    hasAuth; plus ours: PFX certificates are not supported, ``ca`` must be PEM."""
    url = config["url"]
    _check_no_injection(config)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as err:
        raise ValueError(f"{_PREFIX}: unable to parse url: {err}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f'{_PREFIX}: unable to parse url: "{url}" is not an http:// or https:// URL with a host'
        )
    try:
        ctx.network.ensure_uri_allowed(url)
    except actions_core.ForbiddenError as err:
        raise ValueError(f"{_PREFIX}: {err.message}") from None
    if config.get("authType") and not config.get("hasAuth", True):
        raise ValueError(f"{_PREFIX}: authType must be null or undefined if hasAuth is false")
    if config.get("certType") == PFX:
        raise ValueError(
            f'{_PREFIX}: certType "{PFX}" is not supported; convert the certificate to '
            f'"{CRT_KEY}" (secrets crt and key, PEM)'
        )
    try:
        ca_pem(config)
    except AuthError as err:
        raise ValueError(f"{_PREFIX}: {err}") from None


def validate_connector(
    config: dict[str, Any], secrets: dict[str, Any], ctx: actions_core.ValidationContext
) -> str | None:
    """The secrets the chosen authentication needs (messages never contain secret values)."""
    try:
        basic_auth(config, secrets)
        tls_options(config, secrets)
    except AuthError as err:
        return f"{_PREFIX}: {err}"
    return None
