"""JSON exactly as JavaScript's ``JSON.parse`` / ``JSON.stringify`` produce it (spec §8, §12b).

Kibana rewrites request bodies with ``JSON.stringify(JSON.parse(body))``; to send the same bytes
we need JavaScript's rules, which differ from Python's ``json`` in four places:

* numbers: one double type, integral values without a fraction (``1.0`` → ``1``), exponents as
  ``1e+21`` / ``1e-7``, integers beyond 2**53 rounded as doubles;
* key order: integer-like keys ("array indices") come first in ascending order, the other keys
  keep their insertion order (assigning an existing key keeps its place, new keys go last);
* strings: non-ASCII stays as is; lone surrogates are written as ``\\udxxx`` escapes;
* ``NaN`` / ``Infinity`` are not JSON.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

__all__ = [
    "JsonError",
    "js_number",
    "js_string",
    "js_text",
    "js_trim",
    "loads",
    "stringify",
    "truthy",
]

_MAX_INDEX = 2**32 - 1
_INDEX = re.compile(r"0|[1-9][0-9]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SAFE_INT = 2**53
# A string that may start with a digit (literally or as a \u0030-\u0039 escape): only then
# can an object key be an array index that JavaScript moves to the front.
_MAYBE_INDEX_KEY = re.compile(r'"(?:[0-9]|\\u003[0-9])')
# JavaScript's String.prototype.trim: WhiteSpace and LineTerminator code points.
_JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


class JsonError(ValueError):
    """The text is not JSON as JavaScript's ``JSON.parse`` reads it."""


def _reject_constant(name: str) -> Any:
    raise JsonError(f"{name} is not valid JSON")


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


def loads(text: str | bytes) -> Any:
    """``JSON.parse``: objects as ordered dicts with JavaScript's key order."""
    try:
        if isinstance(text, str) and not _MAYBE_INDEX_KEY.search(text):
            # No string starts with a digit, so no key is an array index: the C decoder's
            # dicts already have JavaScript's order (a duplicate keeps its first position).
            return json.loads(text, parse_constant=_reject_constant)
        return json.loads(text, object_pairs_hook=_object, parse_constant=_reject_constant)
    except JsonError:
        raise
    except (ValueError, TypeError, RecursionError) as err:
        raise JsonError(str(err)) from None


def js_number(value: int | float) -> str:
    """``Number.prototype.toString`` of a JSON number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if -_SAFE_INT < value < _SAFE_INT:
            return str(value)
        value = float(value)
    if math.isnan(value) or math.isinf(value):
        return "null"  # JSON.stringify writes non-finite numbers as null
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip, which is what JavaScript prints too
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple))
    stripped = digits.rstrip("0")
    exponent = int(exponent) + len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = exponent + k  # value = digits x 10^(n - k), as in ECMAScript's Number::toString
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp_text = f"e{'+' if e >= 0 else '-'}{abs(e)}"
        body = digits + exp_text if k == 1 else digits[0] + "." + digits[1:] + exp_text
    return sign + body


def js_string(value: str) -> str:
    """``JSON.stringify`` of a string (well-formed: lone surrogates escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def stringify(value: Any) -> str:
    """``JSON.stringify(value)``: compact, JavaScript number and string formatting."""
    if _plain(value):
        # Only values Python's C encoder writes exactly as JavaScript does (see _plain).
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if not _LONE_SURROGATE.search(text):
            return text
    parts: list[str] = []
    _write(value, parts)
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
        return -_SAFE_INT < value < _SAFE_INT
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


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(js_string(value))
    elif isinstance(value, int | float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(js_string(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def js_text(value: Any) -> str:
    """How JavaScript writes a JSON value into a template string (``${value}``)."""
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else js_text(v) for v in value)
    return "null" if value is None else str(value)


def truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value: ``""``, ``0``, ``null``, ``false`` are falsy."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    return True  # objects and arrays, even empty ones


def js_trim(text: str) -> str:
    """``String.prototype.trim``."""
    return text.strip(_JS_WHITESPACE)
