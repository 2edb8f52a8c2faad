"""``actions worker``: run queued executions (any number of workers, on any machine)."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["worker_command"]


@click.command("worker")
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Executions this worker runs at once (threads).",
)
@click.pass_obj
def worker_command(state: Any, concurrency: int) -> None:
    """Run queued executions from the broker (queue.brokerUrl, or the embedded database).

    Workers share one broker and one database; stop one with Ctrl+C or SIGTERM (running
    executions finish first; an execution of a worker that is killed runs again elsewhere).
    """
    from actions_core._queue.worker import run_worker

    queue = state.actions.queue
    click.echo(f"actions worker: concurrency {concurrency}, broker {_shown(queue.broker_url)}")
    run_worker(queue, concurrency=concurrency)


def _shown(url: str) -> str:
    """The broker URL without its password."""
    from sqlalchemy.engine import make_url

    prefix, _, rest = url.partition("+") if url.startswith("actionsdb+") else ("", "", url)
    try:
        shown = make_url(rest).render_as_string(hide_password=True)
    except Exception:
        shown = rest.split("@")[-1]
    return f"{prefix}+{shown}" if prefix else shown
