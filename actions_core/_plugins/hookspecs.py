"""The plugin contract: pluggy markers and the hook specifications plugins implement."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "actions_core"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_action_types(register: Callable[..., None]) -> None:
    """Register action (connector) types by calling ``register(ActionType(...))``.

    Called once when an ``Actions`` instance starts. ``register`` raises
    ``RegistrationError`` when a type breaks a rule (duplicate or invalid id, invalid schema);
    the error is reported with the name of the plugin that caused it.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``actions`` command line: ``@cli.command()`` or ``cli.add_command``.

    Called once when the ``actions`` command is loaded, for every installed plugin (the
    ``ACTIONS_PLUGINS`` allow-list applies). A command decorated with ``@click.pass_obj`` gets
    the invocation's state; its ``.actions`` is the ``Actions`` built from ``--config`` and
    ``--data-dir`` (on first use). A name that is already taken (a built-in command or another
    plugin's) is not replaced: the command is skipped with a warning naming the plugin.
    """
