"""Shared fixtures: every test runs hermetically in its own directory with only chosen plugins."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import actions_core
from actions_core import Actions
from tests.servers import loopback_only
from tests.support import KEY, TypesPlugin

pytest_plugins = ["tests.service_fixtures"]


@pytest.fixture(scope="session")
def schema_cache_dir(tmp_path_factory) -> str:
    """One cache dir for the whole run: tests never write to the user's real cache."""
    return str(tmp_path_factory.mktemp("actions-core-cache"))


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path, schema_cache_dir: str) -> None:
    """No ambient ACTIONS_* settings, cwd in a temp dir, only the built-in server-log plugin."""
    for name in list(os.environ):
        if name.startswith("ACTIONS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log")
    monkeypatch.setenv("ACTIONS_CACHE_DIR", schema_cache_dir)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def loopback_network_only() -> Iterator[None]:
    """No test may ever connect to, or even resolve, a non-loopback address.

    Calls made from server threads are caught too: they are collected and checked here.
    """
    with loopback_only() as violations:
        yield
    assert violations == []


@pytest.fixture
def make_actions(tmp_path, request) -> Iterator[Callable[..., Actions]]:
    """Build ``Actions`` on a temp data dir; closed after the test.

    In a module marked ``both_stores`` the store is the run's back-end (SQLite or PostgreSQL).
    """
    opened: list[Actions] = []
    database_url = (
        request.getfixturevalue("database_url")
        if request.node.get_closest_marker("both_stores")
        else None
    )

    def factory(
        *types: actions_core.ActionType,
        config: Any = None,
        data_dir: Any = None,
        **kwargs: Any,
    ) -> Actions:
        settings = config if config is not None else {"actions": {"encryptionKey": KEY}}
        if database_url and isinstance(settings, dict):
            block = dict(settings.get("actions") or {})
            block.setdefault("databaseUrl", database_url)
            settings = {**settings, "actions": block}
        actions = Actions(
            data_dir=data_dir or tmp_path / "data",
            config=settings,
            plugins=[*kwargs.pop("plugins", ()), *([TypesPlugin(*types)] if types else [])],
            **kwargs,
        )
        opened.append(actions)
        return actions

    yield factory
    for actions in opened:
        actions.close()
