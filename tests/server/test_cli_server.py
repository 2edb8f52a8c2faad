"""The command line of the service: ``actions serve``, ``actions api-keys``, ``actions users``
and the per-API-key part of ``actions usage``."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from actions_core import Actions
from actions_core.server import verify_password
from tests.server.support import RunningServer, clean_env
from tests.server.test_kibana_contract import actions_command
from tests.support import KEY


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    from actions_core.cli import cli

    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log")
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
    monkeypatch.delenv("COLUMNS", raising=False)

    def invoke(*args: str, input: str | None = None) -> Result:
        argv = ["--data-dir", str(tmp_path / "data"), *args]
        return CliRunner().invoke(cli, argv, input=input, catch_exceptions=False)

    return invoke


def serve(workdir: Path, *extra: str) -> RunningServer:
    env = clean_env(ACTIONS_DATA_DIR=str(workdir / "data"))
    command = [*actions_command(), "serve", "--host", "127.0.0.1", "--port", "0", *extra]
    return RunningServer(command, workdir, env)


def test_serve_on_the_embedded_default_creates_one_key_and_says_how_to_call(tmp_path: Path) -> None:
    first = serve(tmp_path)
    try:
        key_file = tmp_path / "data" / "api-key"
        encoded = key_file.read_text().strip()
        assert key_file.stat().st_mode & 0o777 == 0o600
        output = "\n".join(first.lines)
        assert 'created the API key "initial" (role all)' in output
        assert f"  {encoded}" in first.lines
        auth = f'"Authorization: ApiKey $(cat {key_file})"'
        assert f"curl -s -H {auth} {first.url}/api/actions/connectors" in output
        assert f"Token usage dashboard: {first.url}/app/connectors" in output
        response = httpx.get(
            f"{first.url}/api/actions/connectors",
            headers={"Authorization": f"ApiKey {encoded}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert (tmp_path / "data" / "encryption.key").is_file()  # the embedded default
    finally:
        assert first.stop() in (0, -signal.SIGTERM)

    again = serve(tmp_path, "--public-base-url", "https://actions.example")
    try:
        output = "\n".join(again.lines)
        assert "created the API key" not in output
        assert encoded not in output
        assert key_file.read_text().strip() == encoded
        assert "Token usage dashboard: https://actions.example/app/connectors" in output
    finally:
        again.stop()


def test_api_keys_create_list_revoke(run) -> None:
    created = run("api-keys", "create", "--name", "ci", "--role", "read", "--json")
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["role"] == "read" and key["name"] == "ci" and key["revoked"] is False
    assert key["encoded"] and key["api_key"]

    human = run("api-keys", "create", "--name", "admin", "--role", "all")
    assert "It is shown only this once" in human.stdout
    assert "Authorization: ApiKey " in human.stdout

    listed = run("api-keys", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [r["name"] for r in rows] == ["ci", "admin"]
    assert key["api_key"] not in listed.stdout
    table = run("api-keys", "list").stdout
    assert key["id"] in table and key["api_key"] not in table

    refused = run("api-keys", "revoke", key["id"])  # stdin is not a terminal: no --yes, no
    assert refused.exit_code == 2 and 'not going to revoke API key "ci"' in refused.stderr
    assert json.loads(run("api-keys", "list", "--json").stdout)[0]["revoked"] is False
    revoked = run("api-keys", "revoke", key["id"], "--yes")
    assert revoked.exit_code == 0
    assert f'Revoked API key "ci" ({key["id"]})' in revoked.stdout
    assert json.loads(run("api-keys", "list", "--json").stdout)[0]["revoked"] is True
    missing = run("api-keys", "revoke", "nope", "--yes")
    assert missing.exit_code == 1
    assert "API key [nope] not found" in missing.output


def test_api_keys_refuse_unknown_roles(run) -> None:
    assert run("api-keys", "create", "--name", "x", "--role", "admin").exit_code == 2


def test_users_hash_password_reads_stdin(run) -> None:
    result = run("users", "hash-password", input="correct horse\n")
    assert result.exit_code == 0, result.output
    encoded = result.stdout.strip().splitlines()[-1]
    assert verify_password("correct horse", encoded)
    assert "correct horse" not in result.stdout


def test_usage_shows_per_api_key_and_per_model_sums(run, tmp_path: Path) -> None:
    with Actions(data_dir=tmp_path / "data", config={"actions": {"encryptionKey": KEY}}) as actions:
        for user, total in (("api_key:abc123", 30), ("alice", 12)):
            actions.events.record(
                action="execute",
                execution_id=f"e-{user}",
                connector_id="c1",
                action_type_id=".gen-ai",
                space_id="default",
                is_preconfigured=False,
                user=user,
                outcome="success",
                prompt_tokens=total - 2,
                completion_tokens=2,
                total_tokens=total,
                usage_estimated=user == "alice",
                model="gpt-x",
            )
    output = run("usage").stdout
    assert "Per API key" in output and "Per model" in output
    line = next(row for row in output.splitlines() if "(deleted key)" in row)
    assert [c.strip() for c in line.split("│")[1:-1]] == [
        "(deleted key)",
        "1",
        "28",
        "2",
        "30",
        "30",
        "0",
    ]
    line = next(row for row in output.splitlines() if "alice" in row)
    assert [c.strip() for c in line.split("│")[1:-1]] == ["alice", "1", "10", "2", "12", "0", "12"]
    report = json.loads(run("usage", "--json").stdout)
    assert [k["user"] for k in report["by_api_key"]] == ["api_key:abc123", "alice"]
    assert report["by_model"][0] == {
        "model": "gpt-x",
        "executions": 2,
        "prompt_tokens": 38,
        "completion_tokens": 4,
        "total_tokens": 42,
        "reported_total_tokens": 30,
        "estimated_total_tokens": 12,
    }


def _record_usage(data_dir: Path, connector_id: str, space: str, user: str, total: int) -> None:
    """An ``execute`` record with token usage, as a gen-AI connector would leave it."""
    with Actions(data_dir=data_dir) as actions:
        actions.events.record(
            action="execute",
            execution_id=f"e-{connector_id}-{user}",
            connector_id=connector_id,
            action_type_id=".server-log",
            space_id=space,
            is_preconfigured=False,
            user=user,
            outcome="success",
            prompt_tokens=total - 3,
            completion_tokens=3,
            total_tokens=total,
            usage_estimated=False,
            model="gpt-x",
        )


def test_usage_json_is_exactly_the_http_usage_body(run, tmp_path: Path, monkeypatch) -> None:
    """One report: the same filters (--space, --from, --to, --interval incl. minute) give the
    same body as ``GET …/_usage``, API key names included."""
    monkeypatch.delenv("ACTIONS_ENCRYPTION_KEY")  # the service's key file, as `serve` uses it
    server = serve(tmp_path)
    try:
        encoded = (tmp_path / "data" / "api-key").read_text().strip()
        headers = {"Authorization": f"ApiKey {encoded}", "kbn-xsrf": "true"}
        body = {"name": "Team log", "connector_type_id": ".server-log"}
        for prefix in ("", "/s/team"):
            url = f"{server.url}{prefix}/api/actions/connector/log"
            assert httpx.post(url, headers=headers, json=body, timeout=10).status_code == 200
        key_id = json.loads(run("api-keys", "list", "--json").stdout)[0]["id"]
        _record_usage(tmp_path / "data", "log", "team", f"api_key:{key_id}", 40)
        _record_usage(tmp_path / "data", "log", "default", "bob", 7)

        query = {"from": "now-90m", "to": "now+1m", "interval": "minute"}
        for when in ("from", "to"):  # absolute times, so both views see one range
            query[when] = json.loads(
                run("usage", "--json", "--from", query["from"], "--to", query["to"]).stdout
            )[when]
        for space, prefix in (("team", "/s/team"), ("default", "")):
            http = httpx.get(
                f"{server.url}{prefix}/api/actions/connector/log/_usage",
                params=query,
                headers=headers,
                timeout=10,
            )
            assert http.status_code == 200, http.text
            options = ["--from", query["from"], "--to", query["to"], "--interval", "minute"]
            cli = run("usage", "--json", "--connector", "log", "--space", space, *options)
            assert cli.exit_code == 0, cli.output
            assert json.loads(cli.stdout) == http.json()
        team = json.loads(
            run("usage", "--json", "--connector", "log", "--space", "team", *options).stdout
        )
        assert team["by_api_key"][0]["name"] == "initial"
        assert team["totals"]["total_tokens"] == 40
        assert [b["end"] for b in team["buckets"][:1]] == [team["buckets"][1]["start"]]
        assert len(team["buckets"]) in (91, 92)  # one per minute of the 91 minutes
    finally:
        server.stop()


def test_usage_table_is_drawn_from_the_json_body(run, tmp_path: Path) -> None:
    with Actions(data_dir=tmp_path / "data", config={"actions": {"encryptionKey": KEY}}) as actions:
        actions.connectors.create(connector_type_id=".server-log", name="Log", id="log")
    _record_usage_with_key(tmp_path / "data", "log")
    body = json.loads(run("usage", "--json", "--connector", "log", "--from", "now-2h").stdout)
    table = run("usage", "--connector", "log", "--from", "now-2h").stdout
    total = next(line for line in table.splitlines() if "total" in line).split("│")
    sums = body["totals"]
    assert [c.strip() for c in total[1:-1]] == ["total", *(str(v) for v in sums.values())]
    assert "Token usage per day (log)" in table
    assert body["from"][:16].replace("T", " ") in table


def _record_usage_with_key(data_dir: Path, connector_id: str) -> None:
    with Actions(data_dir=data_dir, config={"actions": {"encryptionKey": KEY}}) as actions:
        actions.events.record(
            action="execute",
            execution_id="e-1",
            connector_id=connector_id,
            action_type_id=".server-log",
            space_id="default",
            is_preconfigured=False,
            outcome="success",
            prompt_tokens=5,
            completion_tokens=2,
            total_tokens=7,
            usage_estimated=True,
            model="m",
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--interval", "fortnight"), "Invalid value for '--interval': 'fortnight' is not"),
        (("--from", "yesterday"), "Invalid value for '--from': 'yesterday' is not a date"),
        (("--from", "now-1d", "--interval", "1s"), "more than 2000"),
        (("--from", "now", "--to", "now-1d"), "from must be earlier than to"),
    ],
)
def test_usage_query_problems_are_usage_errors_naming_the_option(run, args, message) -> None:
    result = run("usage", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_usage_of_an_unknown_connector_or_space_is_not_found(run) -> None:
    run("connectors", "create", "--type", ".server-log", "--name", "x")  # a store to read
    for args in (("--connector", "nope"), ("--connector", "nope", "--space", "team")):
        result = run("usage", *args)
        assert result.exit_code == 1
        assert result.stderr == "Error: Saved object [action/nope] not found\n"
    bad_space = run("usage", "--space", "Not A Space")
    assert bad_space.exit_code == 1 and "Space ID 'Not A Space' is invalid" in bad_space.stderr


def test_serve_on_a_busy_port_exits_1_with_a_clear_message(run, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run("serve", "--host", "127.0.0.1", "--port", str(port))
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not (tmp_path / "data" / "api-key").exists()  # nothing created for a failed start
