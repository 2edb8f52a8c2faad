"""One real service for the server tests: a uvicorn process on a free port, with API keys,
Basic users, preconfigured connectors and the test action types; plus a scripted upstream."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions_core import Actions
from actions_core.server import ApiKeyStore, hash_password
from tests.server.support import RunningServer, start_test_server
from tests.server.upstream import ScriptedUpstream
from tests.support import KEY

PRE_SECRET = "pre-secret-value-7c1e"
ALICE = ("alice", "alice-password-2b7f")  # role all, configured with a password hash
BOB = ("bob", "bob-password-91d0")  # role read, configured with a plain password
MAX_PAYLOAD = 256 * 1024


def server_config(upstream_url: str) -> dict[str, Any]:
    return {
        "actions": {
            "encryptionKey": KEY,
            "allowedHosts": ["127.0.0.1", "localhost"],
            "preconfigured": {
                "pre-log": {"name": "Preconfigured log", "actionTypeId": ".server-log"},
                "pre-echo": {
                    "name": "Preconfigured echo",
                    "actionTypeId": ".echo",
                    "config": {"url": "https://pre.example"},
                    "secrets": {"token": PRE_SECRET},
                },
            },
            "server": {
                "maxPayload": MAX_PAYLOAD,
                "users": {
                    ALICE[0]: {"role": "all", "passwordHash": hash_password(ALICE[1])},
                    BOB[0]: {"role": "read", "password": BOB[1]},
                },
            },
        }
    }


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Server:
    """The running service and the credentials the tests use."""

    running: RunningServer
    data_dir: Path
    upstream: ScriptedUpstream
    keys: dict[str, Any] = field(default_factory=dict)  # name → NewApiKey

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def db(self) -> Path:
        return self.data_dir / "actions.sqlite3"

    def auth(self, who: str = "admin") -> str:
        if who == "alice":
            return basic(*ALICE)
        if who == "bob":
            return basic(*BOB)
        return f"ApiKey {self.keys[who].encoded}"

    def request(
        self,
        method: str,
        path: str,
        *,
        who: str | None = "admin",
        xsrf: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if who is not None:
            sent.setdefault("Authorization", self.auth(who))
        if xsrf and method != "GET":
            sent.setdefault("kbn-xsrf", "true")
        return httpx.request(method, self.url + path, headers=sent, timeout=20, **kwargs)


@pytest.fixture(scope="session")
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as scripted:
        yield scripted


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstream: ScriptedUpstream
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("server")
    config = server_config(upstream.url)
    data_dir = workdir / "data"
    actions = Actions(data_dir=data_dir, config=config, load_entry_points=False)
    try:
        store = ApiKeyStore(actions.engine)
        keys = {
            "admin": store.create("admin", "all"),
            "reader": store.create("reader", "read"),
            "revoked": store.create("revoked", "all"),
        }
        store.revoke(keys["revoked"].key.id)
    finally:
        actions.close()
    running = start_test_server(workdir, config)
    try:
        yield Server(running, data_dir, upstream, keys)
    finally:
        running.stop()
