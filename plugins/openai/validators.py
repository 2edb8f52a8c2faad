"""The connector's own config and secrets checks, after the schemas (spec §2, §3)."""

from __future__ import annotations

import math
from typing import Any

import actions_core
from actions_core import expected_type_message, js_truthy

from .constants import PROVIDERS
from .pki import PKI_KEYS, check_pki_secrets
from .urls import UrlError, assert_url

__all__ = ["validate_config", "validate_secrets"]

_API_KEY_PROBLEM = expected_type_message("string")
API_KEY_MISSING = f"[apiKey]: {_API_KEY_PROBLEM}"
_NUMERIC_CONFIG = ("contextWindowLength", "temperature")
_FIELD_WORDS = {
    "certificateData": "Certificate data",
    "privateKeyData": "Private key",
    "caData": "CA ",
}


class _ConfigProblem(Exception):
    pass


def _number(text: str) -> int | float:
    """``Number(text)`` for the numeric strings a form sends (``"128000"``, ``" 0.7 "``)."""
    value = float(text.strip())
    if math.isnan(value) or math.isinf(value) or not text.strip():
        raise ValueError(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def validate_config(config: dict[str, Any], ctx: actions_core.ValidationContext) -> dict[str, Any]:
    """URL syntax, allowed hosts and provider, in Kibana's order and words; numeric strings
    (``"128000"``) become numbers."""
    url = config.get("apiUrl", "")
    provider = config.get("apiProvider")
    try:
        try:
            assert_url(url)
        except UrlError as err:
            raise _ConfigProblem(f"URL Error: {err}") from None
        try:
            ctx.network.ensure_uri_allowed(url)
        except actions_core.ActionsError as err:
            raise _ConfigProblem(f"error validating url: {err.message}") from None
        if provider not in PROVIDERS:
            raise _ConfigProblem(
                f"API Provider is not supported: {provider}"
                if js_truthy(provider)
                else "API Provider is not supported"
            )
    except _ConfigProblem as problem:
        field = "apiUrl" if provider in PROVIDERS else "apiProvider"
        raise actions_core.ValidationError(
            f"Error configuring OpenAI action: Error: {problem}", [(field, str(problem))]
        ) from None
    coerced = dict(config)
    for key in _NUMERIC_CONFIG:
        if isinstance(coerced.get(key), str):
            try:
                coerced[key] = _number(coerced[key])
            except ValueError:
                message = expected_type_message("number", coerced[key])
                raise actions_core.ValidationError(
                    f"[{key}]: {message}", [(key, message)]
                ) from None
    return coerced


def validate_secrets(
    secrets: dict[str, Any], ctx: actions_core.ValidationContext
) -> dict[str, Any] | None:
    """PKI secrets (a certificate or key is given) or an API key, with Kibana's messages."""
    if any(key in secrets for key in PKI_KEYS) and secrets.get("apiKey") == "":
        # Kibana's secrets union: {apiKey} alone, or non-empty strings throughout
        problem = "value has length [0] but it must have a minimum length of [1]."
        raise actions_core.ValidationError(f"[apiKey]: {problem}", [("apiKey", problem)])
    if js_truthy(secrets.get("certificateData")) or js_truthy(secrets.get("privateKeyData")):
        try:
            check_pki_secrets(secrets)
        except ValueError as err:
            field = next((k for k in PKI_KEYS if _FIELD_WORDS[k] in str(err)), "certificateData")
            raise actions_core.ValidationError(str(err), [(field, str(err))]) from None
        return None
    if not js_truthy(secrets.get("apiKey")):
        raise actions_core.ValidationError(API_KEY_MISSING, [("apiKey", _API_KEY_PROBLEM)])
    return None
