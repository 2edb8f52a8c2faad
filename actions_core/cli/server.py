"""``actions serve``, ``actions api-keys ...`` and ``actions users ...``: the HTTP service.

The service's modules are imported when one of these commands runs, so the other commands never
load FastAPI."""

from __future__ import annotations

from typing import Any

import click

from actions_core.cli._input import ask_secret, confirm, yes_option
from actions_core.cli._output import echo_json, show, table
from actions_core.cli._state import State, json_option, pass_state

__all__ = ["api_keys_group", "serve_command", "users_group"]


@click.command("serve")
@click.option("--host", help="Address to listen on [default: server.host, 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port; 0 picks a free one [default: 5601]."
)
@click.option("--public-base-url", help="Base URL clients use [default: server.publicBaseUrl].")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    help="Processes sharing the port [default: server.workers, else one per core].",
)
@pass_state
def serve_command(
    state: State,
    host: str | None,
    port: int | None,
    public_base_url: str | None,
    workers: int | None,
) -> None:
    """Run the Kibana-compatible HTTP service: the connector API and the usage dashboard.

    \b
    Examples:
      actions serve                       # http://127.0.0.1:5601
      actions serve --port 8080
      actions serve --host 0.0.0.0 --public-base-url https://actions.example.com
    """
    from actions_core.server.serve import serve

    actions = state.actions
    server = actions.settings.actions.server
    serve(
        actions,
        host=host or server.host,
        port=server.port if port is None else port,
        workers=workers,
        public_base_url=public_base_url,
        echo=click.echo,
    )


def _api_keys(state: State) -> Any:
    from actions_core.server.apikeys import ApiKeyStore

    return ApiKeyStore(state.actions.engine)


@click.group("api-keys")
def api_keys_group() -> None:
    """Create, list and revoke the HTTP service's API keys.

    Only a hash of each key is stored: a key is printed once, when it is created.
    """


@api_keys_group.command("create")
@click.option("--name", required=True, help="What the key is for (shown in usage reports).")
@click.option(
    "--role",
    type=click.Choice(["read", "all"]),
    default="read",
    show_default=True,
    help="read: list, get, types, execute, usage; all: also create, update, delete.",
)
@json_option
@pass_state
def api_keys_create_command(state: State, name: str, role: str, as_json: bool) -> None:
    """Create a key; it is printed this once only."""
    new = _api_keys(state).create(name, role, created_by="cli")
    if as_json:
        echo_json({**new.key.to_dict(), "api_key": new.api_key, "encoded": new.encoded})
        return
    click.echo(f'Created API key "{new.key.name}" (id {new.key.id}, role {new.key.role}).')
    click.echo("It is shown only this once. Send it as:")
    click.echo(f"  Authorization: ApiKey {new.encoded}")


@api_keys_group.command("list")
@json_option
@pass_state
def api_keys_list_command(state: State, as_json: bool) -> None:
    """List the keys (never the keys themselves)."""
    found = _api_keys(state).list()
    if as_json:
        echo_json([key.to_dict() for key in found])
        return
    rows = [(k.id, k.name, k.role, k.created_at, k.revoked_at or "") for k in found]
    show(table(("ID", "Name", "Role", "Created", "Revoked"), rows))


@api_keys_group.command("revoke")
@click.argument("key_id", metavar="ID")
@yes_option
@json_option
@pass_state
def api_keys_revoke_command(state: State, key_id: str, assume_yes: bool, as_json: bool) -> None:
    """Revoke a key, after asking (or with --yes): requests with it answer 401 from now on."""
    keys = _api_keys(state)
    known = keys.get(key_id)  # an unknown id is not found (exit 1) before anything is asked
    confirm(f'revoke API key "{known.name}" ({key_id})', assume_yes=assume_yes)
    key = keys.revoke(key_id)
    if as_json:
        echo_json(key.to_dict())
    else:
        click.echo(f'Revoked API key "{key.name}" ({key.id}).')


@click.group("users")
def users_group() -> None:
    """Help with the HTTP service's Basic-auth users (configured in server.users)."""


@users_group.command("hash-password")
@json_option
def hash_password_command(as_json: bool) -> None:
    """Print a passwordHash for server.users (asks for the password, or reads one line)."""
    from actions_core.server.passwords import hash_password

    password = ask_secret("Password", required=True)
    hashed = hash_password(password)
    if as_json:
        echo_json({"passwordHash": hashed})
    else:
        click.echo(hashed)
