"""The ``actions`` command: connectors, execution, events and token usage from a shell.

A thin layer over :class:`~actions_core.Actions`: every command parses its options, calls the
Python API and prints a Rich table (or JSON with ``--json``). Exit codes are part of the
contract so scripts can branch on them: 0 ok, 1 the action or the API refused (an error result or
an :class:`~actions_core.ActionsError`), 2 the command line or the configuration is wrong.

One module per command group (``types``, ``connectors``, ``execute``, ``events``, ``usage``,
``secrets``, ``demo``, ``server``); ``_state``, ``_input`` and ``_output`` are what they share.
This module builds the group: :func:`_add_commands` is the one place commands are added.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path

import click

from actions_core import __version__
from actions_core.actions import Actions
from actions_core.cli import (
    connectors,
    demo,
    events,
    execute,
    queue,
    secrets,
    server,
    types,
    usage,
    worker,
)
from actions_core.cli._state import ActionsGroup, State, configure_logging
from actions_core.cli.plugin_commands import add_plugin_commands

__all__ = ["build_actions", "cli", "main"]


def build_actions(*, data_dir: Path | None, config: Path | None) -> Actions:
    """The one place the CLI builds its ``Actions``.

    Tests (and programs embedding the CLI) replace this function to add plugin objects, since
    entry points cannot be added to a running interpreter.
    """
    return Actions(data_dir=data_dir, config=config)


@click.group(cls=ActionsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="actions.yml or kibana.yml [default: $ACTIONS_CONFIG, else ./actions.yml if present].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the embedded database and key file [default: from config, else ./data].",
)
@click.option("-q", "--quiet", is_flag=True, help="Only log warnings and errors (to stderr).")
@click.version_option(__version__, prog_name="actions")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, data_dir: Path | None, quiet: bool) -> None:
    """Kibana-style connectors: create them, run them, and see what they did."""
    ctx.call_on_close(configure_logging(quiet))
    state = State(config_path, data_dir)
    ctx.obj = state
    ctx.call_on_close(state.close)  # closed first (LIFO), while logging is still set up


def _add_commands(group: click.Group) -> None:
    """Every built-in command, in the order ``--help`` lists them (click sorts by name).

    Plugins' commands (the ``register_commands`` hook) are added here too, after these.
    """
    group.add_command(types.types_command)
    group.add_command(connectors.connectors_group)
    group.add_command(execute.execute_command)
    group.add_command(events.events_command)
    group.add_command(usage.usage_command)
    group.add_command(secrets.secrets_group)
    group.add_command(demo.demo_command)
    group.add_command(server.serve_command)
    group.add_command(server.api_keys_group)
    group.add_command(server.users_group)
    group.add_command(queue.enqueue_command)
    group.add_command(queue.executions_group)
    group.add_command(worker.worker_command)
    add_plugin_commands(group)  # the register_commands hook: plugins add their own commands


def _full_summaries(group: click.Group) -> None:
    """Every command's summary in ``--help`` is the first line of its help, whole.

    Click cuts a summary to fit the terminal (``Create, list and revoke the HTTP service's
    API keys (stored...``); an explicit ``short_help`` is wrapped instead, never cut. Each
    command's first help line is a complete sentence (tests/test_cli.py checks all of them).
    """
    for command in group.commands.values():
        if command.short_help is None and command.help:
            command.short_help = inspect.cleandoc(command.help).splitlines()[0]
        if isinstance(command, click.Group):
            _full_summaries(command)


_add_commands(cli)
_full_summaries(cli)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (also ``python -m actions_core``)."""
    cli.main(args=argv, prog_name="actions")
