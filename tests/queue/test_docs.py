"""docs/scale-out.md's compose file uses settings that exist."""

from __future__ import annotations

from pathlib import Path

import yaml

from actions_core.settings import ENV_VARS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_compose_file_runs_service_workers_redis_and_postgres_with_real_settings():
    compose = yaml.safe_load((DOCS / "compose.yaml").read_text())
    assert set(compose["services"]) == {"service", "worker", "redis", "postgres"}
    env = compose["services"]["worker"]["environment"]
    assert set(env) - {"ACTIONS_DATA_DIR"} <= set(ENV_VARS)
    assert env["ACTIONS_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["ACTIONS_QUEUE_BROKER_URL"].startswith("redis://")
    assert "actions worker" in compose["services"]["worker"]["command"]
    assert "actions serve" in compose["services"]["service"]["command"]
    assert "compose.yaml" in (DOCS / "scale-out.md").read_text()
