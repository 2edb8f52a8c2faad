"""``actions types`` and ``actions types show ID``: the registered connector types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
from rich.table import Table

from actions_core.actions import ConnectorTypeInfo
from actions_core.cli._output import echo_json, show, table, yes
from actions_core.cli._state import State, json_option, pass_state
from actions_core.errors import NotFoundError

__all__ = ["types_command"]


def _list(state: State, as_json: bool) -> None:
    infos = state.existing_actions.types()
    if as_json:
        echo_json([info.to_api() for info in infos])
        return
    rows = [(i.id, i.name, yes(i.enabled), i.plugin or "", i.description or "") for i in infos]
    show(table(("ID", "Name", "Enabled", "Plugin", "Description"), rows))


@click.group("types", invoke_without_command=True)
@json_option
@pass_state
@click.pass_context
def types_command(ctx: click.Context, state: State, as_json: bool) -> None:
    """List the registered connector types, or show one with its schemas.

    \b
    Examples:
      actions types
      actions types show .webhook
      actions types show .gen-ai --json
    """
    if ctx.invoked_subcommand is None:
        _list(state, as_json)


@types_command.command("list")
@json_option
@pass_state
def list_command(state: State, as_json: bool) -> None:
    """List the registered connector types (the same as plain `actions types`)."""
    _list(state, as_json)


def _schema(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) if schema else "(none)"


def _type_view(info: ConnectorTypeInfo) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for key, value in (
        ("ID", info.id),
        ("Name", info.name),
        ("Description", info.description or ""),
        ("Plugin", info.plugin or ""),
        ("Enabled", yes(info.enabled)),
        ("Deprecated", yes(info.is_deprecated)),
        ("Feature ids", ", ".join(info.supported_feature_ids)),
        ("Sub-actions", ", ".join(info.sub_actions) or "(none)"),
        ("Config schema", _schema(info.config_schema)),
        ("Secrets schema", _schema(info.secrets_schema)),
        ("Params schema", _schema(info.params_schema)),
    ):
        grid.add_row(key, value)
    return grid


@types_command.command("show")
@click.argument("type_id", metavar="ID")
@json_option
@pass_state
def show_command(state: State, type_id: str, as_json: bool) -> None:
    """Show one type: description, feature ids and its config, secrets and params schemas."""
    found = [info for info in state.existing_actions.types() if info.id == type_id]
    if not found:
        raise NotFoundError(f"Connector type [{type_id}] not found")
    if as_json:
        echo_json(found[0].to_api())
    else:
        show(_type_view(found[0]))
