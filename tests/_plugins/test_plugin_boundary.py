"""Plugin loading problems read the same from Python, the CLI and the HTTP service.

A duplicate type id stops every interface with one message naming both plugins and the way out
(``ACTIONS_PLUGINS``); a plugin that implements no hook loads with a warning naming it. The
HTTP service is the real ``actions serve`` in its own process (entry points cannot be added to
a running interpreter, so ``build_actions`` is swapped for :func:`build_for_case` there).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import actions_core.cli as cli_module
from actions_core import Actions, PluginError
from tests.server.support import RunningServer, clean_env
from tests.support import KEY, TypesPlugin, echo_type

CASE_ENV = "BOUNDARY_PLUGIN_CASE"
DUPLICATE = (
    'Plugin "test-plugin": Action type ".server-log" is already registered by plugin '
    '"server-log"; plugin "test-plugin" registers it again. Two plugins cannot register the '
    "same type id: leave one of them out with ACTIONS_PLUGINS (the comma-separated names of "
    "the plugins to load)."
)
HOOKLESS = 'Plugin "forgotten-marker" implements no hook: it does nothing.'


class Forgotten:
    """A plugin whose hook function lacks ``@actions_core.hookimpl``."""

    __name__ = "forgotten-marker"

    def register_action_types(self, register: Any) -> None:
        raise AssertionError("never called")


def plugins_for(case: str) -> list[Any]:
    if case == "duplicate":
        return [TypesPlugin(echo_type(".server-log"))]
    return [Forgotten(), TypesPlugin(echo_type(".echo"))]


def build_for_case(*, data_dir: Path | None, config: Path | None) -> Actions:
    """Stands in for ``cli.build_actions`` (here and in the server process)."""
    return Actions(data_dir=data_dir, config=config, plugins=plugins_for(os.environ[CASE_ENV]))


BOOT = (
    "import actions_core.cli as c, tests._plugins.test_plugin_boundary as t; "
    "c.build_actions = t.build_for_case; c.main()"
)


def serve_command(data_dir: Path) -> list[str]:
    return [sys.executable, "-c", BOOT, "--data-dir", str(data_dir), "serve", "--port", "0"]


@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
    monkeypatch.setattr(cli_module, "build_actions", build_for_case)
    # an existing store: read-only commands (``types``) refuse to create one
    Actions(data_dir=tmp_path / "data", config={"actions": {"encryptionKey": KEY}}).close()

    def run(case: str, *args: str):
        monkeypatch.setenv(CASE_ENV, case)
        argv = ["--data-dir", str(tmp_path / "data"), *args]
        return CliRunner().invoke(cli_module.cli, argv)

    return run


# --- a duplicate type id ------------------------------------------------------------------


def test_python_refuses_a_duplicate_type_id_naming_both_plugins(tmp_path) -> None:
    with pytest.raises(PluginError) as err:
        Actions(
            data_dir=tmp_path,
            config={"actions": {"encryptionKey": KEY}},
            plugins=plugins_for("duplicate"),
        )
    assert err.value.message == DUPLICATE


def test_the_cli_refuses_a_duplicate_type_id_with_the_same_message(cli) -> None:
    result = cli("duplicate", "types")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: {DUPLICATE}"


def test_the_http_service_does_not_start_with_a_duplicate_type_id(tmp_path) -> None:
    env = clean_env(ACTIONS_ENCRYPTION_KEY=KEY, **{CASE_ENV: "duplicate"})
    result = subprocess.run(
        serve_command(tmp_path / "data"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 1
    assert "serves Kibana's connector API" not in result.stdout  # it never listened
    assert result.stderr.splitlines()[-1] == f"Error: {DUPLICATE}"


# --- a plugin without hooks ---------------------------------------------------------------


def test_python_loads_a_hookless_plugin_with_a_warning(tmp_path, caplog) -> None:
    with caplog.at_level("WARNING", logger="actions_core.plugins"):
        Actions(
            data_dir=tmp_path,
            config={"actions": {"encryptionKey": KEY}},
            plugins=plugins_for("hookless"),
        ).close()
    assert HOOKLESS in caplog.text


def test_the_cli_warns_about_a_hookless_plugin_and_carries_on(cli) -> None:
    result = cli("hookless", "types", "--json")
    assert result.exit_code == 0, result.output
    assert f"WARNING actions_core.plugins: {HOOKLESS}" in result.stderr
    assert ".echo" in result.stdout


def test_the_http_service_logs_the_hookless_plugin_and_serves(tmp_path) -> None:
    tmp_path.joinpath("data").mkdir()
    env = clean_env(ACTIONS_ENCRYPTION_KEY=KEY, **{CASE_ENV: "hookless"})
    server = RunningServer(serve_command(tmp_path / "data"), tmp_path, env)  # waits for /api/status
    try:
        assert HOOKLESS in server.output()
    finally:
        server.stop()
