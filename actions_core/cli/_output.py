"""Printing: JSON, Rich tables sized for terminals and pipes, and error results."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from actions_core._run.result import ActionResult

__all__ = ["echo_json", "result_error", "show", "table", "yes"]

_PIPE_WIDTH = 1000


def echo_json(value: Any, *, compact: bool = False) -> None:
    indent = None if compact else 2
    click.echo(json.dumps(value, indent=indent, ensure_ascii=False, default=str))


def show(*renderables: Any) -> None:
    """Print with a fresh console, so it writes to the current stdout. Markup is off so names
    like ``[prod]`` print as they are. Into a pipe or file (and without ``COLUMNS``) rows are
    not wrapped at 80 characters: one row stays one line for grep and friends."""
    console = Console(markup=False, emoji=False, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPE_WIDTH
    for renderable in renderables:
        console.print(renderable)


def table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], *, title: str | None = None
) -> Table:
    """Long values fold onto more lines instead of being cut off with an ellipsis: a
    truncated id is worse than an ugly one."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*row)
    return out


def yes(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def result_error(result: ActionResult) -> str:
    text = result.message or "the action failed"
    return f"{text}: {result.service_message}" if result.service_message else text
