"""``actions demo``: the first run, from nothing to an executed connector and its events."""

from __future__ import annotations

import contextlib

import click

from actions_core.cli._output import echo_json, result_error, show
from actions_core.cli._state import Failure, State, json_option, pass_state
from actions_core.cli.connectors import connectors_table
from actions_core.cli.events import events_table
from actions_core.errors import ConflictError, NotFoundError

DEMO_CONNECTOR_ID = "demo-server-log"
DEMO_CONNECTOR_NAME = "Demo server log"
DEMO_MESSAGE = "Hello from actions-core"

__all__ = ["DEMO_CONNECTOR_ID", "demo_command"]


@click.command("demo")
@json_option
@pass_state
def demo_command(state: State, as_json: bool) -> None:
    """Create (once) and run a server-log connector, then show what happened.

    The first thing to try after set-up: it needs no configuration and no network.
    """
    actions = state.actions
    try:
        actions.connectors.get(DEMO_CONNECTOR_ID)
    except NotFoundError:
        with contextlib.suppress(ConflictError):  # another run created it meanwhile: fine
            actions.connectors.create(
                connector_type_id=".server-log", name=DEMO_CONNECTOR_NAME, id=DEMO_CONNECTOR_ID
            )
    result = actions.execute(DEMO_CONNECTOR_ID, {"message": DEMO_MESSAGE}, source="cli")
    if not result.ok:
        raise Failure(result_error(result))
    if as_json:
        echo_json(
            {
                "result": result.to_api(),
                "connectors": [c.to_api() for c in actions.connectors.list()],
                "events": [e.to_dict() for e in actions.recent_events(limit=5)],
            }
        )
        return
    click.echo(f"Executed {DEMO_CONNECTOR_ID}: {result.status}")
    show(
        connectors_table(actions.connectors.list(), title="Connectors"),
        events_table(actions.recent_events(limit=5), title="Last 5 events"),
    )
