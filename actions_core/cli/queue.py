"""``actions enqueue`` and ``actions executions``: queued execution from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from actions_core.cli._output import echo_json, show, table
from actions_core.cli._state import State, json_option, pass_state

__all__ = ["enqueue_command", "executions_group"]

STATUSES = ("queued", "running", "succeeded", "failed")


def _params(value: str) -> Any:
    """Inline JSON, ``@path`` (a file) or ``-`` (stdin)."""
    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as err:
            raise click.BadParameter(f"cannot read {value[1:]}: {err.strerror}") from None
    else:
        text = value
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"not valid JSON: {err}") from None


def _show(execution: Any, as_json: bool) -> None:
    if as_json:
        echo_json(execution.to_api())
        return
    click.echo("\n".join(f"{name}: {value}" for name, value in execution.to_api().items()))


@click.command("enqueue")
@click.argument("connector_id", metavar="ID")
@click.option("--params", default="{}", show_default=True, help="JSON, @file or - (stdin).")
@click.option("--id", "execution_id", metavar="ID", help="Execution id [default: a new UUID].")
@click.option("--space", "space_id", default="default", show_default=True, help="Kibana space id.")
@click.option("--wait", "wait_seconds", type=float, help="Wait up to this many seconds.")
@json_option
@pass_state
def enqueue_command(
    state: State,
    connector_id: str,
    params: str,
    execution_id: str | None,
    space_id: str,
    wait_seconds: float | None,
    as_json: bool,
) -> None:
    """Queue an execution (a worker runs it); print its id, or with --wait the execution."""
    actions = state.actions
    eid = actions.enqueue(
        connector_id, _params(params), space_id=space_id, execution_id=execution_id, source="cli"
    )
    if wait_seconds is None:
        if as_json:
            echo_json({"execution_id": eid})
        else:
            click.echo(eid)
        return
    try:
        execution = actions.executions.wait(eid, timeout=wait_seconds)
    except TimeoutError as err:
        raise click.ClickException(str(err)) from None
    _show(execution, as_json)
    if execution.status != "succeeded":
        raise click.ClickException(f"execution {eid} {execution.status}")


@click.group("executions")
def executions_group() -> None:
    """List queued executions, or show one."""


@executions_group.command("list")
@click.option("--connector", "connector_id", metavar="ID", help="Only this connector's.")
@click.option("--status", type=click.Choice(STATUSES), help="Only executions in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@json_option
@pass_state
def list_command(
    state: State, connector_id: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """List queued executions, the newest first."""
    found = state.existing_actions.executions.list(
        connector_id=connector_id, status=status, limit=limit
    )
    if as_json:
        echo_json([e.to_api() for e in found])
        return
    show(
        table(
            ["ID", "Status", "Attempts", "Connector", "Queued"],
            [
                [
                    e.id,
                    e.status,
                    f"{e.attempts}/{e.max_attempts}",
                    e.connector_id,
                    e.queued_at.isoformat(timespec="seconds"),
                ]
                for e in found
            ],
        )
    )


@executions_group.command("get")
@click.argument("execution_id", metavar="ID")
@json_option
@pass_state
def get_command(state: State, execution_id: str, as_json: bool) -> None:
    """Show one queued execution, its last result included."""
    _show(state.existing_actions.executions.get(execution_id), as_json)
