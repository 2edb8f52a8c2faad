"""Two processes creating, updating and executing on one PostgreSQL store lose nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from actions_core import Actions
from tests.support import KEY, TypesPlugin, echo_type

COUNT = 15
ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_writing_at_once_lose_nothing(postgres_url, tmp_path):
    settings = {"actions": {"encryptionKey": KEY, "databaseUrl": postgres_url}}
    plugins = [TypesPlugin(echo_type(".echo"))]
    with Actions(tmp_path, settings, plugins=plugins) as actions:
        shared = actions.connectors.create(
            connector_type_id=".echo",
            name="shared",
            config={"url": "https://example.com"},
            secrets={"token": "t"},
        )
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.store.concurrent_writer",
                postgres_url,
                str(tmp_path / name),
                name,
                str(COUNT),
                shared.id,
            ],
            cwd=ROOT,
        )
        for name in ("a", "b")
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0

    with Actions(tmp_path, settings, plugins=plugins) as actions:
        names = {c.name for c in actions.connectors.list()}
        expected = {f"{p}-{i}-renamed" for p in "ab" for i in range(COUNT)}
        assert expected <= names
        assert len(names) == 2 * COUNT + 1
        # every rename of the shared connector was applied: one version per update
        from actions_core._store.tables import connectors as table

        with actions.engine.connect() as conn:
            version = conn.scalar(
                table.select().with_only_columns(table.c.version).where(table.c.id == shared.id)
            )
        assert version == 1 + 2 * COUNT
        executed = actions.recent_events(action="execute", limit=1000)
        assert len(executed) == 2 * COUNT
        assert all(event.outcome == "success" for event in executed)
