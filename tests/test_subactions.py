"""Sub-action connectors: {subAction, subActionParams} with one schema per sub-action."""

from __future__ import annotations

import pytest

import actions_core
from actions_core import RegistrationError, SubActionConnector, sub_action, sub_action_type


class Calculator(SubActionConnector):
    @sub_action(
        params_schema={
            "type": "object",
            "properties": {
                "a": {"type": "number"},
                "b": {"type": "number", "default": 1},
            },
            "required": ["a"],
            "additionalProperties": False,
        }
    )
    def add(self, params):
        return {"sum": params["a"] + params["b"], "unit": self.config.get("unit")}

    @sub_action("noop")
    def nothing(self, params):
        return None

    @sub_action("count")
    def count(self, params):
        yield from range(int(params.get("to", 3)))


def calculator_type():
    return sub_action_type(
        id=".calc",
        name="Calculator",
        connector=Calculator,
        config_schema={"type": "object", "properties": {"unit": {"type": "string"}}},
    )


@pytest.fixture
def calc(make_actions):
    actions = make_actions(calculator_type())
    connector = actions.connectors.create(
        connector_type_id=".calc", name="calc", config={"unit": "m"}
    )
    return actions, connector.id


def test_a_sub_action_runs_with_validated_params_and_defaults(calc):
    actions, cid = calc
    result = actions.execute(cid, {"subAction": "add", "subActionParams": {"a": 2}})
    assert result.status == "ok"
    assert result.data == {"sum": 3, "unit": "m"}


def test_a_sub_action_returning_nothing_gives_empty_data(calc):
    actions, cid = calc
    assert actions.execute(cid, {"subAction": "noop"}).data == {}


def test_missing_sub_action_uses_kibanas_message(calc):
    actions, cid = calc
    result = actions.execute(cid, {"subActionParams": {}})
    assert result.status == "error"
    assert result.retry is False
    assert result.message == (
        "error validating action params: [subAction]: expected value of type [string] "
        "but got [undefined]"
    )


def test_unknown_sub_action_uses_kibanas_message(calc):
    actions, cid = calc
    result = actions.execute(cid, {"subAction": "divide"})
    assert result.status == "error"
    assert result.message == "an error occurred while running the action"
    assert result.service_message == (
        f'Sub action "divide" is not registered. Connector id: {cid}. Connector name: '
        "Calculator. Connector type: .calc"
    )
    assert result.error_source == "user"


def test_invalid_sub_action_params_report_request_validation_failed(calc):
    actions, cid = calc
    result = actions.execute(cid, {"subAction": "add", "subActionParams": {"a": "x", "c": 1}})
    assert result.status == "error"
    assert result.service_message == (
        "Request validation failed (Error: [a]: expected value of type [number] but got "
        "[string]; [c]: definition for this key is missing)"
    )
    assert result.error_source == "user"
    assert result.retry is False


def test_a_generator_sub_action_streams(calc):
    actions, cid = calc
    result = actions.execute(cid, {"subAction": "count", "subActionParams": {"to": 4}})
    assert list(result.data) == [0, 1, 2, 3]


def test_sub_action_schemas_are_exposed_with_the_type(calc):
    actions, _ = calc
    info = next(t for t in actions.types() if t.id == ".calc")
    assert set(info.sub_actions) == {"add", "noop", "count"}
    assert info.sub_actions["add"]["required"] == ["a"]
    assert info.params_schema["required"] == ["subAction"]


def test_a_connector_class_without_sub_actions_is_refused():
    class Empty(SubActionConnector):
        pass

    with pytest.raises(RegistrationError) as err:
        sub_action_type(id=".empty", name="Empty", connector=Empty)
    assert err.value.message == "You should register at least one subAction for your connector type"


def test_an_invalid_sub_action_schema_is_refused():
    class Bad(SubActionConnector):
        @sub_action(params_schema={"type": 42})
        def go(self, params):
            return {}

    with pytest.raises(RegistrationError, match='sub action "go" is not a valid JSON Schema'):
        sub_action_type(id=".bad", name="Bad", connector=Bad)


def test_sub_action_type_is_a_plain_action_type():
    assert isinstance(calculator_type(), actions_core.ActionType)
