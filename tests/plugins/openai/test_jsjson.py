"""JavaScript-compatible JSON: what Kibana's JSON.parse / JSON.stringify round trip writes."""

from __future__ import annotations

import pytest
from actions_core_plugins.openai.jsjson import (
    JsonError,
    js_number,
    js_trim,
    loads,
    stringify,
    truthy,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-2.0, "-2"),
        (0.5, "0.5"),
        (-0.0, "0"),
        (100.0, "100"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (0.000001, "0.000001"),
        (1.5e-7, "1.5e-7"),
        (1e-7, "1e-7"),
        (123.456, "123.456"),
        (0.1 + 0.2, "0.30000000000000004"),
        (12345678901234567890, "12345678901234567000"),
        (2**53 - 1, "9007199254740991"),
        (5e-324, "5e-324"),
    ],
)
def test_numbers_are_written_as_javascript_writes_them(value, text):
    assert js_number(value) == text


def test_round_trip_is_compact_and_keeps_non_ascii():
    body = '{ "messages" : [ {"role":"user", "content":"héllo 日本 🚀"} ],\n "temperature": 1.0 }'
    assert stringify(loads(body)) == (
        '{"messages":[{"role":"user","content":"héllo 日本 🚀"}],"temperature":1}'
    )


def test_integer_like_keys_come_first_as_in_javascript_objects():
    assert (
        stringify(loads('{"b":1,"50256":-100,"7":5,"a":2}')) == '{"7":5,"50256":-100,"b":1,"a":2}'
    )


def test_a_duplicate_key_keeps_its_first_position_and_last_value():
    assert stringify(loads('{"a":1,"b":2,"a":3}')) == '{"a":3,"b":2}'


def test_strings_escape_controls_and_lone_surrogates_only():
    assert (
        stringify(['\n\t\x01"\\', "\u2028", "\ud800"])
        == '["\\n\\t\\u0001\\"\\\\","\u2028","\\ud800"]'
    )


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "{'a': 1}", "", "{"])
def test_what_json_parse_rejects_is_rejected(text):
    with pytest.raises(JsonError):
        loads(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", False),
        (0, False),
        (0.0, False),
        (None, False),
        (False, False),
        ("0", True),
        ([], True),
        ({}, True),
    ],
)
def test_truthiness_is_javascripts(value, expected):
    assert truthy(value) is expected


def test_trim_is_javascripts():
    assert js_trim("\ufeff\u00a0 hi \n\u2029") == "hi"
    assert js_trim("\x1chi") == "\x1chi"  # not whitespace in JavaScript
