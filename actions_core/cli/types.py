"""``actions types``: the registered connector types."""

from __future__ import annotations

import click

from actions_core.cli._output import echo_json, show, table, yes
from actions_core.cli._state import State, json_option, pass_state

__all__ = ["types_command"]


@click.command("types")
@json_option
@pass_state
def types_command(state: State, as_json: bool) -> None:
    """List the registered connector types."""
    infos = state.existing_actions.types()
    if as_json:
        echo_json([info.to_api() for info in infos])
        return
    rows = [(i.id, i.name, yes(i.enabled), i.plugin or "") for i in infos]
    show(table(("ID", "Name", "Enabled", "Plugin"), rows))
