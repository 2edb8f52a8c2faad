"""``actions serve``: bind, make sure an API key exists, print how to call, run uvicorn."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from actions_core.actions import Actions
from actions_core.errors import ActionsError
from actions_core.server.apikeys import INITIAL_KEY_FILE, ApiKeyStore, NewApiKey
from actions_core.server.app import create_app
from actions_core.server.audit import AUDIT_FILE

__all__ = ["base_url", "bind", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free port), IPv4 or IPv6."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ActionsError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as err:
        sock.close()
        reason = err.strerror or str(err)
        raise ActionsError(
            f"cannot listen on {host}:{port}: {reason} (choose another --port or server.port)"
        ) from None
    sock.set_inheritable(True)
    return sock


def base_url(host: str, port: int) -> str:
    """The URL a local client uses: wildcard addresses become loopback, IPv6 is bracketed."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        if ipaddress.ip_address(shown).version == 6:
            shown = f"[{shown}]"
    except ValueError:
        pass  # a host name
    return f"http://{shown}:{port}"


def _banner(
    url: str, data_dir: Path, initial: NewApiKey | None, key_file: Path, public: str
) -> list[str]:
    lines = [
        f"actions-core serves Kibana's connector API on {url}",
        f"  data dir: {data_dir}   audit log: {data_dir / AUDIT_FILE}",
    ]
    if initial is not None:
        lines += [
            "",
            'First start: created the API key "initial" (role all). It is shown only this once',
            f"and saved in {key_file} (mode 0600):",
            f"  {initial.encoded}",
        ]
    auth = f'"Authorization: ApiKey $(cat {key_file})"'
    if initial is None and not key_file.is_file():
        auth = '"Authorization: ApiKey <encoded key>"'
        lines += ["", "Create an API key with: actions api-keys create --name NAME --role all"]
    lines += [
        "",
        "Try:",
        f"  curl -s -H {auth} {url}/api/actions/connectors",
        f"  curl -s -H {auth} {url}/api/actions/connector_types",
        f"Token usage dashboard: {public.rstrip('/')}/app/connectors",
        "  (in a browser, sign in with the key's id as user name and the key as password:",
        f"   base64 -d {key_file} shows them as id:key)",
        "Press Ctrl+C to stop.",
    ]
    return lines


def serve(
    actions: Actions,
    *,
    host: str,
    port: int,
    public_base_url: str | None = None,
    echo: Callable[[str], None] = print,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Run the service until interrupted (SIGINT/SIGTERM stop it gracefully)."""
    sock = bind(host, port)
    keys = ApiKeyStore(actions.engine)
    data_dir = Path(actions.data_dir)
    initial = keys.ensure_initial_key(data_dir)
    url = base_url(host, sock.getsockname()[1])
    public = public_base_url or actions.settings.actions.server.publicBaseUrl or url
    actions.public_base_url = public  # executors see ctx.dashboard_url built from it
    app = create_app(actions, keys=keys)
    for line in _banner(url, data_dir, initial, data_dir / INITIAL_KEY_FILE, public):
        echo(line)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=5,
        lifespan="off",
        server_header=False,
    )
    worker = _embedded_worker(actions, echo)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        if worker is not None:
            worker.stop()


def _embedded_worker(actions: Actions, echo: Callable[[str], None]) -> Any:
    """Without ``queue.brokerUrl`` the service runs queued executions itself (durably: the
    broker is the embedded database). With a broker, ``actions worker`` processes do."""
    if actions.settings.actions.queue.brokerUrl:
        return None
    from actions_core._queue.worker import BackgroundWorker

    worker = BackgroundWorker(actions.queue)
    worker.start()
    echo("Queued executions run in this process (no queue.brokerUrl).")
    return worker
