"""Plugins' own commands: the ``register_commands(cli)`` hook, called once on the ``actions`` group.

As in llm and datasette, a plugin adds commands with ``@cli.command()`` or ``cli.add_command``.
The CLI must keep working when one plugin is broken, so problems here are warnings naming the
plugin, never a crash of the whole command: a plugin that cannot be loaded is reported again, as
an error, by any command that builds ``Actions``; a hook that raises adds nothing; a command
whose name is already taken (a built-in, or an earlier plugin's) is skipped, not replaced.
"""

from __future__ import annotations

import logging

import click

from actions_core._plugins.manager import PluginManager, load_plugins
from actions_core.errors import ActionsError

__all__ = ["add_plugin_commands"]

_log = logging.getLogger("actions_core.plugins")


def add_plugin_commands(cli: click.Group, manager: PluginManager | None = None) -> list[str]:
    """Call every plugin's ``register_commands(cli)``; return the names of the commands added.

    ``manager`` defaults to the installed entry points (``ACTIONS_PLUGINS`` applies).
    """
    if manager is None:
        try:
            manager = load_plugins(warn_hookless=False)  # Actions() warns, once
        except ActionsError as err:
            _log.warning("plugin commands are not available: %s", err.message)
            return []
    added: list[str] = []
    for impl in manager.pm.hook.register_commands.get_hookimpls():
        plugin = impl.plugin_name
        before = dict(cli.commands)
        try:
            impl.function(cli=cli)
        except Exception as err:
            cli.commands.clear()
            cli.commands.update(before)
            _log.warning('Plugin "%s": register_commands failed: %r', plugin, err)
            continue
        for name, command in list(cli.commands.items()):
            if name not in before:
                added.append(name)
            elif command is not before[name]:
                cli.commands[name] = before[name]
                _log.warning(
                    'Plugin "%s": the command "%s" already exists; the plugin\'s is not added.',
                    plugin,
                    name,
                )
    return added
