"""The example's types through the Python API, on the kit's ``actions`` fixture."""

from __future__ import annotations

import actions_core_example
import pytest

import actions_core
from actions_core.testing import make_actions


def test_greeting(actions):
    connector = actions.connectors.create(
        connector_type_id="example.greeting", name="greeter", secrets={"token": "t0k3n"}
    )
    assert connector.config == {"greeting": "Hello"}  # the schema's default

    result = actions.execute(connector.id, {"name": "Ada"})

    assert result.status == "ok"
    assert result.data == {"message": "Hello, Ada!"}


def test_long_greeting_is_rejected(actions):
    with pytest.raises(actions_core.ValidationError) as caught:
        actions.connectors.create(
            connector_type_id="example.greeting", name="greeter", config={"greeting": "x" * 41}
        )
    assert caught.value.message.startswith("error validating connector type config: [greeting]")
    assert [field for field, _ in caught.value.problems] == ["greeting"]


def test_missing_name_names_the_field(actions):
    connector = actions.connectors.create(connector_type_id="example.greeting", name="greeter")

    result = actions.execute(connector.id, {})

    assert result.status == "error"
    assert result.message == (
        "error validating action params: [name]: expected value of type [string] but got "
        "[undefined]"
    )


def test_the_token_appears_in_no_result_or_event(actions):
    connector = actions.connectors.create(
        connector_type_id="example.greeting", name="greeter", secrets={"token": "t0k3n-s3cret"}
    )
    result = actions.execute(connector.id, {"name": "Ada"})

    seen = repr(result.to_api()) + repr([e.to_dict() for e in actions.recent_events()])
    assert "t0k3n-s3cret" not in seen


def test_shout_streams_words(actions):
    connector = actions.connectors.create(connector_type_id="example.shout", name="shouter")

    result = actions.execute(
        connector.id, {"subAction": "stream", "subActionParams": {"text": "one two three"}}
    )

    assert list(result.data) == ["one", "two", "three"]
    [event] = actions.recent_events(connector.id, action="execute")
    assert event.outcome == "success"


def test_only_the_example_without_builtins(tmp_path):
    with make_actions(tmp_path, plugins=[actions_core_example], builtins=False) as actions:
        types = {t.id: t.plugin for t in actions.types()}

    assert types == {
        "example.greeting": "actions_core_example",
        "example.shout": "actions_core_example",
    }
