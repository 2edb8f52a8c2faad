"""Request bodies per provider, byte for byte as Kibana writes them (spec §8).

The body is parsed, changed in place (existing keys keep their position, new keys go last) and
written back compactly with JavaScript's ``JSON.stringify`` rules. A body that is not JSON, or
that cannot be changed (a JSON string or number), is sent exactly as given.
"""

from __future__ import annotations

from typing import Any

from actions_core import JsonParseError, js_truthy, json_parse, json_stringify

from .constants import AZURE, AZURE_URL_PATTERNS, OPENAI, OPENAI_URLS, OTHER

__all__ = ["request_with_stream_option", "sanitize_request"]

_UNSET: Any = object()  # JavaScript's ``undefined``: the config has no defaultModel key


class _Unchanged(Exception):
    """Kibana's helpers catch every error and return the original body."""


def _parse(body: str) -> Any:
    try:
        return json_parse(body)
    except JsonParseError:
        raise _Unchanged from None


def _set(target: Any, key: str, value: Any) -> None:
    """``target[key] = value`` with JavaScript semantics for JSON values."""
    if isinstance(target, dict):
        if value is _UNSET:
            target.pop(key, None)  # undefined properties are not serialised
        else:
            target[key] = value
    elif not isinstance(target, list):
        raise _Unchanged  # assigning to a primitive throws in strict mode
    # arrays accept named properties, which JSON.stringify ignores


def _get(target: Any, key: str) -> Any:
    if target is None:
        raise _Unchanged  # reading a property of null throws
    return target.get(key) if isinstance(target, dict) else None


def _strip_unused_tool_params(body: Any) -> None:
    """Drop tool choices that reference no tools (newest Kibana, OpenAI and Other)."""
    if not isinstance(body, dict):
        return
    tools, functions = body.get("tools"), body.get("functions")
    if not (isinstance(tools, list) and tools):
        body.pop("tool_choice", None)
        body.pop("parallel_tool_calls", None)
    if not (isinstance(functions, list) and functions):
        body.pop("function_call", None)


def _openai(url: str, body: str, stream: bool, default_model: Any) -> str:
    data = _parse(body)
    if js_truthy(data):
        if url in OPENAI_URLS:
            _set(data, "stream", stream)
            if stream:
                _set(data, "stream_options", {"include_usage": True})
        model = _get(data, "model")
        _set(data, "model", model if js_truthy(model) else default_model)
        _strip_unused_tool_params(data)
    return json_stringify(data)


def _azure(url: str, body: str, stream: bool, default_model: Any) -> str:
    if not any(pattern.search(url) for pattern in AZURE_URL_PATTERNS):
        return body
    data = _parse(body)
    if js_truthy(data):
        _set(data, "stream", stream)
        if stream:
            _set(data, "stream_options", {"include_usage": True})
        if js_truthy(default_model) and not js_truthy(_get(data, "model")):
            _set(data, "model", default_model)
    return json_stringify(data)


def _other(body: str, stream: bool, default_model: Any) -> str:
    data = _parse(body)
    if js_truthy(data):
        _set(data, "stream", stream)
    if js_truthy(default_model) and not js_truthy(_get(data, "model")):
        _set(data, "model", default_model)
    _strip_unused_tool_params(data)
    return json_stringify(data)


def request_with_stream_option(
    provider: str, url: str, body: str, stream: bool, default_model: Any = _UNSET
) -> str:
    """``getRequestWithStreamOption``: the body of a (possibly streamed) chat request.

    ``default_model`` is passed only when the connector's config has the key (Kibana's
    ``'defaultModel' in config``); leave it out otherwise.
    """
    try:
        if provider == OPENAI:
            return _openai(url, body, stream, default_model)
        if provider == AZURE:
            return _azure(url, body, stream, default_model)
        if provider == OTHER:
            return _other(body, stream, default_model)
    except (_Unchanged, TypeError, RecursionError):
        return body
    return body


def sanitize_request(provider: str, url: str, body: str, default_model: Any = _UNSET) -> str:
    """``sanitizeRequest``: the body of a non-streamed request (``stream`` set to ``false``)."""
    return request_with_stream_option(provider, url, body, False, default_model)


def default_model_arg(config: dict[str, Any]) -> Any:
    """``config.defaultModel`` when the key exists, else "undefined" (Kibana's ``in`` check)."""
    return config.get("defaultModel", _UNSET)
