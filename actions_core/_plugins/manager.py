"""Finding and loading plugins: entry points of the group ``actions_core``, loaded once.

Built-in plugins are ordinary entry points of this distribution, so they load through exactly
the same path as third-party ones. ``ACTIONS_PLUGINS`` (a comma-separated allow-list of entry
point names; empty loads none) keeps tests hermetic.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import pluggy

from actions_core._plugins import hookspecs
from actions_core.errors import ActionsError, PluginError, RegistrationError

__all__ = [
    "ENTRY_POINT_GROUP",
    "PLUGINS_ENV",
    "PluginManager",
    "entry_point_plugins",
    "load_plugins",
]

_log = logging.getLogger("actions_core.plugins")
ENTRY_POINT_GROUP = "actions_core"
PLUGINS_ENV = "ACTIONS_PLUGINS"

_loaded: dict[str, Any] = {}
_load_lock = threading.Lock()


def _allow_list() -> set[str] | None:
    raw = os.environ.get(PLUGINS_ENV)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def entry_point_plugins() -> list[tuple[str, Any]]:
    """``(name, plugin object)`` for every allowed entry point; each is imported only once."""
    allowed = _allow_list()
    found = []
    for ep in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        if allowed is not None and ep.name not in allowed:
            continue
        with _load_lock:
            if ep.name not in _loaded:
                try:
                    _loaded[ep.name] = ep.load()
                except Exception as err:
                    raise PluginError(ep.name, f"could not be loaded ({ep.value}): {err}") from err
        found.append((ep.name, _loaded[ep.name]))
    return found


class PluginManager:
    """A pluggy manager with our hook specs, plus the rules about unknown hooks."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)

    def register(self, plugin: Any, name: str | None = None, *, warn_hookless: bool = True) -> None:
        name = name or _plugin_name(plugin)
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as err:
            raise PluginError(name, str(err)) from err
        except ValueError as err:  # registered twice under the same name
            raise PluginError(name, str(err)) from err
        if warn_hookless and not self.pm.get_hookcallers(plugin):
            # almost always a forgotten @actions_core.hookimpl: the plugin would do nothing
            _log.warning(
                'Plugin "%s" implements no hook: it does nothing. Mark its hook functions '
                "with @actions_core.hookimpl (hooks: %s).",
                name,
                ", ".join(_hook_names()),
            )

    def check(self) -> None:
        """Fail loudly on hook implementations that match no specification (misspelled hooks)."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as err:
            plugin_name = self.pm.get_name(err.plugin) or _plugin_name(err.plugin)
            raise PluginError(plugin_name, str(err)) from err

    def names(self) -> list[str]:
        return [name for name, _ in self.pm.list_name_plugin() if name]

    def register_action_types(self, register: Callable[..., None]) -> None:
        """Call every plugin's ``register_action_types``, attributing errors to the plugin."""
        hook = self.pm.hook.register_action_types
        for impl in hook.get_hookimpls():  # in registration order: entry points first
            name = impl.plugin_name

            def bound(action_type: Any, _name: str = name) -> None:
                register(action_type, plugin=_name)

            try:
                impl.function(register=bound)
            except RegistrationError as err:
                raise PluginError(name, err.message) from err
            except ActionsError:
                raise
            except Exception as err:
                raise PluginError(name, f"register_action_types failed: {err!r}") from err


def load_plugins(
    extra: Iterable[Any] = (), *, entry_points: bool = True, warn_hookless: bool = True
) -> PluginManager:
    """The plugin manager with the allowed entry points and ``extra``, hooks checked.

    ``warn_hookless=False`` skips the warning about plugins without hooks (for a second load
    in the same command, which would repeat it).
    """
    manager = PluginManager()
    if entry_points:
        for name, plugin in entry_point_plugins():
            manager.register(plugin, name, warn_hookless=warn_hookless)
    for plugin in extra:
        manager.register(plugin, warn_hookless=warn_hookless)
    manager.check()
    return manager


def _hook_names() -> list[str]:
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, f"{hookspecs.PROJECT}_spec")
    )


def _plugin_name(plugin: Any) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return getattr(plugin, "__name__", None) or type(plugin).__name__
