"""The ``actions`` command line: what each command prints and which exit code it returns.

Exit codes are the contract: 0 ok, 1 the action or the API refused, 2 the command line (or the
configuration) is wrong. Most tests drive the Click command in-process with ``CliRunner``; the
last ones run the real console script and ``python -m actions_core`` in a subprocess.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import actions_core
import actions_core.cli as cli_module
import actions_core.cli._input as cli_input
from actions_core import Actions, ExecutionError
from actions_core.cli import cli
from tests.support import KEY, TypesPlugin

ROOT = Path(__file__).resolve().parents[1]
SECRET = "tok-3f9a1c7e5b2d"  # must never appear in any output
OTHER_KEY = "another-encryption-key-0123456789-klmnopq"
CREATE_LOG = ("connectors", "create", "--type", ".server-log", "--name", "Log")
CREATE_VAULT = ("connectors", "create", "--type", ".vault", "--name", "My vault")
VAULT_CONFIG = '{"url": "https://vault.example"}'
PROMPTED_VAULT = (*CREATE_VAULT, "--id", "v", "--config", VAULT_CONFIG, "--prompt-secrets")

# --- test types: one with secrets to prompt for, one that streams ---------------------------

#: What stdout held each time the streaming executor was about to produce a chunk.
STDOUT_BEFORE_CHUNK: list[bytes] = []


def _run_vault(ctx: actions_core.ExecutionContext) -> dict[str, Any]:
    ctx.report_usage(prompt_tokens=5, completion_tokens=7, model="tiny")
    return {"text": ctx.params["text"], "secret_keys": sorted(ctx.secrets)}


def _note_stdout() -> None:
    getvalue = getattr(getattr(sys.stdout, "buffer", None), "getvalue", None)
    if getvalue is not None:
        STDOUT_BEFORE_CHUNK.append(getvalue())


def _run_stream(ctx: actions_core.ExecutionContext) -> Iterator[Any]:
    params = ctx.params

    def chunks() -> Iterator[Any]:
        for index, text in enumerate(params["chunks"]):
            if index == params.get("fail_after"):
                raise ExecutionError("upstream went away")
            _note_stdout()
            yield {"str": text, "bytes": text.encode(), "json": {"delta": text}}[params["as"]]

    return chunks()


VAULT = actions_core.ActionType(
    id=".vault",
    name="Vault",
    executor=_run_vault,
    config_schema={
        "type": "object",
        "properties": {"url": {"type": "string"}},
        "required": ["url"],
        "additionalProperties": False,
    },
    secrets_schema={
        "type": "object",
        "properties": {
            "token": {"type": "string", "title": "API token", "minLength": 1},
            "org": {"type": "string"},
        },
        "required": ["token"],
        "additionalProperties": False,
    },
    params_schema={
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
        "additionalProperties": False,
    },
)

STREAM = actions_core.ActionType(
    id=".stream",
    name="Stream",
    executor=_run_stream,
    params_schema={
        "type": "object",
        "properties": {
            "chunks": {"type": "array", "items": {"type": "string"}},
            "as": {"enum": ["str", "bytes", "json"], "default": "str"},
            "fail_after": {"type": "integer"},
        },
        "required": ["chunks"],
    },
)


def build_with_test_types(*, data_dir: Path | None, config: Path | None) -> Actions:
    """Stands in for ``cli.build_actions``: the installed plugins plus the test types."""
    return Actions(data_dir=data_dir, config=config, plugins=[TypesPlugin(VAULT, STREAM)])


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Callable[..., Result]:
    """``run("connectors", "list", input=...)``: the CLI on this test's own data dir."""
    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log")
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables as wide as their rows
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        argv = ["--data-dir", str(data_dir), *args]
        return runner.invoke(cli, argv, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def store(data_dir: Path) -> None:
    """An existing (empty) store: read-only commands refuse to create one."""
    Actions(data_dir=data_dir, config={"actions": {"encryptionKey": KEY}}).close()


@pytest.fixture
def test_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_module, "build_actions", build_with_test_types)
    STDOUT_BEFORE_CHUNK.clear()


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def create_vault(run: Callable[..., Result], id: str = "v1") -> Result:
    secrets = json.dumps({"token": SECRET})
    return ok(run(*CREATE_VAULT, "--id", id, "--config", VAULT_CONFIG, "--secrets", secrets))


def stored_secrets(data_dir: Path, connector_id: str) -> dict[str, Any] | None:
    with Actions(
        data_dir=data_dir,
        config={"actions": {"encryptionKey": KEY}},
        plugins=[TypesPlugin(VAULT, STREAM)],
    ) as actions:
        return actions.connectors.resolve(connector_id).secrets


# --- types ----------------------------------------------------------------------------------


def test_types_prints_a_table_of_id_name_enabled_and_plugin(run, store) -> None:
    out = ok(run("types")).stdout
    assert "ID" in out and "Plugin" in out
    row = next(line for line in out.splitlines() if ".server-log" in line)
    assert "Server log" in row and "yes" in row and "server-log" in row


def test_types_json_is_the_api_body_with_schemas(run, store) -> None:
    types = json.loads(ok(run("types", "--json")).stdout)
    assert [t["id"] for t in types] == [".server-log"]
    assert types[0]["enabled"] is True
    assert types[0]["params_schema"]["required"] == ["message"]


def test_types_show_gives_description_feature_ids_and_schemas(run, store, test_types) -> None:
    shown = ok(run("types", "show", ".vault")).stdout
    for label in ("Description", "Feature ids", "Config schema", "Secrets schema", "Params"):
        assert label in shown
    assert '"token"' in shown and '"url"' in shown and '"text"' in shown
    server_log = ok(run("types", "show", ".server-log")).stdout
    assert "Writes a message to the actions-core server log." in server_log
    body = json.loads(ok(run("types", "show", ".vault", "--json")).stdout)
    everything = json.loads(ok(run("types", "--json")).stdout)
    assert body == next(t for t in everything if t["id"] == ".vault")
    assert body["secrets_schema"]["required"] == ["token"]
    assert "Writes a message" in ok(run("types")).stdout  # the list has descriptions too
    assert ok(run("types", "list", "--json")).stdout == ok(run("types", "--json")).stdout


# --- connectors -----------------------------------------------------------------------------


def test_connector_create_list_get_update_delete_round_trip(run) -> None:
    created = ok(
        run("connectors", "create", "--type", ".server-log", "--name", "Ops", "--id", "ops")
    )
    assert "ops" in created.stdout and "Ops" in created.stdout

    listed = json.loads(ok(run("connectors", "list", "--json")).stdout)
    assert [(c["id"], c["name"]) for c in listed] == [("ops", "Ops")]
    assert "ops" in ok(run("connectors", "list")).stdout

    shown = ok(run("connectors", "get", "ops")).stdout
    assert "Name" in shown and "Ops" in shown and ".server-log" in shown

    ok(run("connectors", "update", "ops", "--name", "Operations"))
    body = json.loads(ok(run("connectors", "get", "ops", "--json")).stdout)
    assert body == {
        "id": "ops",
        "name": "Operations",
        "connector_type_id": ".server-log",
        "config": {},
        "is_preconfigured": False,
        "is_deprecated": False,
        "is_system_action": False,
        "is_missing_secrets": False,
    }

    assert "Deleted connector ops" in ok(run("connectors", "delete", "ops", "--yes")).stdout
    assert json.loads(ok(run("connectors", "list", "--json")).stdout) == []


def test_delete_without_yes_is_refused_when_stdin_is_not_a_terminal(run) -> None:
    ok(run(*CREATE_LOG, "--id", "keep"))
    refused = run("connectors", "delete", "keep")
    assert refused.exit_code == 2
    assert 'not going to delete connector "Log" (keep): stdin is not a terminal, add --yes.' in (
        refused.stderr
    )
    assert [c["id"] for c in json.loads(ok(run("connectors", "list", "--json")).stdout)] == ["keep"]
    deleted = json.loads(ok(run("connectors", "delete", "keep", "-y", "--json")).stdout)
    assert deleted["deleted"]["id"] == "keep"
    assert json.loads(ok(run("connectors", "list", "--json")).stdout) == []


def test_delete_asks_on_a_terminal(run, monkeypatch) -> None:
    monkeypatch.setattr(cli_input, "_stdin_is_tty", lambda: True)
    ok(run(*CREATE_LOG, "--id", "maybe"))
    declined = run("connectors", "delete", "maybe", input="n\n")
    assert declined.exit_code == 1
    assert 'Delete connector "Log" (maybe)? [y/N]' in declined.stderr
    assert "not confirmed; nothing was changed" in declined.stderr
    assert len(json.loads(ok(run("connectors", "list", "--json")).stdout)) == 1
    accepted = ok(run("connectors", "delete", "maybe", input="y\n"))
    assert "Deleted connector maybe." in accepted.stdout
    assert json.loads(ok(run("connectors", "list", "--json")).stdout) == []


def test_connectors_live_in_their_space(run) -> None:
    ok(run(*CREATE_LOG, "--id", "a", "--space", "team"))
    assert json.loads(ok(run("connectors", "list", "--json")).stdout) == []
    team = json.loads(ok(run("connectors", "list", "--json", "--space", "team")).stdout)
    assert [c["id"] for c in team] == ["a"]


def test_config_from_file_and_secrets_from_stdin(run, test_types, tmp_path, data_dir) -> None:
    (tmp_path / "config.json").write_text(VAULT_CONFIG)
    config, secrets = f"@{tmp_path / 'config.json'}", "-"
    create = (*CREATE_VAULT, "--id", "v", "--config", config, "--secrets", secrets, "--json")
    result = ok(run(*create, input=json.dumps({"token": SECRET})))
    assert json.loads(result.stdout)["config"] == {"url": "https://vault.example"}
    assert stored_secrets(data_dir, "v") == {"token": SECRET}
    assert SECRET not in result.output


@pytest.mark.parametrize(
    "args",
    [
        (*CREATE_LOG, "--config", "{bad"),
        (*CREATE_LOG, "--secrets", "{bad"),
        ("execute", "some-id", "--params", "{bad"),
    ],
)
def test_invalid_json_is_a_usage_error_naming_the_option_and_position(run, args) -> None:
    result = run(*args)
    assert result.exit_code == 2
    option = args[-2]
    assert f"Invalid value for '{option}'" in result.stderr
    assert "invalid JSON at line 1 column 2" in result.stderr


def test_invalid_json_in_a_file_names_the_file(run, tmp_path) -> None:
    (tmp_path / "params.json").write_text('{"message": "hi",\n}')
    result = run("execute", "x", "--params", f"@{tmp_path / 'params.json'}")
    assert result.exit_code == 2
    assert f"invalid JSON in {tmp_path / 'params.json'} at line 2 column 1" in result.stderr


def test_unreadable_file_is_a_usage_error(run, tmp_path) -> None:
    result = run("execute", "x", "--params", f"@{tmp_path / 'missing.json'}")
    assert result.exit_code == 2
    assert "Invalid value for '--params': cannot read" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("connectors", "get", "nope"),
        ("connectors", "get", "log", "--space", "team"),
        ("connectors", "update", "nope", "--name", "x"),
        ("connectors", "delete", "nope"),
        ("connectors", "delete", "nope", "--yes"),
        ("execute", "nope"),
        ("execute", "nope", "--json"),
        ("events", "--connector", "nope"),
        ("events", "--connector", "nope", "--json"),
        ("usage", "--connector", "nope"),
        ("usage", "--connector", "nope", "--json"),
        ("usage", "--connector", "log", "--space", "team"),
    ],
)
def test_unknown_connector_exits_1_with_the_message(run, args) -> None:
    """In every command: not an empty table with exit 0 (HTTP answers 404 too)."""
    ok(run(*CREATE_LOG, "--id", "log"))
    result = run(*args)
    assert result.exit_code == 1
    missing = "log" if "log" in args else "nope"
    assert result.stderr == f"Error: Saved object [action/{missing}] not found\n"
    assert result.stdout == ""


def test_events_of_a_deleted_connector_are_still_shown(run) -> None:
    ok(run(*CREATE_LOG, "--id", "gone"))
    ok(run("execute", "gone", "--params", '{"message": "hi"}'))
    ok(run("connectors", "delete", "gone", "--yes"))
    events = json.loads(ok(run("events", "--connector", "gone", "--json")).stdout)
    assert [e["action"] for e in events] == ["execute", "execute-start"]


def test_events_of_one_execution_and_an_unknown_execution(run) -> None:
    ok(run(*CREATE_LOG, "--id", "log"))
    for _ in range(2):
        ok(run("execute", "log", "--params", '{"message": "hi"}'))
    newest = json.loads(ok(run("events", "--json", "--limit", "1")).stdout)[0]
    one = json.loads(ok(run("events", "--json", "--execution", newest["execution_id"])).stdout)
    assert [e["action"] for e in one] == ["execute", "execute-start"]
    assert {e["execution_id"] for e in one} == {newest["execution_id"]}
    missing = run("events", "--execution", "nope")
    assert (missing.exit_code, missing.stderr) == (1, "Error: Execution [nope] not found\n")


def test_unknown_type_exits_1(run, store) -> None:
    result = run("types", "show", ".nope")
    assert (result.exit_code, result.stderr) == (1, "Error: Connector type [.nope] not found\n")


def test_api_refusals_exit_1(run) -> None:
    result = run("connectors", "create", "--type", ".nope", "--name", "x")
    assert result.exit_code == 1
    assert 'Action type ".nope" is not registered' in result.stderr
    ok(run(*CREATE_LOG, "--id", "dup"))
    conflict = run(*CREATE_LOG, "--id", "dup")
    assert conflict.exit_code == 1
    assert "conflict" in conflict.stderr


def test_update_without_changes_is_a_usage_error(run) -> None:
    result = run("connectors", "update", "ops")
    assert result.exit_code == 2
    assert "nothing to update" in result.stderr


# --- secrets: prompting, and never printing them ------------------------------------------


def test_prompt_secrets_reads_one_line_per_secret_when_stdin_is_not_a_terminal(
    run, test_types, data_dir
) -> None:
    # the token, then an empty line for the optional org, which is then omitted
    result = ok(run(*PROMPTED_VAULT, input=f"{SECRET}\n\n"))
    assert stored_secrets(data_dir, "v") == {"token": SECRET}
    assert SECRET not in result.output


def test_prompt_secrets_uses_hidden_prompts_on_a_terminal(
    run, test_types, data_dir, monkeypatch
) -> None:
    monkeypatch.setattr(cli_input, "_stdin_is_tty", lambda: True)
    result = ok(run(*PROMPTED_VAULT, input=f"{SECRET}\nacme\n"))
    assert "API token" in result.stderr and "org (optional)" in result.stderr
    assert stored_secrets(data_dir, "v") == {"token": SECRET, "org": "acme"}
    assert SECRET not in result.output


def test_prompt_secrets_only_asks_for_what_secrets_did_not_give(run, test_types, data_dir) -> None:
    ok(run(*PROMPTED_VAULT, "--secrets", '{"org": "acme"}', input=f"{SECRET}\n"))
    assert stored_secrets(data_dir, "v") == {"token": SECRET, "org": "acme"}


def test_prompt_secrets_without_input_is_a_usage_error(run, test_types) -> None:
    result = run(*PROMPTED_VAULT)
    assert result.exit_code == 2
    assert "--prompt-secrets needs a value for 'API token'" in result.stderr


def test_update_prompt_secrets_replaces_them(run, test_types, data_dir) -> None:
    create_vault(run)
    result = ok(run("connectors", "update", "v1", "--prompt-secrets", input="new-token\nacme\n"))
    assert stored_secrets(data_dir, "v1") == {"token": "new-token", "org": "acme"}
    assert "new-token" not in result.output


def test_secrets_never_appear_in_any_output(run, test_types) -> None:
    outputs = [create_vault(run).output]
    for args in (
        ("connectors", "list"),
        ("connectors", "list", "--json"),
        ("connectors", "get", "v1"),
        ("connectors", "get", "v1", "--json"),
        ("connectors", "update", "v1", "--name", "Renamed", "--json"),
        ("execute", "v1", "--params", '{"text": "hi"}'),
        ("events", "--json"),
        ("events",),
    ):
        outputs.append(ok(run(*args)).output)
    assert all(SECRET not in output for output in outputs)
    assert '"secret_keys": [\n      "token"\n    ]' in outputs[6]  # the executor did get it


# --- execute --------------------------------------------------------------------------------


def test_execute_prints_the_result_and_exits_0(run) -> None:
    ok(run(*CREATE_LOG, "--id", "log"))
    result = ok(run("execute", "log", "--params", '{"message": "hi there"}'))
    assert json.loads(result.stdout) == {"connector_id": "log", "status": "ok"}
    assert "Server log: hi there" in result.stderr  # the server log is the CLI's stderr


def test_execute_reads_params_from_stdin(run) -> None:
    ok(run(*CREATE_LOG, "--id", "log"))
    result = ok(run("execute", "log", "--params", "-", input='{"message": "piped"}'))
    assert "Server log: piped" in result.stderr


def test_execute_validation_failure_exits_1_with_the_message(run) -> None:
    ok(run(*CREATE_LOG, "--id", "log"))
    result = run("execute", "log", "--params", '{"level": "info"}')
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "error"
    assert result.stderr.startswith("Error: error validating action params: [message]")


def test_quiet_hides_info_logs(run) -> None:
    ok(run(*CREATE_LOG, "--id", "log"))
    result = ok(run("-q", "execute", "log", "--params", '{"message": "shh"}'))
    assert result.stderr == ""


def test_first_run_without_a_key_generates_one_and_says_so(run, monkeypatch, data_dir) -> None:
    monkeypatch.delenv("ACTIONS_ENCRYPTION_KEY")
    result = ok(run(*CREATE_LOG, "--id", "log"))
    assert "generated one at" in result.stderr
    assert (data_dir / "encryption.key").is_file()


def test_invalid_configuration_exits_2(run, monkeypatch) -> None:
    missing = run("--config", "missing.yml", "types")
    assert missing.exit_code == 2
    assert "configuration file missing.yml does not exist" in missing.stderr
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", "too-short")
    assert run("types").exit_code == 2


def test_help_does_not_open_the_data_dir(run, data_dir) -> None:
    assert "execute" in ok(run("--help")).stdout
    assert not data_dir.exists()


# --- streaming ------------------------------------------------------------------------------


def create_stream(run: Callable[..., Result]) -> None:
    ok(run("connectors", "create", "--type", ".stream", "--name", "Stream", "--id", "s"))


def test_streamed_text_is_written_chunk_by_chunk_as_it_arrives(run, test_types) -> None:
    create_stream(run)
    result = ok(run("execute", "s", "--params", '{"chunks": ["Hel", "lo, ", "world"]}'))
    assert result.stdout == "Hello, world"
    assert STDOUT_BEFORE_CHUNK == [b"", b"Hel", b"Hello, "]  # flushed before the next chunk


def test_streamed_bytes_and_objects(run, test_types) -> None:
    create_stream(run)
    raw = ok(run("execute", "s", "--params", '{"chunks": ["a", "b"], "as": "bytes"}'))
    assert raw.stdout_bytes == b"ab"
    objects = ok(run("execute", "s", "--params", '{"chunks": ["a", "b"], "as": "json"}'))
    assert objects.stdout == '{"delta": "a"}\n{"delta": "b"}\n'


def test_json_on_a_stream_prints_one_parsed_chunk_per_line(run, test_types) -> None:
    """NDJSON: a script parses each line once. Objects as they are; a pass-through event
    stream (what invokeStream sends) parsed per ``data:`` line, even when an event is split
    across chunks; ``[DONE]`` is the end, not a line."""
    create_stream(run)
    objects = ok(run("execute", "s", "--json", "--params", '{"chunks": ["a", "b"], "as": "json"}'))
    assert objects.stdout == '{"delta": "a"}\n{"delta": "b"}\n'
    sse = ['data: {"id": 1, "t": "Hel', 'lo"}\n\n: comment\n', "event: x\r\ndata: plain\n\n"]
    sse.append('data: {"id": 2}\n\ndata: [DONE]\n\n')
    for kind in ("str", "bytes"):
        params = json.dumps({"chunks": sse, "as": kind})
        result = ok(run("execute", "s", "--json", "--params", params))
        lines = result.stdout.splitlines()
        assert [json.loads(line) for line in lines] == [{"id": 1, "t": "Hello"}, "plain", {"id": 2}]
    text = ok(run("execute", "s", "--json", "--params", '{"chunks": ["Hel", "lo"]}'))
    assert text.stdout == '"Hel"\n"lo"\n'  # text that is not an event stream: one string each
    raw = ok(run("execute", "s", "--params", json.dumps({"chunks": sse})))
    assert raw.stdout_bytes == "".join(sse).encode()  # without --json: untouched


def test_a_failing_stream_exits_1_after_what_it_produced(run, test_types) -> None:
    create_stream(run)
    params = '{"chunks": ["one ", "two ", "three"], "fail_after": 2}'
    result = run("execute", "s", "--params", params)
    assert result.exit_code == 1
    assert result.stdout == "one two "
    assert "Error: the stream failed after 2 chunks: upstream went away" in result.stderr
    events = json.loads(ok(run("events", "--json", "--limit", "1")).stdout)
    assert events[0]["outcome"] == "failure"


# --- events, usage, secrets rotation --------------------------------------------------------


def test_events_show_the_execution(run) -> None:
    ok(run(*CREATE_LOG, "--id", "log"))
    ok(run("execute", "log", "--params", '{"message": "hi"}'))
    table = ok(run("events")).stdout
    assert "Duration ms" in table
    row = next(line for line in table.splitlines() if " execute " in line)
    assert "log" in row and "success" in row and "action executed: .server-log:log: Log" in row

    events = json.loads(ok(run("events", "--json", "--connector", "log")).stdout)
    assert [e["action"] for e in events] == ["execute", "execute-start"]
    assert events[0]["source"] == "cli"
    assert len(json.loads(ok(run("events", "--json", "--limit", "1")).stdout)) == 1
    ok(run(*CREATE_LOG, "--id", "quiet"))  # known, no events yet: an empty list
    assert json.loads(ok(run("events", "--json", "--connector", "quiet")).stdout) == []


def test_usage_prints_buckets_and_totals(run, test_types) -> None:
    create_vault(run)
    for _ in range(2):
        ok(run("execute", "v1", "--params", '{"text": "hi"}'))
    table = ok(run("usage")).stdout
    total = next(line for line in table.splitlines() if "total" in line).split("│")
    assert [cell.strip() for cell in total[1:-1]] == ["total", "2", "10", "14", "24", "24", "0"]

    report = json.loads(
        ok(run("usage", "--json", "--interval", "hour", "--connector", "v1")).stdout
    )
    assert report["interval_seconds"] == 3600
    assert (report["connector_id"], report["connector_name"]) == ("v1", "My vault")
    assert report["totals"]["total_tokens"] == 24
    assert report["totals"]["reported_total_tokens"] == 24
    assert [(m["model"], m["total_tokens"]) for m in report["by_model"]] == [("tiny", 24)]
    assert report["by_api_key"][0]["name"] == "(no API key: Python API or CLI)"


def test_usage_takes_the_http_intervals_minute_included(run, test_types) -> None:
    create_vault(run)
    ok(run("execute", "v1", "--params", '{"text": "hi"}'))
    args = ("usage", "--json", "--connector", "v1", "--from", "now-10m", "--interval")
    minute = json.loads(ok(run(*args, "minute")).stdout)
    assert (minute["interval"], minute["interval_seconds"]) == ("minute", 60)
    assert len(minute["buckets"]) in (10, 11)
    assert sum(b["executions"] for b in minute["buckets"]) == 1
    assert json.loads(ok(run(*args, "5m")).stdout)["interval_seconds"] == 300


def test_usage_rejects_unknown_intervals(run) -> None:
    result = run("usage", "--interval", "month")
    assert result.exit_code == 2
    assert "Invalid value for '--interval': 'month' is not an interval" in result.stderr


def test_secrets_rotate_reencrypts_with_the_new_key(run, test_types, monkeypatch) -> None:
    create_vault(run)
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", OTHER_KEY)
    monkeypatch.setenv("ACTIONS_DECRYPTION_ONLY_KEYS", KEY)
    first = ok(run("secrets", "rotate")).stdout
    assert "reencrypted: 1" in first and "failed: 0" in first
    assert "unchanged: 1" in ok(run("secrets", "rotate")).stdout


def test_secrets_rotate_exits_1_when_a_secret_cannot_be_decrypted(
    run, test_types, monkeypatch
) -> None:
    create_vault(run)
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", OTHER_KEY)
    result = run("secrets", "rotate")
    assert result.exit_code == 1
    assert "failed: 1" in result.stdout
    assert "decryptionOnlyKeys" in result.stderr


# --- demo -----------------------------------------------------------------------------------


def test_demo_is_idempotent(run) -> None:
    first = ok(run("demo"))
    assert "Executed demo-server-log: ok" in first.stdout
    assert "Demo server log" in first.stdout and "Last 5 events" in first.stdout
    assert "Server log: Hello from actions-core" in first.stderr
    ok(run("demo"))
    connectors = json.loads(ok(run("connectors", "list", "--json")).stdout)
    assert [c["id"] for c in connectors] == ["demo-server-log"]
    events = json.loads(ok(run("events", "--json", "--connector", "demo-server-log")).stdout)
    assert [e["action"] for e in events].count("execute") == 2


# --- help and --json everywhere ------------------------------------------------------------


def all_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*path, name))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, (*path, name)))
    return found


def help_of(run: Callable[..., Result], path: tuple[str, ...]) -> str:
    return ok(run(*path, "--help")).stdout


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_every_summary_is_a_whole_sentence_and_is_not_cut_off(run, path) -> None:
    """The summary a group lists is the command's first help line: a complete sentence,
    never cut to fit the terminal (``...``)."""
    command = cli
    for name in path:
        command = command.commands[name]
    first_line = inspect.cleandoc(command.help or "").splitlines()[0]
    assert first_line[:1].isupper() and first_line.endswith("."), first_line
    commands = help_of(run, path[:-1]).split("Commands:")[1]  # the parent's list
    listing = " ".join(commands.split())  # unwrapped
    assert f"{path[-1]} {first_line}" in listing
    assert "..." not in listing


@pytest.mark.parametrize(
    "path",
    [
        ("connectors",),
        ("connectors", "create"),
        ("connectors", "delete"),
        ("execute",),
        ("events",),
        ("usage",),
        ("types",),
        ("serve",),
    ],
    ids=" ".join,
)
def test_main_commands_show_examples(run, path) -> None:
    text = help_of(run, path)
    assert "Examples:" in text
    assert f"actions {' '.join(path)}" in text


#: Commands that print data, with arguments that make them print it.
PRINTING = [
    (*CREATE_LOG, "--id", "other"),
    ("types",),
    ("types", "list"),
    ("types", "show", ".server-log"),
    ("connectors", "list"),
    ("connectors", "get", "log"),
    ("connectors", "update", "log", "--name", "Renamed"),
    ("execute", "log", "--params", '{"message": "hi"}'),
    ("events",),
    ("usage",),
    ("usage", "--connector", "log"),
    ("secrets", "rotate"),
    ("demo",),
    ("api-keys", "list"),
    ("api-keys", "create", "--name", "ci"),
    ("enqueue", "log", "--params", '{"message": "later"}', "--id", "queued-1"),
    ("executions", "list"),
    ("executions", "get", "queued-1"),
    ("connectors", "delete", "log", "--yes"),
]


def test_every_command_that_prints_data_has_json(run) -> None:
    ok(run(*CREATE_LOG, "--id", "log"))
    for args in PRINTING:
        result = ok(run(*args, "--json"))
        json.loads(result.stdout)
    hashed = ok(run("users", "hash-password", "--json", input="pw\n"))
    assert json.loads(hashed.stdout)["passwordHash"]
    key = json.loads(ok(run("api-keys", "list", "--json")).stdout)[0]["id"]
    assert json.loads(ok(run("api-keys", "revoke", key, "--yes", "--json")).stdout)["revoked"]
    printing = {args[:2] if args[0] in GROUPS else args[:1] for args in PRINTING}
    printing |= {("users", "hash-password"), ("api-keys", "revoke")}
    quiet = {("serve",), ("worker",)}  # long-running services: they print logs, not data
    leaves = {p for p in all_commands() if not isinstance(_command(p), click.Group)}
    assert leaves - quiet == {p for p in printing if not isinstance(_command(p), click.Group)}


GROUPS = {"types", "connectors", "secrets", "api-keys", "users", "executions"}


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return command


# --- the real executables -------------------------------------------------------------------


def commands() -> list[list[str]]:
    script = Path(sys.executable).with_name("actions")
    return [[sys.executable, "-m", "actions_core"], [str(script)]]


@pytest.mark.parametrize("command", commands(), ids=["python -m actions_core", "actions"])
def test_console_script_exit_codes(command, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [*command, "--data-dir", str(tmp_path / "data"), *args]
        return subprocess.run(
            argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
        )

    demo = run("demo")
    assert demo.returncode == 0, demo.stderr
    assert "Executed demo-server-log: ok" in demo.stdout
    missing = run("execute", "nope", "--params", "{}")
    assert (missing.returncode, missing.stderr) == (
        1,
        "Error: Saved object [action/nope] not found\n",
    )
    invalid = run("execute", "demo-server-log", "--params", '{"message": 1}')
    assert invalid.returncode == 1 and "Error: error validating action params" in invalid.stderr
    bad_json = run("execute", "demo-server-log", "--params", "{")
    assert bad_json.returncode == 2 and "'--params'" in bad_json.stderr
    for result in (demo, missing, invalid, bad_json):
        assert "Traceback" not in result.stderr


def test_usage_without_api_key_users_does_not_load_the_service(tmp_path, monkeypatch) -> None:
    """The report is the core's: only API key names come from the service's table."""
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
    code = (
        "import sys\nfrom actions_core.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as done:\n    assert not done.code\n"
        "print('fastapi' in sys.modules, file=sys.stderr)"
    )
    data = str(tmp_path / "data")
    Actions(data_dir=data, config={"actions": {"encryptionKey": KEY}}).close()  # a store to read
    args = ("--data-dir", data, "-q", "usage", "--json", "--interval", "hour")
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["interval"] == "hour"
    assert result.stderr.splitlines()[-1] == "False"


def test_prompting_in_a_real_process_without_input_fails_instead_of_hanging(
    tmp_path, monkeypatch
) -> None:
    """Even with a controlling terminal around, a non-terminal stdin is what is read."""
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    boot = (
        "import actions_core.cli as c, tests.test_cli as t; "
        "c.build_actions = t.build_with_test_types; c.main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", boot, "--data-dir", str(tmp_path / "data"), *PROMPTED_VAULT],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "stdin is not a terminal" in result.stderr
