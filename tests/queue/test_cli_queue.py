"""``actions enqueue`` and ``actions executions`` against the embedded default."""

from __future__ import annotations

import json

from click.testing import CliRunner

from actions_core import Actions
from actions_core.cli import cli
from tests.queue.support import embedded_worker, queue_config


def run(data_dir, *args):
    env = {"ACTIONS_ENCRYPTION_KEY": queue_config()["actions"]["encryptionKey"]}
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], env=env)


def test_enqueue_then_list_and_get(tmp_path):
    data = tmp_path / "data"
    with Actions(data, queue_config()) as worker_side:
        cid = worker_side.connectors.create(connector_type_id=".server-log", name="log").id
        queued = run(data, "enqueue", cid, "--params", '{"message": "from the cli"}')
        assert queued.exit_code == 0, queued.output
        eid = queued.stdout.strip()
        listed = run(data, "executions", "list", "--status", "queued")
        assert eid in listed.output and "queued" in listed.output
        with embedded_worker(worker_side):
            waited = run(
                data, "enqueue", cid, "--params", '{"message": "x"}', "--wait", "20", "--json"
            )
            worker_side.executions.wait(eid, timeout=20)
        assert waited.exit_code == 0, waited.output
        assert json.loads(waited.stdout)["status"] == "succeeded"
        shown = json.loads(run(data, "executions", "get", eid, "--json").stdout)
        assert "status: succeeded" in run(data, "executions", "get", eid).stdout
        assert (shown["id"], shown["status"], shown["attempts"]) == (eid, "succeeded", 1)
        assert run(data, "executions", "get", "nope").exit_code == 1


def test_enqueue_refuses_bad_params_json(tmp_path):
    result = run(tmp_path / "data", "enqueue", "c", "--params", "{not json")
    assert result.exit_code == 2
    assert "not valid JSON" in result.output
