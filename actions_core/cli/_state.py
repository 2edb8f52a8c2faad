"""What every command shares: per-invocation state, failures and their exit codes, logging,
and the common options."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from actions_core.errors import ActionsError, ConfigError

if TYPE_CHECKING:
    from actions_core.actions import Actions

__all__ = [
    "ActionsGroup",
    "Failure",
    "State",
    "configure_logging",
    "json_option",
    "pass_state",
    "space_option",
]


class Failure(click.ClickException):
    """Printed as ``Error: <message>`` on stderr; exit 1 unless told otherwise."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click types it as a ClassVar


class ActionsGroup(click.Group):
    """Maps API exceptions to exit codes in one place instead of in every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as err:  # the settings are wrong, like a bad option: exit 2
            raise Failure(err.message, exit_code=2) from err
        except ActionsError as err:
            raise Failure(err.message) from err


class State:
    """Per-invocation state: ``Actions`` is built on first use, so ``--help`` and usage errors
    never open the database or generate a key file."""

    def __init__(self, config: Path | None, data_dir: Path | None) -> None:
        self.config = config
        self.data_dir = data_dir
        self._actions: Actions | None = None

    @property
    def actions(self) -> Actions:
        if self._actions is None:
            # Looked up on the package at call time: tests and embedding programs replace
            # ``actions_core.cli.build_actions`` (see its docstring).
            from actions_core import cli

            self._actions = cli.build_actions(data_dir=self.data_dir, config=self.config)
        return self._actions

    @property
    def existing_actions(self) -> Actions:
        """:attr:`actions` for a read-only command: the store must exist already, so that a
        mistyped ``--data-dir`` (or the wrong folder) is reported instead of creating one."""
        if self._actions is None:
            from actions_core.actions import missing_store

            problem = missing_store(self.data_dir, self.config)
            if problem is not None:
                raise ConfigError(problem)
        return self.actions

    def close(self) -> None:
        """Flush the event log: records are written by a background thread."""
        if self._actions is not None:
            self._actions.close()
            self._actions = None


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at each record (CliRunner swaps it per run)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:
        return sys.stderr


def configure_logging(quiet: bool) -> Callable[[], None]:
    """Send ``actions_core`` logs to stderr (INFO, or WARNING with ``--quiet``); return undo."""
    logger = logging.getLogger("actions_core")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return undo


space_option = click.option(
    "--space", "space_id", default="default", show_default=True, help="Kibana space id."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
pass_state = click.make_pass_decorator(State)
