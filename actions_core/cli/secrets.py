"""``actions secrets rotate``: re-encrypt stored secrets with the current key."""

from __future__ import annotations

import click

from actions_core.cli._output import echo_json
from actions_core.cli._state import Failure, State, json_option, pass_state

__all__ = ["secrets_group"]


@click.group("secrets")
def secrets_group() -> None:
    """Manage the encryption of stored secrets."""


@secrets_group.command("rotate")
@json_option
@pass_state
def rotate_command(state: State, as_json: bool) -> None:
    """Re-encrypt every stored secret with the current key (after changing keys)."""
    counts = state.actions.rotate_secrets()
    if as_json:
        echo_json(counts)
    else:
        for key, value in counts.items():
            click.echo(f"{key}: {value}")
    if counts.get("failed"):
        raise Failure(
            f"{counts['failed']} connector(s) have secrets that no configured key can decrypt: "
            "add the key they were encrypted with to decryptionOnlyKeys and run again."
        )
