"""The kit's pytest fixtures, loaded through the ``pytest11`` entry point ``actions_core``.

Override ``actions_plugins`` and ``actions_config`` in a ``conftest.py`` to give the ``actions``
fixture (and the HTTP clients built on it) your plugin and your settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from actions_core._testing.openai import FakeOpenAI
    from actions_core._testing.service import ServiceClient
    from actions_core.actions import Actions

# actions_core itself is imported by the fixtures, not here: pytest loads this module in every
# session of an environment where actions-core is installed, whether it uses the kit or not.


@pytest.fixture
def actions_plugins() -> Iterable[Any]:
    """Plugin objects the ``actions`` fixture registers next to the installed ones (none):
    override it to test a plugin that is not installed."""
    return ()


@pytest.fixture
def actions_config() -> Mapping[str, Any] | None:
    """The ``actions:`` settings of the ``actions`` fixture (none): override it, e.g. with
    ``{"allowedHosts": ["127.0.0.1"]}`` to let connectors reach a loopback server."""
    return None


@pytest.fixture
def actions(
    tmp_path: Any, actions_plugins: Iterable[Any], actions_config: Mapping[str, Any] | None
) -> Iterator[Actions]:
    """``make_actions(tmp_path, plugins=actions_plugins, config=actions_config)``: every
    installed plugin plus ``actions_plugins``; closed after the test."""
    from actions_core.testing import make_actions

    with make_actions(tmp_path, plugins=actions_plugins, config=actions_config) as opened:
        yield opened


@pytest.fixture
def actions_http(actions: Actions) -> Iterator[ServiceClient]:
    """An HTTP client for the service over ``actions``, with an API key of role ``all``."""
    from actions_core.testing import api_client

    with api_client(actions, role="all") as client:
        yield client


@pytest.fixture
def actions_http_read(actions: Actions) -> Iterator[ServiceClient]:
    """An HTTP client for the service over ``actions``, with an API key of role ``read``."""
    from actions_core.testing import api_client

    with api_client(actions, role="read") as client:
        yield client


@pytest.fixture(scope="session")
def _actions_core_fake_openai() -> Iterator[FakeOpenAI]:
    from actions_core._testing.openai import FakeOpenAI

    with FakeOpenAI() as server:  # one per session: stopping a server takes up to 0.5 s
        yield server


@pytest.fixture
def fake_openai(_actions_core_fake_openai: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """A fake OpenAI chat completions server on 127.0.0.1 (:class:`FakeOpenAI`), with no
    recorded requests and nothing scripted when the test starts."""
    _actions_core_fake_openai.reset()
    yield _actions_core_fake_openai
    _actions_core_fake_openai.reset()
