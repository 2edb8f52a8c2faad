"""Testing a plugin in-process: hand the module to ``Actions`` instead of installing it.

``load_entry_points=False`` keeps the test hermetic (no other installed plugin is loaded) and
avoids registering this plugin twice when it is also installed.
"""

from __future__ import annotations

import actions_core_example
import pytest

import actions_core

KEY = "example-plugin-test-key-0123456789abcdef"  # any string of at least 32 characters


@pytest.fixture
def actions(tmp_path):
    with actions_core.Actions(
        data_dir=tmp_path,
        config={"actions": {"encryptionKey": KEY}},
        plugins=[actions_core_example],
        load_entry_points=False,
    ) as actions:
        yield actions


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


def test_shout_streams_words(actions):
    connector = actions.connectors.create(connector_type_id="example.shout", name="shouter")

    result = actions.execute(
        connector.id, {"subAction": "stream", "subActionParams": {"text": "one two three"}}
    )

    assert list(result.data) == ["one", "two", "three"]
    [event] = actions.recent_events(connector.id, action="execute")
    assert event.outcome == "success"
