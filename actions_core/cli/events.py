"""``actions events``: the newest event records."""

from __future__ import annotations

from collections.abc import Iterable

import click
from rich.table import Table

from actions_core._connectors.ids import DEFAULT_SPACE, check_space_id
from actions_core.cli._output import echo_json, show, table
from actions_core.cli._state import State, json_option, pass_state
from actions_core.errors import NotFoundError
from actions_core.events import Event

__all__ = ["events_command", "events_table"]


def _event_row(e: Event) -> tuple[str, ...]:
    message = e.message or ""
    if e.error_message:
        message += f"\n{e.error_message}"
    return (
        e.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
        e.action,
        e.connector_id,
        e.outcome or "",
        "" if e.duration_ms is None else f"{e.duration_ms:.1f}",
        "" if e.total_tokens is None else str(e.total_tokens),
        message,
    )


def events_table(events: Iterable[Event], title: str | None = None) -> Table:
    columns = ("Time (UTC)", "Action", "Connector", "Outcome", "Duration ms", "Tokens", "Message")
    return table(columns, map(_event_row, events), title=title)


@click.command("events")
@click.option("--connector", "connector_id", metavar="ID", help="Only this connector's events.")
@click.option("--space", "space_id", help="Only this space's events [default: every space].")
@click.option("--execution", "execution_id", metavar="ID", help="Only this execution's events.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@json_option
@pass_state
def events_command(
    state: State,
    connector_id: str | None,
    space_id: str | None,
    execution_id: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show the newest event records (execute-start and execute), newest first.

    An unknown --connector or --execution is an error (exit 1), not an empty table: a
    connector that has events, or still exists in the space, is known; an execution is known
    by its records.

    \b
    Examples:
      actions events --limit 5
      actions events --connector my-log --json
      actions events --execution EXECUTION_ID --json
    """
    actions = state.existing_actions
    if space_id is not None:
        check_space_id(space_id)
    found = actions.events.recent(
        connector_id=connector_id, space_id=space_id, execution_id=execution_id, limit=limit
    )
    if connector_id is not None and not found:
        actions.connectors.get(connector_id, space_id=space_id or DEFAULT_SPACE)  # not found?
    if execution_id is not None and not found:
        raise NotFoundError(f"Execution [{execution_id}] not found")
    if as_json:
        echo_json([e.to_dict() for e in found])
    else:
        show(events_table(found))
