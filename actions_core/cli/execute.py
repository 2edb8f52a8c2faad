"""``actions execute``: run a connector; streamed results are written chunk by chunk."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from actions_core.cli._input import JSON
from actions_core.cli._output import echo_json, result_error
from actions_core.cli._state import Failure, State, pass_state, space_option

__all__ = ["execute_command"]


def _write_chunk(chunk: Any, as_json: bool) -> None:
    """Bytes and text go out as they are; anything else (everything with ``--json``) as one
    JSON line, so a consumer can parse chunk by chunk."""
    out = sys.stdout
    if isinstance(chunk, bytes) and (as_json or not hasattr(out, "buffer")):
        chunk = chunk.decode("utf-8", errors="replace")
    if isinstance(chunk, bytes):
        out.flush()  # keep order with text already written through the wrapper
        out.buffer.write(chunk)
        out.buffer.flush()
        return
    if as_json or not isinstance(chunk, str):
        chunk = json.dumps(chunk, ensure_ascii=False, default=str) + "\n"
    out.write(chunk)
    out.flush()


def _stream(chunks: Iterator[Any], as_json: bool) -> None:
    """Write each chunk as it arrives (flushed), so a generated answer appears while it is
    produced; closing the stream writes the execution's event record."""
    count = 0
    try:
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except Exception as err:  # the executor failed mid-stream
                final = getattr(chunks, "result", None)  # the same text Python and HTTP show
                detail = (final and final.service_message) or str(err) or type(err).__name__
                raise Failure(f"the stream failed after {count} chunks: {detail}") from err
            _write_chunk(chunk, as_json)
            count += 1
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


@click.command("execute")
@click.argument("connector_id", metavar="ID")
@click.option(
    "--params", type=JSON, default="{}", show_default=True, help="JSON, @file or - (stdin)."
)
@space_option
@click.option("--json", "as_json", is_flag=True, help="Compact JSON; stream chunks as JSON lines.")
@pass_state
def execute_command(
    state: State, connector_id: str, params: Any, space_id: str, as_json: bool
) -> None:
    """Run a connector. Exit 1 when the result's status is "error"."""
    result = state.actions.execute(connector_id, params, space_id=space_id, source="cli")
    if isinstance(result.data, Iterator):
        _stream(result.data, as_json)
        return
    echo_json(result.to_api(), compact=as_json)
    if not result.ok:
        raise Failure(result_error(result))
