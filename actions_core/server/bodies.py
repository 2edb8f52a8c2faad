"""Request bodies: read with a size limit, parsed as JSON, checked in Kibana's phrasing.

Kibana validates bodies with ``@kbn/config-schema``; the messages here are the same
(``[request body.name]: expected value of type [string] but got [undefined]``,
``[request body.foo]: definition for this key is missing``, ``value '' is not valid`` for empty
or whitespace strings on create and update) and the first problem found is reported, as there.
Nothing is stored before a body has passed these checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from actions_core._js.json_values import MAX_DEPTH, check_json_value
from actions_core._js.values import expected_type_message, js_type_name
from actions_core.server.errors import HttpError

__all__ = [
    "read_json",
    "validate_create_body",
    "validate_execute_body",
    "validate_update_body",
]

BODY = "request body"


def _too_large(limit: int) -> HttpError:
    return HttpError(413, f"Payload content length greater than maximum allowed: {limit}")


_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _constant(name: str) -> float:
    """``NaN``/``Infinity`` literals are read as floats so the check names their field."""
    return _CONSTANTS[name]


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body, ``None`` when there is none.

    400 for a content type other than JSON or malformed JSON; 413 (Kibana's hapi message) when
    the body is larger than ``limit`` bytes, checked on ``Content-Length`` before reading and
    again while reading (chunked bodies). 400 naming the field for what cannot be stored as
    strict JSON (non-finite numbers, ``NaN``/``Infinity`` literals, lone surrogates) and for
    nesting deeper than :data:`MAX_DEPTH`, so nothing downstream meets such a value.
    """
    content_type = request.headers.get("content-type")
    if content_type:
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise HttpError(
                400,
                f'Unsupported Content-Type "{media}": send the request body as JSON with '
                '"Content-Type: application/json"',
            )
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _too_large(limit)
        except ValueError:
            raise HttpError(400, "Invalid Content-Length header") from None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    if not body.strip():
        return None
    try:
        value = json.loads(bytes(body), parse_constant=_constant)
    except RecursionError:  # far deeper than the limit: the parser itself gave up
        raise _fail(BODY, f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise HttpError(400, "Invalid request payload JSON format") from None
    problems = check_json_value(value, BODY)
    if problems:
        path, message = problems[0]
        raise _fail(path, message)
    return value


# --- config-schema style checks ---------------------------------------------------------------


def _fail(path: str, message: str) -> HttpError:
    return HttpError(400, f"[{path}]: {message}")


def _object(body: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        kind = "undefined" if body is None else js_type_name(body)
        raise HttpError(
            400, f"[{BODY}]: expected a plain object value, but found [{kind}] instead."
        )
    for key in body:
        if key not in allowed:
            raise _fail(f"{BODY}.{key}", "definition for this key is missing")
    return body


def _field(body: Mapping[str, Any], key: str, kind: str, accepts: type, required: bool) -> Any:
    """``body[key]`` when it is an ``accepts`` (config-schema's ``kind``), None when absent."""
    if key not in body:
        if required:
            raise _fail(f"{BODY}.{key}", expected_type_message(kind))
        return None
    value = body[key]
    if not isinstance(value, accepts):
        raise _fail(f"{BODY}.{key}", expected_type_message(kind, value))
    return value


def _string(body: Mapping[str, Any], key: str) -> str:
    return _field(body, key, "string", str, required=True)


def _record(body: Mapping[str, Any], key: str, *, required: bool = False) -> dict | None:
    return _field(body, key, "object", dict, required)


def _no_empty_strings(path: str, value: Any) -> None:
    """Kibana's ``validateEmptyStrings``: any empty or whitespace string anywhere → 400."""
    if isinstance(value, str):
        if not value.strip():
            raise _fail(path, "value '' is not valid")
    elif isinstance(value, list):
        for item in value:
            _no_empty_strings(path, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_empty_strings(f"{path}.{key}", item)


def validate_create_body(body: Any) -> dict[str, Any]:
    """``{name, connector_type_id, config = {}, secrets = {}}``."""
    body = _object(body, ("name", "connector_type_id", "config", "secrets"))
    name = _string(body, "name")
    _no_empty_strings(f"{BODY}.name", name)
    type_id = _string(body, "connector_type_id")
    _no_empty_strings(f"{BODY}.connector_type_id", type_id)
    config = _record(body, "config") or {}
    _no_empty_strings(f"{BODY}.config", config)
    secrets = _record(body, "secrets") or {}
    _no_empty_strings(f"{BODY}.secrets", secrets)
    return {"name": name, "connector_type_id": type_id, "config": config, "secrets": secrets}


def validate_update_body(body: Any) -> dict[str, Any]:
    """``{name, config = {}, secrets?}``: omitted secrets keep the stored ones (our difference)."""
    body = _object(body, ("name", "config", "secrets"))
    name = _string(body, "name")
    _no_empty_strings(f"{BODY}.name", name)
    config = _record(body, "config") or {}
    _no_empty_strings(f"{BODY}.config", config)
    secrets = _record(body, "secrets")
    if secrets is not None:
        _no_empty_strings(f"{BODY}.secrets", secrets)
    return {"name": name, "config": config, "secrets": secrets}


def validate_execute_body(body: Any) -> dict[str, Any]:
    """``{params}``: an object, validated against the type's params schema by the executor."""
    body = _object(body, ("params",))
    params = _record(body, "params", required=True)
    return {"params": params}
