"""The action type registry: registration rules, lookups and enabledActionTypes."""

from __future__ import annotations

import pytest

from actions_core import ActionType, ActionTypeDisabledError, RegistrationError, ValidationError
from actions_core._plugins.registry import ActionTypeRegistry
from tests.support import echo_type


def test_a_registered_type_can_be_looked_up():
    registry = ActionTypeRegistry()
    registry.register(echo_type(".echo"), plugin="tests")
    assert registry.has(".echo")
    assert registry.get(".echo").name == "Echo"
    assert registry.plugin_of(".echo") == "tests"


def test_registering_the_same_id_twice_is_refused_with_kibanas_message():
    registry = ActionTypeRegistry()
    registry.register(echo_type(".echo"))
    with pytest.raises(RegistrationError) as err:
        registry.register(echo_type(".echo"))
    assert err.value.message == 'Action type ".echo" is already registered.'


def test_unknown_type_lookup_uses_kibanas_message_and_is_a_400():
    with pytest.raises(ValidationError) as err:
        ActionTypeRegistry().get(".nope")
    assert err.value.message == 'Action type ".nope" is not registered.'
    assert err.value.status_code == 400


@pytest.mark.parametrize("good", [".server-log", "my-plugin.type", "a", "x_1.y-2", ".gen-ai"])
def test_ids_matching_the_pattern_are_accepted(good):
    ActionTypeRegistry().register(echo_type(good))


@pytest.mark.parametrize("bad", ["", "Upper", "..double", "-dash", "has space", "é", ".", "a/b"])
def test_ids_not_matching_the_pattern_are_refused_with_a_clear_message(bad):
    with pytest.raises(RegistrationError) as err:
        ActionTypeRegistry().register(echo_type(bad))
    assert "id" in err.value.message
    if bad:
        assert f'"{bad}" is invalid' in err.value.message
        assert r"^\.?[a-z0-9][a-z0-9._-]*$" in err.value.message


@pytest.mark.parametrize("label", ["config_schema", "secrets_schema", "params_schema"])
def test_invalid_json_schemas_are_refused_at_registration(label):
    with pytest.raises(RegistrationError) as err:
        ActionTypeRegistry().register(echo_type(".bad", **{label: {"type": "strin"}}))
    assert f"{label} is not a valid JSON Schema" in err.value.message
    assert ".bad" in err.value.message


def test_a_schema_that_is_not_an_object_is_refused():
    with pytest.raises(RegistrationError, match="must be an object"):
        ActionTypeRegistry().register(echo_type(".bad", params_schema=["type"]))


def test_name_and_executor_are_required():
    with pytest.raises(RegistrationError, match="non-empty name"):
        ActionTypeRegistry().register(echo_type(".x", name="  "))
    with pytest.raises(RegistrationError, match="executor must be callable"):
        ActionTypeRegistry().register(echo_type(".x", executor="not callable"))


def test_feature_ids_follow_kibanas_rules():
    registry = ActionTypeRegistry()
    with pytest.raises(RegistrationError) as err:
        registry.register(echo_type(".x", supported_feature_ids=()))
    assert err.value.message == (
        'At least one "supportedFeatureId" value must be supplied for connector type ".x".'
    )
    with pytest.raises(RegistrationError) as err:
        registry.register(echo_type(".x", supported_feature_ids=("alerting", "nope", "zz")))
    assert err.value.message == 'Invalid feature ids "nope,zz" for connector type ".x".'


def test_only_action_type_objects_can_be_registered():
    with pytest.raises(RegistrationError, match="ActionType"):
        ActionTypeRegistry().register({"id": ".x"})


def test_later_changes_to_the_plugins_schema_dict_do_not_change_the_registered_type():
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    registry = ActionTypeRegistry()
    registry.register(echo_type(".x", params_schema=schema))
    schema["properties"]["text"]["type"] = "number"
    assert registry.get(".x").params_schema["properties"]["text"]["type"] == "string"


def test_list_is_sorted_and_filters_by_feature():
    registry = ActionTypeRegistry()
    registry.register(echo_type(".b", supported_feature_ids=("cases",)))
    registry.register(echo_type(".a"))
    assert [t.id for t in registry.list()] == [".a", ".b"]
    assert [t.id for t in registry.list(feature_id="cases")] == [".b"]


def test_enabled_action_types_disable_the_others():
    registry = ActionTypeRegistry(enabled_action_types=[".a"])
    registry.register(echo_type(".a"))
    registry.register(echo_type(".b"))
    assert registry.is_enabled(".a")
    assert not registry.is_enabled(".b")
    with pytest.raises(ActionTypeDisabledError) as err:
        registry.ensure_enabled(".b")
    assert err.value.status_code == 403
    assert err.value.message == (
        'action type ".b" is not enabled in the configuration actions.enabledActionTypes'
    )
    assert registry.is_executable(".b", is_preconfigured=True)
    assert not registry.is_executable(".b", is_preconfigured=False)


def test_empty_enabled_list_disables_everything_and_star_enables_everything():
    assert not ActionTypeRegistry(enabled_action_types=[]).is_enabled(".a")
    assert ActionTypeRegistry(enabled_action_types=["x", "*"]).is_enabled(".a")


def test_action_type_is_immutable():
    action_type = echo_type(".a")
    with pytest.raises(AttributeError):
        action_type.name = "changed"  # type: ignore[misc]
    assert isinstance(action_type, ActionType)
