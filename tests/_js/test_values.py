"""JavaScript values, implemented once: every part of actions-core that writes a number, judges
truthiness or names a type agrees with JavaScript, and with each other."""

from __future__ import annotations

import math

import pytest

from actions_core import (
    expected_type_message,
    js_number_to_string,
    js_to_string,
    js_truthy,
    js_type_name,
    json_stringify,
    render_template,
)

#: Python's repr writes this as 1.2345678901234568e+20 and its exact value ends in ...683968;
#: JavaScript prints the shortest round-tripping digits, padded with zeros.
BIG = 1.2345678901234568e20
BIG_IN_JS = "123456789012345680000"


def test_a_large_double_prints_as_javascript_prints_it():
    assert js_number_to_string(BIG) == BIG_IN_JS


def test_mustache_renders_the_number_as_javascript_does():
    assert render_template("{{n}}", {"n": BIG}) == BIG_IN_JS
    assert render_template("{{#n}}{{.}}{{/n}}", {"n": BIG}) == BIG_IN_JS
    assert render_template("{{list}}", {"list": [BIG, 1.0]}) == f"{BIG_IN_JS},1"


def test_mustache_objects_render_as_json_stringify_writes_them():
    assert render_template("{{o}}", {"o": {"n": BIG}}) == f'{{"n":{BIG_IN_JS}}}'
    assert render_template("{{list.asJSON}}", {"list": [BIG]}) == f"[{BIG_IN_JS}]"
    assert json_stringify({"n": BIG}) == f'{{"n":{BIG_IN_JS}}}'


def test_the_json_escape_is_json_stringify_without_its_quotes():
    text = 'a"b\\c\n\u2028\ud800'
    rendered = render_template('{"t":"{{t}}"}', {"t": text}, escape="json")
    assert rendered == '{"t":' + json_stringify(text) + "}"
    assert rendered.endswith('\\ud800"}')  # a lone surrogate is escaped, as JavaScript does


def test_eval_math_results_print_as_javascript_numbers():
    assert render_template("{{#EvalMath}} n * 1 {{/EvalMath}}", {"n": BIG}) == BIG_IN_JS
    assert render_template("{{#EvalMath}} 0.1 + 0.2 {{/EvalMath}}", {}) == "0.30000000000000004"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (2**53 + 1, "9007199254740992"),  # no exact integers beyond 2**53
        (-1e-7, "-1e-7"),
    ],
)
def test_number_text_outside_json(value, text):
    assert js_number_to_string(value) == text


def test_json_writes_what_is_not_a_json_number_as_null():
    assert json_stringify([math.nan, math.inf]) == "[null,null]"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (1.0, "1"),
        ({"a": 1}, "[object Object]"),
        ([1, None, "x", [2, 3]], "1,,x,2,3"),
        ("s", "s"),
    ],
)
def test_string_of_a_value_is_javascripts(value, text):
    assert js_to_string(value) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(math.nan, False), (-0.0, False), ([], True), ({}, True), ("false", True)],
)
def test_truthiness_is_javascripts(value, expected):
    assert js_truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (1, "number"),
        (1.5, "number"),
        ("", "string"),
        ([], "Array"),
        ((), "Array"),
        ({}, "Object"),
        ({1, 2}, "set"),
    ],
)
def test_type_names_are_kibanas(value, name):
    assert js_type_name(value) == name


def test_the_expected_type_wording_is_kibanas():
    assert expected_type_message("string", 3) == "expected value of type [string] but got [number]"
    assert expected_type_message("object", [1]) == "expected value of type [object] but got [Array]"
    assert expected_type_message("string") == "expected value of type [string] but got [undefined]"
    assert expected_type_message("string", None) == "expected value of type [string] but got [null]"


def test_schema_validation_uses_the_shared_wording():
    from actions_core import ValidationError
    from actions_core._run.validation import validate

    with pytest.raises(ValidationError) as err:
        validate({"type": "object", "properties": {"a": {"type": "string"}}}, {"a": [1]})
    assert err.value.problems == [("a", expected_type_message("string", [1]))]
