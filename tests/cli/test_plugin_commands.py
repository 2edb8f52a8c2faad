"""The ``register_commands(cli)`` hook: a plugin adds commands to ``actions``, never replaces."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

import actions_core
from actions_core._plugins.manager import PluginManager
from actions_core.cli import cli
from actions_core.cli.plugin_commands import add_plugin_commands
from tests.support import KEY


class CommandsPlugin:
    """A plugin object adding ``hello`` (which uses the invocation's Actions) and ``execute``."""

    __name__ = "commands-plugin"

    @actions_core.hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("hello")
        @click.argument("name")
        @click.pass_obj
        def hello(state, name: str) -> None:
            """Greet, and count the registered types."""
            click.echo(f"hello {name}: {len(state.actions.types())} types")

        @cli.command("execute")
        def shadow() -> None:
            """Would replace the built-in execute."""
            click.echo("the plugin's execute")


@pytest.fixture
def plugin_commands(monkeypatch) -> Iterator[list[str]]:
    """The plugin's commands added to the real ``actions`` group, and removed afterwards."""
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
    before = dict(cli.commands)
    manager = PluginManager()
    manager.register(CommandsPlugin())
    try:
        yield add_plugin_commands(cli, manager)
    finally:
        cli.commands.clear()
        cli.commands.update(before)


def test_a_plugin_command_runs_with_the_invocations_actions(plugin_commands, tmp_path) -> None:
    assert plugin_commands == ["hello"]
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "hello", "Ada"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello Ada: 1 types\n"  # ACTIONS_PLUGINS=server-log
    assert "hello" in CliRunner().invoke(cli, ["--help"]).stdout


def test_a_taken_name_keeps_the_built_in_and_warns_naming_the_plugin(caplog) -> None:
    before = dict(cli.commands)
    manager = PluginManager()
    manager.register(CommandsPlugin())
    try:
        with caplog.at_level("WARNING", logger="actions_core.plugins"):
            add_plugin_commands(cli, manager)
        assert cli.commands["execute"] is before["execute"]
    finally:
        cli.commands.clear()
        cli.commands.update(before)
    assert 'Plugin "commands-plugin": the command "execute" already exists' in caplog.text


def test_a_failing_hook_adds_nothing_and_warns(caplog) -> None:
    class Broken:
        __name__ = "broken-commands"

        @actions_core.hookimpl
        def register_commands(self, cli: click.Group) -> None:
            cli.add_command(click.Command("half", callback=lambda: None))
            raise RuntimeError("no luck")

    before = dict(cli.commands)
    manager = PluginManager()
    manager.register(Broken())
    try:
        with caplog.at_level("WARNING", logger="actions_core.plugins"):
            assert add_plugin_commands(cli, manager) == []
        assert cli.commands == before
    finally:
        cli.commands.clear()
        cli.commands.update(before)
    assert "Plugin \"broken-commands\": register_commands failed: RuntimeError('no luck')" in (
        caplog.text
    )


def test_the_actions_command_calls_the_hook_of_installed_plugins() -> None:
    # the group is assembled with the hook called; built-in plugins add no command
    assert {"execute", "connectors", "serve"} <= set(cli.commands)
    assert add_plugin_commands(click.Group("empty")) == []
