"""JSON exactly as JavaScript's ``JSON.parse`` / ``JSON.stringify`` produce it.

Kibana rewrites request bodies with ``JSON.stringify(JSON.parse(body))`` and renders objects in
templates as their JSON; to write the same bytes we need JavaScript's rules, which differ from
Python's ``json`` in four places:

* numbers: one double type, written by :func:`.values.js_number_to_string` (``1.0`` → ``1``,
  ``1e+21``, integers beyond 2**53 rounded), and ``NaN`` / ``Infinity`` written as ``null``;
* key order: integer-like keys ("array indices") come first in ascending order, the other keys
  keep their insertion order (assigning an existing key keeps its place, new keys go last);
* strings: non-ASCII stays as is; lone surrogates are written as ``\\udxxx`` escapes;
* ``NaN`` / ``Infinity`` are not JSON, so :func:`json_parse` refuses them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from actions_core._js.values import MAX_SAFE_INTEGER, js_number_to_string
from actions_core.errors import JsonParseError

__all__ = ["JsonParseError", "json_parse", "json_quote", "json_stringify"]

_MAX_INDEX = 2**32 - 1
_INDEX = re.compile(r"0|[1-9][0-9]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A string that may start with a digit (literally or as a \u0030-\u0039 escape): only then
# can an object key be an array index that JavaScript moves to the front.
_MAYBE_INDEX_KEY = re.compile(r'"(?:[0-9]|\\u003[0-9])')


def _reject_constant(name: str) -> Any:
    raise JsonParseError(f"{name} is not valid JSON")


def _is_index(key: str) -> bool:
    return bool(_INDEX.fullmatch(key)) and int(key) < _MAX_INDEX


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        obj[key] = value  # a duplicate keeps its first position and takes the last value
    if any(_is_index(k) for k in obj):
        indices = sorted((k for k in obj if _is_index(k)), key=int)
        obj = {**{k: obj[k] for k in indices}, **{k: v for k, v in obj.items() if not _is_index(k)}}
    return obj


def json_parse(text: str | bytes) -> Any:
    """``JSON.parse``: objects as ordered dicts with JavaScript's key order."""
    try:
        if isinstance(text, str) and not _MAYBE_INDEX_KEY.search(text):
            # No string starts with a digit, so no key is an array index: the C decoder's
            # dicts already have JavaScript's order (a duplicate keeps its first position).
            return json.loads(text, parse_constant=_reject_constant)
        return json.loads(text, object_pairs_hook=_object, parse_constant=_reject_constant)
    except JsonParseError:
        raise
    except (ValueError, TypeError, RecursionError) as err:
        raise JsonParseError(str(err)) from None


def json_quote(value: str) -> str:
    """``JSON.stringify`` of a string (well-formed: lone surrogates escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def json_stringify(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``JSON.stringify(value)``: compact, JavaScript number and string formatting.

    ``default`` turns a value JSON cannot hold into one it can (as ``toJSON`` does for a
    JavaScript ``Date``); without it such a value raises ``TypeError``.
    """
    if _plain(value):
        # Only values Python's C encoder writes exactly as JavaScript does (see _plain).
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if not _LONE_SURROGATE.search(text):
            return text
    parts: list[str] = []
    _write(value, parts, default)
    return "".join(parts)


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` writes ``value`` byte for byte as ``JSON.stringify`` does.

    True for plain dicts (string keys), lists, strings, booleans, ``None``, safe integers and
    non-integral floats in [1e-4, 1e16) (Python's repr has no exponent there and uses the
    same shortest digits as JavaScript). Anything else goes through the exact writer.
    """
    try:
        return _plain_value(value)
    except RecursionError:
        return False


def _plain_value(value: Any) -> bool:
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        number: int = value
        return -MAX_SAFE_INTEGER < number < MAX_SAFE_INTEGER
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not _plain_value(item):
                return False
        return True
    if kind is list:
        return all(_plain_value(item) for item in value)
    if kind is float:
        return (not value.is_integer()) and 1e-4 <= abs(value) < 1e16
    return False


def _write(value: Any, out: list[str], default: Callable[[Any], Any] | None = None) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json_quote(value))
    elif isinstance(value, int | float):
        text = js_number_to_string(value)
        out.append("null" if text in ("NaN", "Infinity", "-Infinity") else text)
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(json_quote(str(key)))
            out.append(":")
            _write(item, out, default)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, default)
        out.append("]")
    elif default is not None:
        _write(default(value), out, default)
    else:
        raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
