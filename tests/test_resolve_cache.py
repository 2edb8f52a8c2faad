"""The executor's connector cache: reused within its TTL, dropped on this process's writes."""

from __future__ import annotations

import time

import pytest

from actions_core import NotFoundError
from tests.support import KEY, echo_type

pytestmark = pytest.mark.both_stores


def _create(actions, **fields):
    return actions.connectors.create(
        connector_type_id=".echo",
        name="echo",
        config={"url": "https://example.com"},
        secrets={"token": "one"},
        id="cached",
        **fields,
    )


@pytest.fixture
def actions(make_actions):
    return make_actions(echo_type(".echo"))


def test_a_second_execution_reuses_the_resolved_connector(actions):
    _create(actions)
    first = actions.connectors.resolve("cached")
    assert actions.connectors.resolve("cached") is first
    actions.execute("cached", {"text": "hi"})
    assert actions.connectors.resolve("cached").validated  # validated once, then reused


def test_updates_are_seen_at_once_by_the_writing_process(actions):
    _create(actions)
    assert actions.execute("cached", {"text": "hi"}).data["config"]["url"] == (
        "https://example.com"
    )
    actions.connectors.update("cached", config={"url": "https://example.org"})
    result = actions.execute("cached", {"text": "hi"})
    assert result.data["config"]["url"] == "https://example.org"


def test_secrets_changes_and_rotation_are_seen_at_once(actions):
    _create(actions)
    actions.connectors.resolve("cached")
    actions.connectors.update("cached", secrets={"token": "two"})
    assert actions.connectors.resolve("cached").secrets == {"token": "two"}
    actions.connectors.resolve("cached")
    actions.rotate_secrets()
    assert len(actions.connectors._cache) == 0


def test_a_deleted_connector_is_not_found_at_once(actions):
    _create(actions)
    actions.execute("cached", {"text": "hi"})
    actions.connectors.delete("cached")
    with pytest.raises(NotFoundError):
        actions.execute("cached", {"text": "hi"})


def test_an_executor_changing_its_config_does_not_change_the_cache(make_actions):
    def run(ctx):
        ctx.config["url"] = "changed"
        ctx.secrets["token"] = "changed"
        return {"url": ctx.config["url"]}

    actions = make_actions(echo_type(".echo", executor=run))
    _create(actions)
    actions.execute("cached", {"text": "hi"})
    resolved = actions.connectors.resolve("cached")
    assert resolved.validated[".echo"][0]["url"] == "https://example.com"
    assert resolved.validated[".echo"][1]["token"] == "one"


def test_another_actions_on_the_same_database_sees_writes_within_the_ttl(make_actions, tmp_path):
    writer = make_actions(echo_type(".echo"))
    reader = make_actions(echo_type(".echo"), data_dir=tmp_path / "data")
    reader.connectors.cache_ttl = 0.2
    _create(writer)
    assert reader.execute("cached", {"text": "hi"}).data["config"]["url"] == ("https://example.com")
    writer.connectors.update("cached", config={"url": "https://example.org"})
    time.sleep(0.25)
    assert reader.execute("cached", {"text": "hi"}).data["config"]["url"] == ("https://example.org")
    writer.connectors.delete("cached")
    time.sleep(0.25)
    with pytest.raises(NotFoundError):
        reader.execute("cached", {"text": "hi"})


def test_with_a_shared_store_another_writers_changes_are_seen_at_once(make_actions, tmp_path):
    """``actions serve --workers N``: the cache is used only while the row's version holds."""
    writer = make_actions(echo_type(".echo"))
    reader = make_actions(echo_type(".echo"), data_dir=tmp_path / "data")
    reader.connectors.shared_store = True
    _create(writer)
    first = reader.connectors.resolve("cached")
    assert reader.connectors.resolve("cached") is first  # unchanged row: the cached copy
    writer.connectors.update("cached", config={"url": "https://example.org"})
    assert reader.execute("cached", {"text": "hi"}).data["config"]["url"] == ("https://example.org")
    writer.connectors.delete("cached")
    with pytest.raises(NotFoundError):
        reader.execute("cached", {"text": "hi"})


def test_a_zero_ttl_turns_the_cache_off(make_actions):
    actions = make_actions(echo_type(".echo"), config={"actions": {"encryptionKey": KEY}})
    actions.connectors.cache_ttl = 0
    _create(actions)
    assert actions.connectors.resolve("cached") is not actions.connectors.resolve("cached")


def test_preconfigured_connectors_are_resolved_and_validated_once(make_actions):
    def run(ctx):
        seen = dict(ctx.config)
        ctx.config["url"] = "changed"
        return seen

    pre = {"name": "Pre", "actionTypeId": ".echo", "config": {"url": "https://pre.example"}}
    pre["secrets"] = {"token": "t"}
    actions = make_actions(
        echo_type(".echo", executor=run),
        config={"actions": {"encryptionKey": KEY, "preconfigured": {"pre": pre}}},
    )
    resolved = actions.connectors.resolve("pre")
    assert actions.connectors.resolve("pre") is resolved
    first = actions.execute("pre", {"text": "hi"})
    assert resolved.validated
    second = actions.execute("pre", {"text": "hi"})
    assert first.data == second.data == {"url": "https://pre.example", "model": "small"}
