"""Server-side sign-in sessions and the failed-login throttle."""

from __future__ import annotations

import sqlalchemy as sa

from actions_core._store import open_engine, sqlite_url
from actions_core.server.auth import Principal
from actions_core.server.sessions import SessionStore, sessions
from actions_core.server.throttle import LoginThrottle

ALICE = Principal("alice", "all", "basic")


def test_a_session_is_stored_as_a_hash_and_ends_on_logout(tmp_path) -> None:
    engine = open_engine(sqlite_url(tmp_path / "db.sqlite3"))
    store = SessionStore(engine, lifetime=60)
    session_id, session = store.create(ALICE)
    found = store.get(session_id)
    assert found is not None and found.principal == ALICE
    assert found.csrf_token == session.csrf_token
    with engine.connect() as conn:
        stored = conn.execute(sa.text("select * from sessions")).mappings().one()
    assert session_id not in str(dict(stored))
    assert store.get("another id") is None
    store.delete(session_id)
    assert store.get(session_id) is None
    engine.dispose()


def test_sessions_expire(tmp_path) -> None:
    engine = open_engine(sqlite_url(tmp_path / "db.sqlite3"))
    store = SessionStore(engine, lifetime=0.001)
    session_id, _ = store.create(ALICE)
    assert store.get(session_id) is None
    engine.dispose()


def test_the_migration_creates_the_table_the_code_uses(tmp_path) -> None:
    engine = open_engine(sqlite_url(tmp_path / "db.sqlite3"))
    migrated = {c["name"]: c for c in sa.inspect(engine).get_columns("sessions")}
    assert list(migrated) == [c.name for c in sessions.columns]
    for column in sessions.columns:
        assert migrated[column.name]["nullable"] == column.nullable
        assert migrated[column.name]["type"].compile(engine.dialect) == column.type.compile(
            engine.dialect
        )
    engine.dispose()


def test_repeated_failures_are_slowed_down_and_a_success_clears_them() -> None:
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    delays = [throttle.failed("1.2.3.4", "alice") for _ in range(7)]
    assert delays == [0.0, 0.0, 0.0, 0.5, 1.0, 2.0, 4.0]
    assert throttle.failed("5.6.7.8", "alice") == 0.0  # another client is not slowed
    throttle.succeeded("1.2.3.4", "alice")
    assert throttle.failed("1.2.3.4", "alice") == 0.0
    now[0] += 10_000  # the window passed
    for _ in range(3):
        throttle.failed("5.6.7.8", "alice")
    assert throttle.failed("5.6.7.8", "alice") == 0.5
