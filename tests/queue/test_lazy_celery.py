"""Celery is imported only when something is queued: start-up and ``execute`` stay as cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import sys
import actions_core
from actions_core import Actions
from tests.support import KEY
actions = Actions(sys.argv[1], {"actions": {"encryptionKey": KEY}})
actions.types(); actions.connectors.list(); actions.executions.list()
print("celery" in sys.modules, "kombu" in sys.modules)
actions.enqueue
actions.close()
"""


def test_creating_actions_and_reading_executions_does_not_import_celery(tmp_path):
    found = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "ACTIONS_PLUGINS": "server-log", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["False", "False"]
