"""The HTTP service for tests: ``create_app`` on a real uvicorn server on 127.0.0.1 (in a
thread), and an httpx client that carries an API key and stops the server when closed.

A real server rather than an in-process test client: streaming, headers and errors reach the
test exactly as they reach a user (and starlette's TestClient is leaving httpx behind).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import uvicorn

from actions_core.actions import Actions
from actions_core.server import ApiKeyStore, NewApiKey, create_app

__all__ = ["ServiceClient", "api_client"]

START_TIMEOUT = 10.0  # seconds for the server to listen
STOP_TIMEOUT = 10.0  # seconds for it to finish (uvicorn checks for exit every 0.1 s)
REQUEST_TIMEOUT = 30.0


class _LiveServer:
    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            access_log=False,
            lifespan="off",
            log_config=None,  # leave the test session's logging alone (errors still propagate)
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="actions-http")
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the test HTTP service did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT)


class ServiceClient(httpx.Client):
    """An ``httpx.Client`` on the running service (relative URLs: ``client.get("/api/...")``).

    ``api_key`` is the key it sends (:class:`~actions_core.server.NewApiKey`); closing the
    client (or leaving its ``with`` block) stops the server.
    """

    def __init__(self, server: _LiveServer, api_key: NewApiKey) -> None:
        super().__init__(
            base_url=server.url,
            headers={"Authorization": f"ApiKey {api_key.encoded}", "kbn-xsrf": "true"},
            timeout=REQUEST_TIMEOUT,
        )
        self._live = server
        self.api_key = api_key

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._live.stop()

    def __exit__(self, *exc: Any) -> None:
        try:
            super().__exit__(*exc)
        finally:
            self._live.stop()


def api_client(actions: Actions, *, role: str = "all") -> ServiceClient:
    """See :func:`actions_core.testing.api_client`."""
    key = ApiKeyStore(actions.engine).create(f"testing-{role}", role)
    server = _LiveServer(create_app(actions))
    server.start()
    return ServiceClient(server, key)
