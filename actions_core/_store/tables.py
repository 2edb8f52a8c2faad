"""The core's tables as the code reads and writes them (the migrations create them).

The HTTP service's ``api_keys`` table is created by migration ``m002`` like every table of the
database, but its definition and its SQL belong to the service (``actions_core.server.apikeys``).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

connectors = sa.Table(
    "connectors",
    metadata,
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
    metadata,
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
    # queued executions (migration 4): the attempt number and enqueue-to-start delay
    sa.Column("attempt", sa.Integer, nullable=True),
    sa.Column("schedule_delay_ms", sa.Float, nullable=True),
)

#: Queued executions (``Actions.enqueue``): the source of truth of every queued run. The broker
#: only carries an execution's id; params live here, secrets stay with the connector.
executions = sa.Table(
    "executions",
    metadata,
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
