"""``actions enqueue`` and ``actions executions``: queued execution from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

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


def _echo(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@click.command("enqueue")
@click.argument("connector_id", metavar="ID")
@click.option("--params", default="{}", show_default=True, help="JSON, @file or - (stdin).")
@click.option("--id", "execution_id", metavar="ID", help="Execution id [default: a new UUID].")
@click.option("--space", "space_id", default="default", show_default=True, help="Kibana space id.")
@click.option("--wait", "wait_seconds", type=float, help="Wait up to this many seconds.")
@click.pass_obj
def enqueue_command(
    state: Any,
    connector_id: str,
    params: str,
    execution_id: str | None,
    space_id: str,
    wait_seconds: float | None,
) -> None:
    """Queue an execution (a worker runs it); print its id, or with --wait the execution."""
    actions = state.actions
    eid = actions.enqueue(
        connector_id, _params(params), space_id=space_id, execution_id=execution_id, source="cli"
    )
    if wait_seconds is None:
        click.echo(eid)
        return
    try:
        execution = actions.executions.wait(eid, timeout=wait_seconds)
    except TimeoutError as err:
        raise click.ClickException(str(err)) from None
    _echo(execution.to_api())
    if execution.status != "succeeded":
        raise click.ClickException(f"execution {eid} {execution.status}")


@click.group("executions")
def executions_group() -> None:
    """Queued executions: list them, show one."""


@executions_group.command("list")
@click.option("--connector", "connector_id", metavar="ID", help="Only this connector's.")
@click.option("--status", type=click.Choice(STATUSES), help="Only executions in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.pass_obj
def list_command(
    state: Any, connector_id: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """The newest queued executions first."""
    found = state.actions.executions.list(connector_id=connector_id, status=status, limit=limit)
    if as_json:
        _echo([e.to_api() for e in found])
        return
    for e in found:
        click.echo(
            f"{e.id}  {e.status:<9}  attempts {e.attempts}/{e.max_attempts}  "
            f"{e.connector_id}  queued {e.queued_at.isoformat(timespec='seconds')}"
        )


@executions_group.command("get")
@click.argument("execution_id", metavar="ID")
@click.pass_obj
def get_command(state: Any, execution_id: str) -> None:
    """One execution, as JSON (its last result included)."""
    _echo(state.actions.executions.get(execution_id).to_api())
