"""A real version-1 database (``fixtures/v1.sqlite3``, made by ``fixtures/make_v1.py`` with the
first migration and the key-sealing code) upgrades to the current schema and reads back whole:
connectors with their encrypted secrets, events and token usage."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from actions_core import Actions
from actions_core._store import MIGRATIONS, current_version
from tests.store.fixtures.make_v1 import CONNECTORS, T0
from tests.support import KEY

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "v1.sqlite3"


@pytest.fixture
def upgraded(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log,webhook,openai")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(FIXTURE, data_dir / "actions.sqlite3")
    engine = sa.create_engine(f"sqlite:///{data_dir / 'actions.sqlite3'}")
    assert current_version(engine) == 1  # what the fixture is
    engine.dispose()
    actions = Actions(data_dir=data_dir, config={"actions": {"encryptionKey": KEY}})
    yield actions
    actions.close()


def test_it_is_migrated_to_the_latest_version(upgraded):
    assert current_version(upgraded.engine) == len(MIGRATIONS)
    assert "api_keys" in sa.inspect(upgraded.engine).get_table_names()


def test_every_connector_reads_back_with_its_secrets(upgraded):
    for space, id, type_id, name, config, secrets in CONNECTORS:
        connector = upgraded.connectors.get(id, space_id=space)
        assert (connector.name, connector.connector_type_id) == (name, type_id)
        assert connector.is_missing_secrets is False
        for key, value in config.items():
            assert connector.config[key] == value
        assert upgraded.connectors.resolve(id, space_id=space).secrets == secrets
    assert {c.id for c in upgraded.connectors.list()} == {"log-1", "hook-1"}
    assert [c.id for c in upgraded.connectors.list(space_id="team")] == ["gpt-1"]


def test_events_and_usage_read_back(upgraded):
    events = upgraded.recent_events(limit=100)
    assert len(events) == 6
    assert {(e.connector_id, e.action) for e in events} == {
        (id, action) for _, id, *_ in CONNECTORS for action in ("execute-start", "execute")
    }
    start = datetime.fromtimestamp(T0 / 1000 - 3600, UTC)
    report = upgraded.events.usage(connector_id="gpt-1", start=start)
    assert report.totals.total_tokens == 20
    assert report.totals.prompt_tokens == 12


def test_the_upgraded_store_keeps_working(upgraded):
    assert upgraded.execute("log-1", {"message": "after the upgrade"}).status == "ok"
    upgraded.connectors.update("hook-1", name="Renamed hook")
    assert upgraded.connectors.resolve("hook-1").secrets["password"] == "v1-webhook-password"
    assert upgraded.connectors.get("hook-1").name == "Renamed hook"
