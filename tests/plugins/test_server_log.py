"""The built-in .server-log type."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def log_connector(make_actions):
    actions = make_actions()
    connector = actions.connectors.create(connector_type_id=".server-log", name="log")
    return actions, connector.id


def test_it_is_discovered_through_its_entry_point(log_connector):
    actions, _ = log_connector
    [info] = actions.types()
    assert (info.id, info.name, info.plugin) == (".server-log", "Server log", "server-log")


def test_it_logs_the_message_at_the_default_info_level(log_connector, caplog):
    actions, cid = log_connector
    with caplog.at_level(logging.DEBUG, logger="actions_core.server_log"):
        result = actions.execute(cid, {"message": "disk almost full"})
    assert result.status == "ok"
    assert result.data is None
    [record] = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.INFO, "Server log: disk almost full")


@pytest.mark.parametrize(
    ("level", "levelno"), [("debug", logging.DEBUG), ("warn", logging.WARNING), ("fatal", 50)]
)
def test_it_logs_at_the_requested_level(log_connector, caplog, level, levelno):
    actions, cid = log_connector
    with caplog.at_level(logging.DEBUG, logger="actions_core.server_log"):
        actions.execute(cid, {"message": "m", "level": level})
    assert caplog.records[0].levelno == levelno


def test_bad_params_name_the_field(log_connector):
    actions, cid = log_connector
    result = actions.execute(cid, {"message": "", "level": "loud"})
    assert result.status == "error"
    assert "[message]: value has length [0]" in result.message
    assert "[level]: expected one of [trace, debug, info, warn, error, fatal]" in result.message


def test_it_takes_no_config_or_secrets(make_actions):
    from actions_core import ValidationError

    actions = make_actions()
    with pytest.raises(ValidationError, match=r"\[url\]: definition for this key is missing"):
        actions.connectors.create(connector_type_id=".server-log", name="x", config={"url": "u"})
