"""JSON Schema validation: every problem listed with its field path, defaults applied."""

from __future__ import annotations

import pytest

from actions_core._run.validation import (
    SchemaValidationError,
    check_schema,
    validate,
    validator_for,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "minLength": 1},
        "method": {"enum": ["post", "put"], "default": "post"},
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
        },
        "retries": {"type": "integer", "minimum": 0, "maximum": 5},
        "nested": {
            "type": "object",
            "properties": {"level": {"type": "string", "default": "info"}},
            "additionalProperties": False,
        },
    },
    "required": ["url"],
    "additionalProperties": False,
}


def problems_of(value, schema=SCHEMA):
    with pytest.raises(SchemaValidationError) as err:
        validate(schema, value)
    return err.value.problems, err.value.message


def test_a_missing_required_field_is_reported_like_kibana():
    problems, message = problems_of({})
    assert problems == [("url", "expected value of type [string] but got [undefined]")]
    assert message == "[url]: expected value of type [string] but got [undefined]"


def test_every_problem_is_listed_each_with_its_path():
    problems, message = problems_of(
        {
            "url": 5,
            "method": "get",
            "headers": {"x-a": 1},
            "retries": 9,
            "nested": {"level": 3, "extra": True},
            "unknown": 1,
        }
    )
    assert set(problems) == {
        ("url", "expected value of type [string] but got [number]"),
        ("method", "expected one of [post, put] but got [get]"),
        ("headers.x-a", "expected value of type [string] but got [number]"),
        ("retries", "Value must be equal to or lower than [5]."),
        ("nested.level", "expected value of type [string] but got [number]"),
        ("nested.extra", "definition for this key is missing"),
        ("unknown", "definition for this key is missing"),
    }
    assert message.count("; ") == len(problems) - 1
    assert "[nested.extra]: definition for this key is missing" in message


def test_min_length_uses_kibanas_wording():
    problems, _ = problems_of({"url": ""})
    assert problems == [("url", "value has length [0] but it must have a minimum length of [1].")]


def test_a_wrong_root_type_has_no_path():
    problems, message = problems_of("text")
    assert problems == [("", "expected value of type [object] but got [string]")]
    assert message == "expected value of type [object] but got [string]"


def test_defaults_are_applied_to_the_returned_value_without_touching_the_input():
    value = {"url": "http://x", "nested": {}}
    result = validate(SCHEMA, value)
    assert result == {"url": "http://x", "nested": {"level": "info"}, "method": "post"}
    assert value == {"url": "http://x", "nested": {}}


def test_defaults_of_the_matching_one_of_branch_are_applied():
    schema = {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "provider": {"const": "OpenAI"},
                    "model": {"type": "string", "default": "gpt-4.1"},
                },
                "required": ["provider"],
            },
            {
                "type": "object",
                "properties": {"provider": {"const": "Other"}, "model": {"type": "string"}},
                "required": ["provider", "model"],
            },
        ]
    }
    assert validate(schema, {"provider": "OpenAI"}) == {"provider": "OpenAI", "model": "gpt-4.1"}
    assert validate(schema, {"provider": "Other", "model": "m"}) == {
        "provider": "Other",
        "model": "m",
    }


def test_one_of_errors_come_from_the_branch_the_value_aimed_at():
    schema = {
        "oneOf": [
            {
                "type": "object",
                "properties": {"provider": {"const": "A"}, "url": {"type": "string"}},
                "required": ["provider", "url"],
            },
            {
                "type": "object",
                "properties": {"provider": {"const": "B"}, "model": {"type": "string"}},
                "required": ["provider", "model"],
            },
        ]
    }
    problems, _ = problems_of({"provider": "B"}, schema)
    assert problems == [("model", "expected value of type [string] but got [undefined]")]


def test_defaults_behind_refs_and_if_then_are_applied():
    schema = {
        "$defs": {"level": {"type": "string", "default": "info"}},
        "type": "object",
        "properties": {"level": {"$ref": "#/$defs/level"}, "kind": {"type": "string"}},
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"properties": {"extra": {"default": 1}}},
    }
    assert validate(schema, {"kind": "a"}) == {"kind": "a", "level": "info", "extra": 1}
    assert validate(schema, {"kind": "b"}) == {"kind": "b", "level": "info"}


def test_validators_are_compiled_once_per_schema():
    schema = {"type": "object"}
    assert validator_for(schema) is validator_for(schema)
    assert validator_for(schema) is not validator_for({"type": "object"})


def test_check_schema_explains_invalid_schemas():
    assert check_schema({"type": "object"}) is None
    assert "is not valid" in check_schema({"type": "strin"})
    assert check_schema("nope") == "a schema must be an object, got string"
