"""check_json_value: what cannot be stored as strict JSON is found and named by its field path."""

from __future__ import annotations

import json

from actions_core._js.json_values import MAX_DEPTH, check_json_value


def test_a_plain_json_value_has_no_problems() -> None:
    value = {"a": [1, 2.5, True, None, "é ✓ 😀"], "b": {"c": -0.0, "d": 10**30}}
    assert check_json_value(value, "config") == []


def test_non_finite_numbers_are_named_by_path() -> None:
    value = {
        "temperature": json.loads("1e999"),
        "contextWindowLength": json.loads("-1e999"),
        "list": [0, float("nan")],
    }
    assert check_json_value(value, "config") == [
        ("config.temperature", "expected a finite number but got [Infinity]"),
        ("config.contextWindowLength", "expected a finite number but got [-Infinity]"),
        ("config.list.1", "expected a finite number but got [NaN]"),
    ]


def test_lone_surrogates_in_values_and_keys_are_named() -> None:
    assert check_json_value("\ud800", "name") == [
        ("name", "contains a lone surrogate (\\ud800), not valid Unicode")
    ]
    value = {"a": {"b": ["ok", "x\udfffy"]}, "k\ud801": 1}
    assert check_json_value(value, "secrets") == [
        ("secrets.a.b.1", "contains a lone surrogate (\\udfff), not valid Unicode"),
        ("secrets.k\\ud801", "key contains a lone surrogate (\\ud801)"),
    ]


def test_non_string_keys_are_refused() -> None:
    assert check_json_value({1: "x"}, "config") == [("config.1", "keys must be strings, not int")]


def test_nesting_deeper_than_the_limit_is_reported_once() -> None:
    ok: object = 1
    for _ in range(MAX_DEPTH):
        ok = [ok]
    assert check_json_value(ok, "p") == []
    deep: object = 1
    for _ in range(MAX_DEPTH * 50):  # deeper than the recursion limit: the walk is iterative
        deep = {"a": deep}
    problems = check_json_value(deep, "p")
    assert problems == [("p" + ".a" * MAX_DEPTH, f"nested deeper than {MAX_DEPTH} levels")]
