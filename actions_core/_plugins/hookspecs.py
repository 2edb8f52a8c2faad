"""The plugin contract: pluggy markers and the hook specifications plugins implement."""

from __future__ import annotations

from collections.abc import Callable

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "actions_core"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_action_types(register: Callable[..., None]) -> None:
    """Register action (connector) types by calling ``register(ActionType(...))``.

    Called once when an ``Actions`` instance starts. ``register`` raises
    ``RegistrationError`` when a type breaks a rule (duplicate or invalid id, invalid schema);
    the error is reported with the name of the plugin that caused it.
    """
