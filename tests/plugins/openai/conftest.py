"""Fixtures of the ``.gen-ai`` tests: the plugin loaded through its entry point, upstreams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from actions_core import Actions
from tests.plugins.openai.support import Upstream
from tests.support import KEY

LOOPBACK = ["127.0.0.1", "localhost"]
#: Public hosts some tests name in connectors (never contacted: no network here).
NAMED_HOSTS = ["api.openai.com", "r.openai.azure.com"]


class GenAi:
    """An ``Actions`` with only the ``openai`` plugin, and shortcuts to make and run connectors."""

    def __init__(self, actions: Actions) -> None:
        self.actions = actions

    def create(
        self,
        provider: str = "OpenAI",
        url: str = "https://api.openai.com/v1/chat/completions",
        secrets: dict[str, Any] | None = None,
        **config: Any,
    ) -> str:
        if provider == "Other":
            config.setdefault("defaultModel", "local-model")
        connector = self.actions.connectors.create(
            connector_type_id=".gen-ai",
            name="gpt",
            config={"apiProvider": provider, "apiUrl": url, **config},
            secrets={"apiKey": "sk-secret"} if secrets is None else secrets,
        )
        return connector.id

    def run(self, connector_id: str, sub_action: str, **params: Any):
        return self.actions.execute(
            connector_id, {"subAction": sub_action, "subActionParams": params}
        )

    def last_event(self, connector_id: str):
        return self.actions.recent_events(connector_id, action="execute")[0]


@pytest.fixture
def gen_ai_factory(make_actions, monkeypatch) -> Any:
    """Build a :class:`GenAi` with extra ``actions`` settings (loopback always allowed)."""
    monkeypatch.setenv("ACTIONS_PLUGINS", "openai")

    def factory(**settings: Any) -> GenAi:
        options = {"encryptionKey": KEY, "allowedHosts": LOOPBACK + NAMED_HOSTS, **settings}
        return GenAi(make_actions(config={"actions": options}))

    return factory


@pytest.fixture
def gen_ai(gen_ai_factory) -> GenAi:
    return gen_ai_factory()


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[Upstream]:
    """One scripted upstream for the session (stopping a werkzeug server takes 0.5 s)."""
    with Upstream() as server:
        yield server


@pytest.fixture
def upstream(upstream_server) -> Iterator[Upstream]:
    """The shared upstream, with no expectations and an empty log before and after the test."""
    upstream_server.clear()
    yield upstream_server
    upstream_server.clear()
