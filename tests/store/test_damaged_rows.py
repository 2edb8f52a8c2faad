"""Reading never fails on a stored row: a row that cannot be shown whole is shown with what can
be, and logged. The rows here are written for real with sqlite3, as a database written before
the checks existed (or by another program) may hold them."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3

import pytest

from actions_core.testing import api_client
from tests.support import echo_type

DAMAGED = {
    "infinite": '{"url": "https://x", "temperature": Infinity, "deep": [-Infinity, NaN]}',
    "undecodable": '{"url": "https://x", ',
    "not-an-object": "[1, 2]",
}


@pytest.fixture
def damaged(make_actions, tmp_path):
    data_dir = tmp_path / "data"
    actions = make_actions(echo_type(".echo"), data_dir=data_dir)
    for id in ["good", *DAMAGED]:
        actions.connectors.create(
            connector_type_id=".echo",
            name=id,
            id=id,
            config={"url": "https://x"},
            secrets={"token": "t0ken-value"},
        )
    with contextlib.closing(sqlite3.connect(data_dir / "actions.sqlite3")) as db:
        for id, text in DAMAGED.items():
            db.execute("UPDATE connectors SET config = ? WHERE id = ?", (text, id))
        db.commit()
    actions.connectors.invalidate()
    return actions


def test_list_and_get_show_what_can_be_shown_and_log_the_rest(damaged, caplog):
    with caplog.at_level(logging.WARNING, logger="actions_core.connectors"):
        listed = {c.id: c for c in damaged.connectors.list()}
        got = {id: damaged.connectors.get(id) for id in ["good", *DAMAGED]}
    assert set(listed) == {"good", *DAMAGED}
    assert got["good"].config == {"url": "https://x", "model": "small"}
    # non-finite numbers show as null (JSON has no other way to say them); the rest is kept
    assert got["infinite"].config == {"url": "https://x", "temperature": None, "deep": [None, None]}
    assert got["undecodable"].config == {}
    assert got["not-an-object"].config == {}
    for connector in got.values():
        json.dumps(connector.to_api(), allow_nan=False)  # every one can be answered
    for id in DAMAGED:
        assert f"connector {id}" in caplog.text
    assert "good" not in caplog.text


def test_the_http_list_and_get_answer_200(damaged):
    with api_client(damaged) as http:
        listed = http.get("/api/actions/connectors")
        assert listed.status_code == 200, listed.text
        assert {c["id"] for c in listed.json()} == {"good", *DAMAGED}
        for id in ["good", *DAMAGED]:
            got = http.get(f"/api/actions/connector/{id}")
            assert got.status_code == 200, got.text
        assert http.get("/api/actions/connector/infinite").json()["config"]["temperature"] is None


def test_executing_a_damaged_connector_is_an_error_result_not_a_crash(damaged):
    result = damaged.execute("undecodable", {"text": "x"})
    assert result.status == "error"
    assert "url" in result.message


def test_a_damaged_row_can_be_repaired_by_an_update_and_deleted(damaged):
    damaged.connectors.update("undecodable", config={"url": "https://y"})
    assert damaged.connectors.get("undecodable").config["url"] == "https://y"
    damaged.connectors.delete("infinite")
    assert {c.id for c in damaged.connectors.list()} == {"good", "undecodable", "not-an-object"}
