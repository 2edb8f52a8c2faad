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


_SSE_FIELDS = ("data:", "event:", "id:", "retry:", ":")


def _write_raw(chunk: Any) -> None:
    """Bytes and text go out as they are (a generated answer reads like text); anything else
    as one JSON line."""
    out = sys.stdout
    if isinstance(chunk, bytes) and not hasattr(out, "buffer"):
        chunk = chunk.decode("utf-8", errors="replace")
    if isinstance(chunk, bytes):
        out.flush()  # keep order with text already written through the wrapper
        out.buffer.write(chunk)
        out.buffer.flush()
        return
    if not isinstance(chunk, str):
        chunk = json.dumps(chunk, ensure_ascii=False, default=str) + "\n"
    out.write(chunk)
    out.flush()


class _Ndjson:
    """``--json`` on a stream: one parsed chunk per line (NDJSON), so a script parses once.

    Objects are written as they are. A text or byte stream of server-sent events (what
    ``invokeStream`` passes through) is split into events and each ``data:`` payload is
    parsed: JSON becomes the object, ``[DONE]`` ends nothing and is not printed, anything else
    is printed as a JSON string. Text that is not an event stream is one JSON string per chunk.
    """

    def __init__(self) -> None:
        self._sse: bool | None = None
        self._pending = ""

    def write(self, chunk: Any) -> None:
        if isinstance(chunk, bytes | bytearray):
            chunk = bytes(chunk).decode("utf-8", errors="replace")
        if not isinstance(chunk, str):
            self._line(chunk)
            return
        if self._sse is None:
            if not chunk.strip():
                return
            self._sse = chunk.lstrip().startswith(_SSE_FIELDS)
        if not self._sse:
            self._line(chunk)
            return
        self._pending += chunk
        *lines, self._pending = self._pending.replace("\r\n", "\n").split("\n")
        for line in lines:
            self._event_line(line)

    def close(self) -> None:
        if self._pending:
            self._event_line(self._pending)
            self._pending = ""

    def _event_line(self, line: str) -> None:
        if not line.startswith("data:"):
            return  # event names, ids, comments and the blank line between events
        payload = line.removeprefix("data:").strip()
        if payload == "[DONE]":
            return
        try:
            self._line(json.loads(payload))
        except ValueError:
            self._line(payload)

    @staticmethod
    def _line(value: Any) -> None:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()


def _stream(chunks: Iterator[Any], as_json: bool) -> None:
    """Write each chunk as it arrives (flushed), so a generated answer appears while it is
    produced; closing the stream writes the execution's event record."""
    count = 0
    ndjson = _Ndjson() if as_json else None
    try:
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except Exception as err:  # the executor failed mid-stream
                final = getattr(chunks, "result", None)  # the same text Python and HTTP show
                detail = (final and final.service_message) or str(err) or type(err).__name__
                raise Failure(f"the stream failed after {count} chunks: {detail}") from err
            if ndjson is None:
                _write_raw(chunk)
            else:
                ndjson.write(chunk)
            count += 1
        if ndjson is not None:
            ndjson.close()
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
@click.option(
    "--json", "as_json", is_flag=True, help="Compact JSON; a stream as one JSON line per chunk."
)
@pass_state
def execute_command(
    state: State, connector_id: str, params: Any, space_id: str, as_json: bool
) -> None:
    """Run a connector and print its result; exit 1 when the result's status is "error".

    A streaming result is written chunk by chunk as it arrives; with --json, one JSON value
    per line (server-sent events are parsed: one line per data: payload).

    \b
    Examples:
      actions execute my-log --params '{"message": "hello"}'
      echo '{"message": "from stdin"}' | actions execute my-log --params -
      actions execute my-openai --json --params '{"subAction": "invokeStream",
        "subActionParams": {"messages": [{"role": "user", "content": "Hi"}]}}'
    """
    result = state.actions.execute(connector_id, params, space_id=space_id, source="cli")
    if isinstance(result.data, Iterator):
        _stream(result.data, as_json)
        return
    echo_json(result.to_api(), compact=as_json)
    if not result.ok:
        raise Failure(result_error(result))
