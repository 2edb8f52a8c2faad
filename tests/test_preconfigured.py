"""Preconfigured connectors (reference §5): read-only, every space, no encryption key needed."""

from __future__ import annotations

import pytest

from actions_core import ConfigError, ValidationError
from tests.support import echo_type

PRE = {
    "pre-echo": {
        "name": "Preconfigured echo",
        "actionTypeId": ".echo",
        "config": {"url": "https://pre.example"},
        "secrets": {"token": "pre-secret"},
    },
    "exposed": {
        "name": "Exposed",
        "actionTypeId": ".echo",
        "config": {"url": "https://exposed.example"},
        "secrets": {"token": "t"},
        "exposeConfig": True,
    },
}


@pytest.fixture
def actions(make_actions, tmp_path):
    # A database URL makes this a non-embedded set-up: no key file is generated, no key is set.
    return make_actions(
        echo_type(".echo"),
        config={
            "actions": {
                "preconfigured": PRE,
                "databaseUrl": f"sqlite:///{tmp_path}/db.sqlite3",
                "enabledActionTypes": [".server-log"],
            }
        },
    )


def test_preconfigured_connectors_are_listed_as_such_without_config(actions):
    connector = actions.connectors.get("pre-echo")
    assert connector.is_preconfigured is True
    assert connector.config is None
    assert connector.is_missing_secrets is None
    assert connector.to_api() == {
        "id": "pre-echo",
        "name": "Preconfigured echo",
        "connector_type_id": ".echo",
        "is_preconfigured": True,
        "is_deprecated": False,
        "is_system_action": False,
    }


def test_expose_config_shows_the_config(actions):
    assert actions.connectors.get("exposed").config == {"url": "https://exposed.example"}


def test_preconfigured_connectors_are_visible_in_every_space(actions):
    ids = {c.id for c in actions.connectors.list(space_id="other-space")}
    assert ids == {"pre-echo", "exposed"}


def test_they_run_without_an_encryption_key_even_when_their_type_is_disabled(actions):
    assert not actions.secret_box.has_key
    result = actions.execute("pre-echo", {"text": "hi"}, space_id="any")
    assert result.status == "ok", result
    assert result.data["config"] == {"url": "https://pre.example", "model": "small"}


def test_their_config_is_validated_at_execution(make_actions):
    actions = make_actions(
        echo_type(".echo"),
        config={
            "actions": {
                "encryptionKey": "k" * 40,
                "preconfigured": {"bad": {"name": "Bad", "actionTypeId": ".echo", "config": {}}},
            }
        },
    )
    result = actions.execute("bad", {"text": "x"})
    assert result.status == "error"
    assert result.message == (
        "error validating connector type config: [url]: expected value of type [string] but got "
        "[undefined]"
    )


def test_create_with_a_preconfigured_id_is_refused(actions):
    with pytest.raises(ValidationError) as err:
        actions.connectors.create(connector_type_id=".server-log", name="x", id="pre-echo")
    assert err.value.message == "This pre-echo already exists in a preconfigured action."


def test_update_is_refused(actions):
    with pytest.raises(ValidationError) as err:
        actions.connectors.update("pre-echo", name="x")
    assert err.value.message == "Preconfigured action pre-echo can not be updated."


def test_delete_is_refused(actions):
    with pytest.raises(ValidationError) as err:
        actions.connectors.delete("pre-echo")
    assert err.value.message == "Preconfigured action pre-echo is not allowed to delete."
    assert err.value.status_code == 400


def test_stored_secrets_need_a_key_when_none_is_configured(make_actions, tmp_path):
    actions = make_actions(
        echo_type(".echo"), config={"actions": {"databaseUrl": f"sqlite:///{tmp_path}/x.db"}}
    )
    with pytest.raises(ConfigError, match="no encryption key is configured"):
        actions.connectors.create(
            connector_type_id=".echo", name="x", config={"url": "u"}, secrets={"token": "b"}
        )
    assert actions.connectors.list() == []
    # a connector without secrets needs no key
    actions.connectors.create(connector_type_id=".server-log", name="log")


@pytest.mark.parametrize("bad_id", ["__proto__", "constructor"])
def test_reserved_ids_are_refused_in_the_config(make_actions, bad_id):
    with pytest.raises(ConfigError, match=f'invalid preconfigured action id "{bad_id}"'):
        make_actions(
            config={"actions": {"preconfigured": {bad_id: {"name": "x", "actionTypeId": ".x"}}}}
        )


def test_secrets_of_preconfigured_connectors_do_not_show_in_settings_reprs(actions):
    assert "pre-secret" not in repr(actions.settings)
