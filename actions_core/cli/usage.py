"""``actions usage``: token usage per interval, per model and per API key."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click
from rich.table import Table

from actions_core.cli._output import echo_json, show, table
from actions_core.cli._state import State, json_option, pass_state
from actions_core.events import UsageBucket, UsageGroup, UsageReport

INTERVALS = {"hour": 3600, "day": 86400, "week": 7 * 86400}

__all__ = ["INTERVALS", "usage_command"]


def _bucket_cells(label: str, b: UsageBucket) -> list[str]:
    counts = (b.executions, b.prompt_tokens, b.completion_tokens, b.total_tokens)
    return [label, *map(str, counts), str(b.estimated_total_tokens)]


def _usage_table(report: UsageReport, interval: str) -> Table:
    columns = ("Bucket start (UTC)", "Executions", "Prompt", "Completion", "Total", "Estimated")
    rows = [_bucket_cells(b.start.strftime("%Y-%m-%d %H:%M"), b) for b in report.buckets]
    out = table(columns, rows, title=f"Token usage per {interval}")
    out.add_section()
    out.add_row(*_bucket_cells("total", report.totals), style="bold")
    return out


def _group_cells(label: str, g: UsageGroup) -> list[str]:
    reported = g.total_tokens - g.estimated_total_tokens
    counts = (g.executions, g.prompt_tokens, g.completion_tokens, g.total_tokens, reported)
    return [label, *map(str, counts), str(g.estimated_total_tokens)]


def _usage_group_tables(report: UsageReport) -> list[Table]:
    """Per model and per API key (the event's user): the same sums as the HTTP ``_usage``."""
    columns = ("Executions", "Prompt", "Completion", "Total", "Reported", "Estimated")
    models = [_group_cells(g.key or "unknown", g) for g in report.models]
    users = [_group_cells(g.key or "(none: Python API or CLI)", g) for g in report.users]
    return [
        table(("Model", *columns), models, title="Per model"),
        table(("API key / user", *columns), users, title="Per API key"),
    ]


def _usage_json(report: UsageReport, interval: str) -> dict[str, Any]:
    def bucket(b: UsageBucket) -> dict[str, Any]:
        return {**asdict(b), "start": b.start.isoformat()}

    return {
        "connector_id": report.connector_id,
        "interval": interval,
        "interval_seconds": report.interval_seconds,
        "buckets": [bucket(b) for b in report.buckets],
        "totals": {k: v for k, v in bucket(report.totals).items() if k != "start"},
        "by_model": report.by_model,
        "models": [asdict(g) for g in report.models],
        "by_api_key": [asdict(g) for g in report.users],
    }


@click.command("usage")
@click.option("--connector", "connector_id", metavar="ID", help="Only this connector's usage.")
@click.option("--interval", type=click.Choice(list(INTERVALS)), default="day", show_default=True)
@json_option
@pass_state
def usage_command(state: State, connector_id: str | None, interval: str, as_json: bool) -> None:
    """Token usage of gen-AI executions, per interval, with totals."""
    report = state.existing_actions.usage(connector_id, interval_seconds=INTERVALS[interval])
    if as_json:
        echo_json(_usage_json(report, interval))
    else:
        show(_usage_table(report, interval), *_usage_group_tables(report))
