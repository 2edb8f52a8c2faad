"""The SQL of stored connectors: writes say what happened, the service words the errors."""

from __future__ import annotations

import pytest

from actions_core._store import open_engine, sqlite_url
from actions_core._store.connectors import ConnectorRows


@pytest.fixture
def rows(tmp_path):
    engine = open_engine(sqlite_url(tmp_path / "db.sqlite3"))
    yield ConnectorRows(engine)
    engine.dispose()


def add(rows: ConnectorRows, id: str = "c1", space_id: str = "default") -> bool:
    return rows.insert(
        space_id=space_id,
        id=id,
        action_type_id=".t",
        name="n",
        config={"a": 1},
        secrets="sealed",
        now="2026-01-01T00:00:00+00:00",
    )


def test_an_id_is_unique_per_space(rows) -> None:
    assert add(rows) is True
    assert add(rows) is False
    assert add(rows, space_id="team") is True
    assert [r.space_id for r in rows.all()] == ["default", "team"]
    assert [r.id for r in rows.in_space("team")] == ["c1"]


def test_an_update_applies_only_to_the_version_it_read(rows) -> None:
    add(rows)
    row = rows.get("default", "c1")
    assert row.version == 1
    values = {"name": "m", "config": {}, "secrets": None, "now": "later"}
    assert rows.update("default", "c1", version=1, **values) is True
    assert rows.update("default", "c1", version=1, **values) is False  # someone else won
    assert rows.get("default", "c1").version == 2


def test_rotation_replaces_only_the_sealed_secrets(rows) -> None:
    add(rows)
    rows.set_secrets("default", "c1", "resealed")
    row = rows.get("default", "c1")
    assert (row.secrets, row.name, row.version) == ("resealed", "n", 1)


def test_delete_says_whether_there_was_a_row(rows) -> None:
    add(rows)
    assert rows.delete("default", "c1") is True
    assert rows.delete("default", "c1") is False
    assert rows.get("default", "c1") is None
