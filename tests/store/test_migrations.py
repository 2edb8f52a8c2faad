"""Schema migrations: versioned, applied once, in order."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from actions_core._store import (
    MIGRATIONS,
    current_version,
    metadata,
    migrate,
    open_engine,
    sqlite_url,
)


@pytest.mark.both_stores
def test_a_new_database_is_migrated_to_the_latest_version(store_url):
    engine = open_engine(store_url)
    assert current_version(engine) == len(MIGRATIONS)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"schema_migrations", "connectors", "events"} <= tables
    engine.dispose()


@pytest.mark.both_stores
def test_migrating_again_applies_nothing(store_url):
    engine = open_engine(store_url)
    assert migrate(engine) == []
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select version, name from schema_migrations")).all()
    assert [tuple(r) for r in rows] == [(i, m.__name__) for i, m in enumerate(MIGRATIONS, start=1)]
    engine.dispose()


@pytest.mark.both_stores
def test_only_pending_migrations_run_on_an_older_database(store_url, monkeypatch):
    from actions_core._store import migrations

    engine = open_engine(store_url)
    calls = []

    def m_next(conn):
        calls.append("next")
        conn.execute(sa.text("create table extra (id integer primary key)"))

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m_next])
    assert migrate(engine) == [len(MIGRATIONS) + 1]
    assert migrate(engine) == []
    assert calls == ["next"]
    assert "extra" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = open_engine(sqlite_url(tmp_path / "db.sqlite3"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


@pytest.mark.both_stores
def test_the_migrations_create_exactly_the_tables_the_code_uses(store_url):
    """migrations.py spells out its DDL apart from tables.py on purpose; this keeps them in step."""
    from actions_core.server import apikeys, sessions  # the service's tables (m002, m003)

    engine = open_engine(store_url)
    inspector = sa.inspect(engine)
    tables = [
        *metadata.sorted_tables,
        *apikeys.metadata.sorted_tables,
        *sessions.metadata.sorted_tables,
    ]
    assert {t.name for t in tables} == set(inspector.get_table_names())
    for table in tables:
        migrated = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert list(migrated) == [c.name for c in table.columns], table.name
        for column in table.columns:
            found = migrated[column.name]
            assert found["nullable"] == column.nullable, (table.name, column.name)
            # the same kind of type (PostgreSQL reflects FLOAT as DOUBLE PRECISION) and size
            where = (table.name, column.name)
            assert found["type"]._type_affinity is column.type._type_affinity, where
            assert getattr(found["type"], "length", None) == getattr(column.type, "length", None)
    engine.dispose()


@pytest.mark.both_stores
def test_a_version_2_database_with_events_upgrades_to_the_latest(store_url, monkeypatch):
    from actions_core._store import migrations

    engine = sa.create_engine(store_url)
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:2])
    assert migrate(engine) == [1, 2]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into events (timestamp_ms, action, execution_id, connector_id, "
                "action_type_id, space_id, is_preconfigured) "
                "values (1, 'execute', 'e1', 'c1', '.t', 'default', false)"
            )
        )
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    assert migrate(engine) == [3, 4]  # the sessions of the UI, then queued executions
    with engine.connect() as conn:
        assert conn.execute(sa.text("select attempt from events")).all() == [(None,)]
        assert conn.scalar(sa.text("select count(*) from executions")) == 0
    engine.dispose()
