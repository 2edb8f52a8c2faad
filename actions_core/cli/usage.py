"""``actions usage``: token usage per interval, per model and per API key.

``--json`` prints exactly the body of the HTTP service's ``GET …/connector/{id}/_usage``
(:func:`actions_core.usage.usage_body`), with the same filters and intervals; the tables are
drawn from that body, so the two views cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import click
from rich.table import Table

from actions_core._connectors.ids import check_space_id
from actions_core.cli._output import echo_json, show, table
from actions_core.cli._state import State, json_option, pass_state, space_option
from actions_core.errors import ValidationError
from actions_core.usage import parse_usage_query, usage_body

__all__ = ["usage_command"]

_SUMS = (
    "executions",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "reported_total_tokens",
    "estimated_total_tokens",
)
_SUM_COLUMNS = ("Executions", "Prompt", "Completion", "Total", "Reported", "Estimated")
_OPTIONS = {"from": "'--from'", "to": "'--to'", "interval": "'--interval'"}


class _KeyNames(Mapping[str, str]):
    """API key names, read from the service's table on first use: only a report with API key
    users (executions over HTTP) loads the service's modules."""

    def __init__(self, state: State) -> None:
        self._state = state
        self._names: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._names is None:
            from actions_core.server.apikeys import ApiKeyStore

            keys = ApiKeyStore(self._state.existing_actions.engine).list()
            self._names = {key.id: key.name for key in keys}
        return self._names

    def __getitem__(self, key: str) -> str:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _cells(label: str, sums: Mapping[str, Any]) -> list[str]:
    return [label, *(str(sums[name]) for name in _SUMS)]


def _usage_tables(body: Mapping[str, Any]) -> list[Table]:
    """Intervals with executions (the JSON lists every interval), totals, per model, per key."""
    busy = [b for b in body["buckets"] if b["executions"]]
    rows = [_cells(b["start"][:16].replace("T", " "), b) for b in busy]
    who = body["connector_id"] or f"all connectors of space {body['space_id']}"
    start, end = (body[k][:16].replace("T", " ") for k in ("from", "to"))
    title = f"Token usage per {body['interval']} ({who}), {start} to {end} UTC"
    intervals = table(("Interval start (UTC)", *_SUM_COLUMNS), rows, title=title)
    intervals.add_section()
    intervals.add_row(*_cells("total", body["totals"]), style="bold")
    models = [_cells(m["model"], m) for m in body["by_model"]]
    keys = [_cells(k["name"], k) for k in body["by_api_key"]]
    return [
        intervals,
        table(("Model", *_SUM_COLUMNS), models, title="Per model"),
        table(("API key / user", *_SUM_COLUMNS), keys, title="Per API key"),
    ]


@click.command("usage")
@click.option("--connector", "connector_id", metavar="ID", help="Only this connector's usage.")
@space_option
@click.option(
    "--from", "start", metavar="TIME", help="ISO 8601, epoch ms or now-7d [default: now-30d]."
)
@click.option("--to", "end", metavar="TIME", help="ISO 8601, epoch ms or now [default: now].")
@click.option(
    "--interval",
    default="day",
    show_default=True,
    help="minute, hour, day, week or a duration such as 15m or 6h.",
)
@json_option
@pass_state
def usage_command(
    state: State,
    connector_id: str | None,
    space_id: str,
    start: str | None,
    end: str | None,
    interval: str,
    as_json: bool,
) -> None:
    """Show the token usage of gen-AI executions per interval, model and API key.

    With --json it prints exactly the body of GET /api/actions/connector/ID/_usage; without
    --connector, the same report over every connector of the space.

    \b
    Examples:
      actions usage
      actions usage --connector my-openai --from now-1h --interval minute
      actions usage --connector my-openai --from 2024-05-01 --to 2024-06-01 --json
    """
    try:
        query = parse_usage_query(start, end, interval)
    except ValidationError as err:
        field, detail = err.problems[0] if err.problems else ("", err.message)
        hint = _OPTIONS.get(field, "'--from' / '--to'")
        raise click.BadParameter(detail, param_hint=hint) from None
    check_space_id(space_id)
    body = usage_body(
        state.existing_actions,
        query,
        connector_id=connector_id,
        space_id=space_id,
        key_names=_KeyNames(state),
    )
    if as_json:
        echo_json(body)
    else:
        show(*_usage_tables(body))
