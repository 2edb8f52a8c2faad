"""The test kit for plugin authors: ``Actions`` on a throwaway store, an HTTP client for the
service, and real loopback servers (a fake OpenAI among them).

``pip install actions-core[testing]`` installs what the kit needs, and pytest finds its fixtures
(``actions``, ``actions_http``, ``actions_http_read``, ``fake_openai``, …) through the
``pytest11`` entry point: no ``conftest.py`` import needed. This module itself imports without
pytest; the server classes load on first use and need the ``testing`` extra. The guide is
docs/testing-plugins.md.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actions_core.actions import Actions
from actions_core.settings import load_settings

if TYPE_CHECKING:  # pragma: no cover
    from actions_core._testing.openai import (
        DEFAULT_CONTENT,
        USAGE,
        FakeOpenAI,
        RecordedRequest,
        chunk,
        completion,
        sse,
    )
    from actions_core._testing.servers import (
        WAIT,
        Pki,
        TcpServer,
        Upstream,
        read_request_head,
        wait_until,
    )
    from actions_core._testing.service import ServiceClient

__all__ = [
    "DATA_DIR_NAME",
    "DEFAULT_CONTENT",
    "TEST_ENCRYPTION_KEY",
    "USAGE",
    "WAIT",
    "FakeOpenAI",
    "Pki",
    "RecordedRequest",
    "ServiceClient",
    "TcpServer",
    "Upstream",
    "api_client",
    "chunk",
    "completion",
    "make_actions",
    "read_request_head",
    "sse",
    "wait_until",
]

#: The fixed encryption key of every ``make_actions`` store (never use it outside tests).
TEST_ENCRYPTION_KEY = "actions-core-testing-key-not-a-secret-0123456789"
#: ``make_actions(tmp_path)`` keeps its store in ``tmp_path / DATA_DIR_NAME``.
DATA_DIR_NAME = "actions-data"

_PLUGINS_ENV = "ACTIONS_PLUGINS"
_env_lock = threading.Lock()

_LAZY = {
    "DEFAULT_CONTENT": "actions_core._testing.openai",
    "USAGE": "actions_core._testing.openai",
    "FakeOpenAI": "actions_core._testing.openai",
    "RecordedRequest": "actions_core._testing.openai",
    "chunk": "actions_core._testing.openai",
    "completion": "actions_core._testing.openai",
    "sse": "actions_core._testing.openai",
    "ServiceClient": "actions_core._testing.service",
    "WAIT": "actions_core._testing.servers",
    "Pki": "actions_core._testing.servers",
    "TcpServer": "actions_core._testing.servers",
    "Upstream": "actions_core._testing.servers",
    "read_request_head": "actions_core._testing.servers",
    "wait_until": "actions_core._testing.servers",
}


def __getattr__(name: str) -> Any:
    """The servers load on first use: they need the ``testing`` extra, ``make_actions`` not."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    try:
        value = getattr(importlib.import_module(module), name)
    except ImportError as err:
        raise ImportError(
            f"actions_core.testing.{name} needs the testing extra "
            f"(pip install 'actions-core[testing]'): {err}"
        ) from err
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def make_actions(
    tmp_path: str | os.PathLike[str],
    *,
    plugins: Iterable[Any] = (),
    config: Mapping[str, Any] | None = None,
    builtins: bool = True,
) -> Actions:
    """An :class:`~actions_core.Actions` on a fresh embedded store in ``tmp_path``.

    * The store is SQLite in ``tmp_path / "actions-data"``, encrypted with
      :data:`TEST_ENCRYPTION_KEY`; a second call with the same ``tmp_path`` reopens the same
      store (a restart).
    * ``plugins``: modules or objects with ``@hookimpl`` functions, each registered under its
      own name (a module's ``__name__``, else the object's ``__name__``, else its class name).
    * ``config``: the ``actions:`` mapping of an actions.yml (``allowedHosts``,
      ``preconfigured``, ``server``, …); ``encryptionKey`` defaults to the test key.
    * ``builtins=True`` loads every installed entry-point plugin (the built-in ones and any
      other installed package), except one whose object is also in ``plugins`` (registered
      once, under its own name); ``builtins=False`` loads none.

    Nothing in the environment changes the result: ``ACTIONS_PLUGINS`` is ignored, and so are
    ``ACTIONS_CONFIG``, ``./actions.yml`` and every other ``ACTIONS_*`` setting. Close the
    result (``with make_actions(tmp_path) as actions:``); the ``actions`` fixture does.
    """
    extra = list(plugins)
    options = dict(config or {})
    options.setdefault("encryptionKey", TEST_ENCRYPTION_KEY)
    settings = load_settings({"actions": options}, env={})
    data_dir = Path(tmp_path) / DATA_DIR_NAME
    if not builtins:
        return Actions(data_dir, settings, plugins=extra, load_entry_points=False)
    with _env_lock, _plugins_env(None):
        from actions_core._plugins.manager import entry_point_plugins

        names = [name for name, obj in entry_point_plugins() if not any(obj is p for p in extra)]
        with _plugins_env(",".join(names)):  # "" loads none
            return Actions(data_dir, settings, plugins=extra, load_entry_points=True)


@contextlib.contextmanager
def _plugins_env(value: str | None) -> Iterator[None]:
    """``ACTIONS_PLUGINS`` set to ``value`` (unset for ``None``) for the block, then restored."""
    before = os.environ.get(_PLUGINS_ENV)
    if value is None:
        os.environ.pop(_PLUGINS_ENV, None)
    else:
        os.environ[_PLUGINS_ENV] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_PLUGINS_ENV, None)
        else:
            os.environ[_PLUGINS_ENV] = before


def api_client(actions: Actions, *, role: str = "all") -> ServiceClient:
    """An HTTP client for the service over ``actions``: ``create_app(actions)`` served by a
    real uvicorn server on 127.0.0.1, and an ``httpx.Client`` on it that sends a new API key of
    ``role`` (``"all"`` or ``"read"``, named ``testing-<role>``) and ``kbn-xsrf`` with every
    request. Its ``api_key`` attribute is that key.

    Use it as a context manager (``with api_client(actions) as http: ...``): closing the client
    stops the server. Needs httpx (the ``testing`` extra).
    """
    from actions_core._testing.service import api_client as start

    return start(actions, role=role)
