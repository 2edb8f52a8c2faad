"""``actions connectors ...``: create, list, show, update and delete connectors."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import click
from rich.table import Table

from actions_core.cli._input import JSON, ask_for_secrets, confirm, secrets_schema, yes_option
from actions_core.cli._output import echo_json, show, table, yes
from actions_core.cli._state import State, json_option, pass_state, space_option
from actions_core.connectors import Connector

__all__ = ["connectors_group", "connectors_table"]


def connectors_table(connectors: Iterable[Connector], title: str | None = None) -> Table:
    rows = [
        (c.id, c.name, c.connector_type_id, yes(c.is_preconfigured), yes(c.is_missing_secrets))
        for c in connectors
    ]
    return table(("ID", "Name", "Type", "Preconfigured", "Missing secrets"), rows, title=title)


def _connector_view(c: Connector) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    config = "(not exposed)" if c.config is None else json.dumps(c.config, indent=2)
    for key, value in (
        ("ID", c.id),
        ("Name", c.name),
        ("Type", c.connector_type_id),
        ("Space", c.space_id or "(all spaces)"),
        ("Preconfigured", yes(c.is_preconfigured)),
        ("Deprecated", yes(c.is_deprecated)),
        ("Missing secrets", yes(c.is_missing_secrets)),
        ("Config", config),
    ):
        grid.add_row(key, value)
    return grid


def _print_connector(connector: Connector, as_json: bool) -> None:
    if as_json:
        echo_json(connector.to_api())
    else:
        show(connectors_table([connector]))


@click.group("connectors")
def connectors_group() -> None:
    """Create, list, show, update and delete connectors.

    \b
    Examples:
      actions connectors list
      actions connectors get my-log --json
      actions connectors update my-log --name "Renamed log"
      actions connectors delete my-log --yes
    """


@connectors_group.command("create")
@click.option("--type", "type_id", required=True, metavar="TYPE_ID", help="e.g. .server-log")
@click.option("--name", required=True, help="Display name.")
@click.option("--id", "connector_id", metavar="ID", help="Connector id [default: a new UUID].")
@click.option("--config", type=JSON, help="Config as JSON, @file or - (stdin).")
@click.option("--secrets", type=JSON, help="Secrets as JSON, @file or - (stdin).")
@click.option("--prompt-secrets", is_flag=True, help="Ask for the type's secrets (hidden input).")
@space_option
@json_option
@pass_state
def create_command(
    state: State,
    type_id: str,
    name: str,
    connector_id: str | None,
    config: Any,
    secrets: Any,
    prompt_secrets: bool,
    space_id: str,
    as_json: bool,
) -> None:
    """Create a connector of a registered type and print it.

    \b
    Examples:
      actions connectors create --type .server-log --name "My log" --id my-log
      actions connectors create --type .webhook --name Hook --id hook \\
        --config '{"url": "https://example.com/hook", "method": "post"}'
      actions connectors create --type .gen-ai --name GPT --id gpt \\
        --config @openai.json --prompt-secrets
    """
    actions = state.actions
    if prompt_secrets:
        secrets = ask_for_secrets(secrets_schema(actions, type_id), secrets)
    connector = actions.connectors.create(
        connector_type_id=type_id,
        name=name,
        config=config,
        secrets=secrets,
        id=connector_id,
        space_id=space_id,
    )
    _print_connector(connector, as_json)


@connectors_group.command("list")
@space_option
@json_option
@pass_state
def list_command(state: State, space_id: str, as_json: bool) -> None:
    """List the space's connectors and every preconfigured one."""
    found = state.existing_actions.connectors.list(space_id=space_id)
    if as_json:
        echo_json([c.to_api() for c in found])
    else:
        show(connectors_table(found))


@connectors_group.command("get")
@click.argument("connector_id", metavar="ID")
@space_option
@json_option
@pass_state
def get_command(state: State, connector_id: str, space_id: str, as_json: bool) -> None:
    """Show one connector (never its secrets)."""
    connector = state.existing_actions.connectors.get(connector_id, space_id=space_id)
    if as_json:
        echo_json(connector.to_api())
    else:
        show(_connector_view(connector))


@connectors_group.command("update")
@click.argument("connector_id", metavar="ID")
@click.option("--name", help="New display name.")
@click.option("--config", type=JSON, help="New config as JSON, @file or - (stdin).")
@click.option("--secrets", type=JSON, help="New secrets as JSON, @file or - (stdin).")
@click.option("--prompt-secrets", is_flag=True, help="Ask for new secrets (hidden input).")
@space_option
@json_option
@pass_state
def update_command(
    state: State,
    connector_id: str,
    name: str | None,
    config: Any,
    secrets: Any,
    prompt_secrets: bool,
    space_id: str,
    as_json: bool,
) -> None:
    """Change a connector's name, config and/or secrets; what is omitted is kept."""
    if name is None and config is None and secrets is None and not prompt_secrets:
        raise click.UsageError(
            "nothing to update: give --name, --config, --secrets or --prompt-secrets."
        )
    actions = state.actions
    if prompt_secrets:
        current = actions.connectors.get(connector_id, space_id=space_id)
        secrets = ask_for_secrets(secrets_schema(actions, current.connector_type_id), secrets)
    connector = actions.connectors.update(
        connector_id, name=name, config=config, secrets=secrets, space_id=space_id
    )
    _print_connector(connector, as_json)


@connectors_group.command("delete")
@click.argument("connector_id", metavar="ID")
@space_option
@yes_option
@json_option
@pass_state
def delete_command(
    state: State, connector_id: str, space_id: str, assume_yes: bool, as_json: bool
) -> None:
    """Delete a connector, after asking (or with --yes); its secrets are gone for good.

    \b
    Examples:
      actions connectors delete my-log            # asks y/N on a terminal
      actions connectors delete my-log --yes      # in scripts
    """
    connectors = state.actions.connectors
    connector = connectors.get(connector_id, space_id=space_id)  # unknown: exit 1 before asking
    confirm(f'delete connector "{connector.name}" ({connector.id})', assume_yes=assume_yes)
    connectors.delete(connector_id, space_id=space_id)
    if as_json:
        echo_json({"deleted": connector.to_api()})
    else:
        click.echo(f"Deleted connector {connector_id}.")
