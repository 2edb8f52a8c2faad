"""JavaScript values as Kibana's code sees them: number text, ``String(v)``, truthiness, type names.

Kibana is JavaScript, and connector authors rely on what it prints: ``1.0`` is ``1``, ``1e21`` is
``1e+21``, integers beyond 2**53 are doubles, ``0`` and ``""`` are falsy but ``[]`` and ``{}``
are not, and a value of the wrong type is reported as ``expected value of type [string] but got
[number]`` (``@kbn/config-schema``'s wording, with ``type-detect``'s names). This module is the
one implementation of those rules; JSON (:mod:`.json`) and Mustache (:mod:`.mustache`) build on
it, and ``actions_core`` exports it for plugins (``js_number_to_string`` and friends).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = [
    "MAX_SAFE_INTEGER",
    "expected_type_message",
    "js_number_to_string",
    "js_to_string",
    "js_trim",
    "js_truthy",
    "js_type_name",
]

#: Integers at or beyond this magnitude are not exact JavaScript numbers: they print as doubles.
MAX_SAFE_INTEGER = 2**53
# String.prototype.trim: the WhiteSpace and LineTerminator code points.
_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_UNDEFINED: Any = object()


def js_number_to_string(value: int | float) -> str:
    """``Number.prototype.toString()``: ``1.0`` → ``1``, ``1e21`` → ``1e+21``, ``1e-7``.

    The digits are the shortest that round-trip (Python's ``repr`` finds the same ones as
    JavaScript); ECMAScript's Number::toString decides where the point and exponent go.
    Integers beyond 2**53 are rounded as doubles, as JavaScript has no other number.
    """
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER < value < MAX_SAFE_INTEGER:
            return str(value)
        value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"  # -0 too
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple))
    stripped = digits.rstrip("0")
    k = len(stripped)
    n = int(exponent) + len(digits)  # value = 0.<digits> x 10^n
    digits = stripped
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


def js_to_string(value: Any) -> str:
    """``String(value)`` of a JSON value, as a template literal ``${value}`` writes it."""
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number_to_string(value)
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "[object Object]"
    if isinstance(value, list | tuple):  # Array.prototype.toString: null items are empty
        return ",".join("" if item is None else js_to_string(item) for item in value)
    return str(value)


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: ``""``, ``0``, ``NaN``, ``null``, ``false`` are falsy; ``[]`` and
    ``{}`` (and every other object) are truthy."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return True


def js_trim(text: str) -> str:
    """``String.prototype.trim``: strips JavaScript's whitespace, which is not Python's."""
    return text.strip(_WHITESPACE)


def js_type_name(value: Any) -> str:
    """The type name Kibana's validation messages use (``type-detect``): ``null``, ``boolean``,
    ``number``, ``string``, ``Array``, ``Object``; other Python values by their class name."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "Array"
    if isinstance(value, Mapping):
        return "Object"
    return type(value).__name__


def expected_type_message(expected: str, value: Any = _UNDEFINED) -> str:
    """Kibana's ``expected value of type [string] but got [number]``; leave out ``value`` for a
    missing field (``but got [undefined]``)."""
    got = "undefined" if value is _UNDEFINED else js_type_name(value)
    return f"expected value of type [{expected}] but got [{got}]"
