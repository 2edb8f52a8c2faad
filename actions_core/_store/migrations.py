"""Schema migrations: ordered functions, each applied once and recorded with its version.

Each migration spells out the DDL of its own time (it does not reuse ``tables.py``), so an old
database upgrades through exactly the steps a new one went through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from actions_core._store.tables import schema_migrations

Migration = Callable[[sa.Connection], None]


def m001_connectors_and_events(conn: sa.Connection) -> None:
    meta = sa.MetaData()
    sa.Table(
        "connectors",
        meta,
        sa.Column("space_id", sa.String(100), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("action_type_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("secrets", sa.Text, nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    events = sa.Table(
        "events",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("execution_id", sa.String(36), nullable=False),
        sa.Column("connector_id", sa.String(64), nullable=False),
        sa.Column("connector_name", sa.Text, nullable=True),
        sa.Column("action_type_id", sa.String(255), nullable=False),
        sa.Column("space_id", sa.String(100), nullable=False),
        sa.Column("is_preconfigured", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("user", sa.String(255), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("prompt_tokens", sa.Integer, nullable=True),
        sa.Column("completion_tokens", sa.Integer, nullable=True),
        sa.Column("total_tokens", sa.Integer, nullable=True),
        sa.Column("usage_estimated", sa.Boolean, nullable=True),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column("request_body_bytes", sa.BigInteger, nullable=True),
    )
    sa.Index("ix_events_connector_time", events.c.connector_id, events.c.timestamp_ms)
    sa.Index("ix_events_time", events.c.timestamp_ms)
    sa.Index("ix_events_execution", events.c.execution_id)
    meta.create_all(conn)


def m002_api_keys(conn: sa.Connection) -> None:
    """API keys of the HTTP service: only a SHA-256 hash of each key is stored.

    The table is the service's (its definition and SQL: ``actions_core.server.apikeys``); it is
    created here because a database has one ordered migration history, whichever of the
    library, the CLI or the service opens it first.
    """
    meta = sa.MetaData()
    api_keys = sa.Table(
        "api_keys",
        meta,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.Text, nullable=True),
        sa.Column("revoked_at", sa.String(40), nullable=True),
    )
    sa.Index("ix_api_keys_revoked", api_keys.c.revoked_at)
    meta.create_all(conn)


def m003_sessions(conn: sa.Connection) -> None:
    """Sign-in sessions of the browser UI (the code's table: ``actions_core.server.sessions``);
    only a SHA-256 hash of each session id is stored."""
    meta = sa.MetaData()
    sessions = sa.Table(
        "sessions",
        meta,
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("api_key_id", sa.String(64), nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    sa.Index("ix_sessions_expires", sessions.c.expires_ms)
    meta.create_all(conn)


def m004_queued_executions(conn: sa.Connection) -> None:
    """Queued executions, and the attempt and schedule delay of each event record."""
    meta = sa.MetaData()
    executions = sa.Table(
        "executions",
        meta,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("space_id", sa.String(100), nullable=False),
        sa.Column("connector_id", sa.String(64), nullable=False),
        sa.Column("action_type_id", sa.String(255), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("user", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("queued_at_ms", sa.BigInteger, nullable=False),
        sa.Column("run_at_ms", sa.BigInteger, nullable=False),
        sa.Column("started_at_ms", sa.BigInteger, nullable=True),
        sa.Column("finished_at_ms", sa.BigInteger, nullable=True),
        sa.Column("lease_until_ms", sa.BigInteger, nullable=True),
    )
    sa.Index("ix_executions_status_run_at", executions.c.status, executions.c.run_at_ms)
    sa.Index("ix_executions_connector", executions.c.connector_id, executions.c.queued_at_ms)
    meta.create_all(conn)
    for column in ("attempt INTEGER", "schedule_delay_ms FLOAT"):
        conn.execute(sa.text(f"ALTER TABLE events ADD COLUMN {column}"))


#: Append new migrations at the end; never edit or reorder a released one.
MIGRATIONS: list[Migration] = [
    m001_connectors_and_events,
    m002_api_keys,
    m003_sessions,
    m004_queued_executions,
]


def migrate(engine: sa.Engine) -> list[int]:
    """Apply pending migrations in order; returns the versions applied."""
    schema_migrations.create(engine, checkfirst=True)
    applied: list[int] = []
    with engine.begin() as conn:
        done = set(conn.scalars(sa.select(schema_migrations.c.version)))
        for version, migration in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            migration(conn)
            conn.execute(
                schema_migrations.insert().values(
                    version=version,
                    name=migration.__name__,
                    applied_at=datetime.now(UTC).isoformat(),
                )
            )
            applied.append(version)
    return applied


def current_version(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.max(schema_migrations.c.version))) or 0
