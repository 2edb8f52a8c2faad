"""Is this value storable as JSON? Non-finite numbers, lone surrogates, non-string keys, depth.

Python's ``json`` reads ``1e999`` as ``inf`` and ``"\\ud800"`` as a lone surrogate, and writes
both back (``Infinity``, a surrogate that UTF-8 cannot encode); SQLite then stores a row that no
strict reader can show. So values are checked where they enter (the HTTP body parser, the Python
API) and every problem is named by its field path, in the ``[path]: message`` style of the rest
of the validation. The walk is iterative, so a deeply nested value cannot overflow the stack.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_DEPTH", "check_json_value"]

#: How deep objects and arrays may nest (``{"a": 1}`` is depth 1): no connector config or
#: params needs more, and a parser must not be made to recurse without bound.
MAX_DEPTH = 100


class _Problem:
    """A problem found at a key, kept in the walk so problems come out in document order."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _number_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` as ``\\udXXX``, None when it is valid Unicode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"\\u{ord(text[err.start]):04x}"
    return None


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def check_json_value(
    value: Any, path: str = "", *, max_depth: int = MAX_DEPTH
) -> list[tuple[str, str]]:
    """Every ``(field path, message)`` that keeps ``value`` from being stored as strict JSON.

    Finds non-finite floats (``NaN``, ``±Infinity``), strings and keys holding a lone surrogate
    (not encodable as UTF-8), mapping keys that are not strings, and nesting deeper than
    ``max_depth`` (reported once, at the first path that crosses it, without walking below it).
    An empty list means the value is fine. Other types are left to the schema checks.
    """
    problems: list[tuple[str, str]] = []
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    too_deep = False
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, _Problem):
            problems.append((where, item.message))
            continue
        if isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                name = _number_name(item)
                problems.append((where, f"expected a finite number but got [{name}]"))
            continue
        if isinstance(item, str):
            bad = _surrogate(item)
            if bad:
                problems.append((where, f"contains a lone surrogate ({bad}), not valid Unicode"))
            continue
        if not isinstance(item, Mapping | list | tuple):
            continue
        if depth >= max_depth:
            if not too_deep:
                problems.append((where, f"nested deeper than {max_depth} levels"))
                too_deep = True
            continue
        children: list[tuple[Any, str, int]] = []
        if isinstance(item, Mapping):
            for key, child in item.items():
                if not isinstance(key, str):
                    kind = type(key).__name__
                    message = _Problem(f"keys must be strings, not {kind}")
                    children.append((message, _join(where, repr(key)), depth))
                    continue
                bad = _surrogate(key)
                if bad:
                    shown = key.encode("utf-8", "backslashreplace").decode("ascii")
                    message = _Problem(f"key contains a lone surrogate ({bad})")
                    children.append((message, _join(where, shown), depth))
                    continue
                children.append((child, _join(where, key), depth + 1))
        else:
            children = [(child, _join(where, i), depth + 1) for i, child in enumerate(item)]
        stack.extend(reversed(children))
    return problems
