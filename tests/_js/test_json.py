"""JavaScript-compatible JSON: what Kibana's JSON.parse / JSON.stringify round trip writes.

The plugin-facing names (``actions_core.json_parse`` and friends) are the ones tested here."""

from __future__ import annotations

import json

import pytest

from actions_core import (
    JsonParseError,
    js_number_to_string,
    js_trim,
    js_truthy,
    json_parse,
    json_stringify,
)
from actions_core._js import json as js_json


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
    assert js_number_to_string(value) == text
    assert json_stringify([value]) == f"[{text}]"


def test_round_trip_is_compact_and_keeps_non_ascii():
    body = '{ "messages" : [ {"role":"user", "content":"héllo 日本 🚀"} ],\n "temperature": 1.0 }'
    assert json_stringify(json_parse(body)) == (
        '{"messages":[{"role":"user","content":"héllo 日本 🚀"}],"temperature":1}'
    )


def test_integer_like_keys_come_first_as_in_javascript_objects():
    assert (
        json_stringify(json_parse('{"b":1,"50256":-100,"7":5,"a":2}'))
        == '{"7":5,"50256":-100,"b":1,"a":2}'
    )


def test_a_duplicate_key_keeps_its_first_position_and_last_value():
    assert json_stringify(json_parse('{"a":1,"b":2,"a":3}')) == '{"a":3,"b":2}'


def test_strings_escape_controls_and_lone_surrogates_only():
    assert (
        json_stringify(['\n\t\x01"\\', "\u2028", "\ud800"])
        == '["\\n\\t\\u0001\\"\\\\","\u2028","\\ud800"]'
    )


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "{'a': 1}", "", "{"])
def test_what_json_parse_rejects_is_rejected(text):
    with pytest.raises(JsonParseError):
        json_parse(text)


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
    assert js_truthy(value) is expected


def test_trim_is_javascripts():
    assert js_trim("\ufeff\u00a0 hi \n\u2029") == "hi"
    assert js_trim("\x1chi") == "\x1chi"  # not whitespace in JavaScript


# --- fast paths: the C codec is used only where it writes what JavaScript writes ---

VALUES = [
    {"model": "m", "messages": [{"role": "user", "content": "héllo ☃ 😀"}], "temperature": 0},
    {"a": [1, 0.5, 2.0, -0.0, 1e21, 1e-7, 0.0001, 123.456, 2**53, -(2**53) + 1]},
    {"t": 0.7, "n": None, "b": True, "f": False, "s": "x\ud800y", "e": {}},
    {"2": 1, "1": 2, "x": [[], {}]},
    [1, "a", {"k": (1, 2)}],
    {1: "int key", None: "none key", 2.5: "float key"},
]


@pytest.mark.parametrize("value", VALUES)
def test_stringify_matches_the_exact_writer(value):
    parts: list[str] = []
    js_json._write(value, parts)
    assert json_stringify(value) == "".join(parts)


@pytest.mark.parametrize(
    "text",
    [
        '{"b":1,"a":2,"b":3}',
        '{"b":1,"10":2,"2":3,"a":{"x":1,"0":2}}',
        '{"b":1,"\\u0031":2}',
        '{"id":"2024-01-01","n":[1,2]}',
        '"just a string"',
        "[1, 2.5, 1e400]",
    ],
)
def test_loads_matches_the_ordering_decoder(text):
    expected = json.loads(text, object_pairs_hook=js_json._object)
    got = json_parse(text)
    assert got == expected
    assert json.dumps(got) == json.dumps(expected)  # same key order too


def test_loads_still_refuses_nan():
    with pytest.raises(JsonParseError):
        json_parse('{"a": NaN}')
