"""``actions serve``: bind, make sure an API key exists, print how to call, run uvicorn.

With ``--workers N`` (``server.workers``; default: one per core) ``N`` forked worker processes
serve the port, each with its own event loop, database connections, event-log writer and
audit-log writer. Where the system has ``SO_REUSEPORT`` (Linux) each worker listens on a socket
of its own and the kernel spreads new connections over them; one socket accepted from by every
worker would let whichever worker wakes first take a whole burst of connections, and with
keep-alive clients (every SDK) one worker would then serve them all while the others idle. The
parent holds the port (bound, not listening) so that a worker it restarts binds the same one.
The parent only supervises: it restarts a worker that dies and, on SIGTERM or SIGINT, stops
them all (each finishes its requests). What must agree across workers does: API keys are
checked against the database on every request, the resolved connector cache checks the row's
version (``ConnectorsClient.shared_store``), SQLite runs in WAL mode with a busy timeout, and
both logs append whole lines (``O_APPEND``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from actions_core.actions import Actions
from actions_core.errors import ActionsError
from actions_core.server.apikeys import INITIAL_KEY_FILE, ApiKeyStore, NewApiKey
from actions_core.server.app import create_app
from actions_core.server.audit import AUDIT_FILE
from actions_core.server.dashboard import usage_page_urls

__all__ = ["base_url", "bind", "default_workers", "serve"]

#: A worker that dies within this many seconds of starting counts as failing to start.
_QUICK_EXIT = 2.0


def bind(host: str, port: int, *, listen: bool = True, reuse_port: bool = False) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free port), IPv4 or IPv6; with
    ``reuse_port``, one of a group bound to the same port (``SO_REUSEPORT``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ActionsError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
        if listen:
            sock.listen(2048)
    except OSError as err:
        sock.close()
        reason = err.strerror or str(err)
        raise ActionsError(
            f"cannot listen on {host}:{port}: {reason} (choose another --port or server.port)"
        ) from None
    sock.set_inheritable(True)
    return sock


#: What a local client connects to when the service listens on every address.
_LOCAL_FOR_WILDCARD = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def base_url(host: str, port: int) -> str:
    """The URL a local client uses: wildcard addresses become loopback, IPv6 is bracketed."""
    shown = _LOCAL_FOR_WILDCARD.get(host, host)
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


def default_workers() -> int:
    """One worker per core this process may run on."""
    return max(1, len(_cores()) or os.cpu_count() or 1)


def _cores() -> list[int]:
    """The cores this process may run on (empty where the system does not say)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []


def worker_cores(count: int, pin: bool | None) -> list[int | None]:
    """The core each of ``count`` workers is pinned to (``None``: not pinned).

    Unset ``pin`` pins when there is one worker per core: two busy workers that the scheduler
    moves between the cores lose their caches at every move (measured: 7% more CPU per request
    than pinned ones, bench/gateway-notes.md). Pinned, a worker cannot move to a core another
    program leaves idle, so it is not the default when workers and cores differ.
    """
    cores = _cores()
    if pin is None:
        pin = count > 1 and count == len(cores)
    if not pin or not cores:
        return [None] * count
    return [cores[i % len(cores)] for i in range(count)]


def serve(
    actions: Actions,
    *,
    host: str,
    port: int,
    workers: int | None = None,
    public_base_url: str | None = None,
    echo: Callable[[str], None] = print,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Run the service until interrupted (SIGINT/SIGTERM stop it gracefully).

    ``workers``: processes sharing the port (default ``server.workers``, else one per core).
    """
    count = workers or actions.settings.actions.server.workers or default_workers()
    if count < 1:
        raise ActionsError(f"workers must be at least 1, not {count}")
    per_worker = count > 1 and hasattr(socket, "SO_REUSEPORT")
    sock = bind(host, port, listen=not per_worker, reuse_port=per_worker)
    keys = ApiKeyStore(actions.engine)
    data_dir = Path(actions.data_dir)
    initial = keys.ensure_initial_key(data_dir)
    url = base_url(host, sock.getsockname()[1])
    public = public_base_url or actions.settings.actions.server.publicBaseUrl or url
    actions.dashboard_url = usage_page_urls(public)  # executors see it as ctx.dashboard_url
    lines = _banner(url, data_dir, initial, data_dir / INITIAL_KEY_FILE, public)
    cores = worker_cores(count, actions.settings.actions.server.pinWorkers)
    pinned = [core for core in cores if core is not None]
    on = f", pinned to cores {', '.join(map(str, pinned))}" if pinned else ""
    lines.insert(2, f"  workers: {count} process{'es' if count > 1 else ''}{on}")
    if not actions.settings.actions.queue.brokerUrl:
        lines.insert(3, "  queued executions: run by these processes (no queue.brokerUrl)")

    def announce() -> None:
        if per_worker:  # the port accepts once a worker listens: say so only then
            _await_listening(host, sock.getsockname()[1])
        for line in lines:
            echo(line)

    def listening() -> socket.socket:
        """The socket this worker accepts on, asked for once it is ready to serve: a socket
        of the port's group listening before that would hold the connections hashed to it."""
        if not per_worker:
            return sock
        own = bind(host, sock.getsockname()[1], reuse_port=True)
        sock.close()  # the parent's reservation, inherited: only the parent keeps it
        return own

    def run() -> None:
        _run_worker(actions, listening, log_level=log_level, access_log=access_log)

    try:
        if count == 1:
            _pin(cores[0])  # pinWorkers: true with one worker: this process
            announce()
            run()
        else:
            actions.connectors.shared_store = True  # other processes write the same store
            _supervise(actions, cores, run, echo, announce)
    finally:
        sock.close()


def _run_worker(
    actions: Actions,
    listening: Callable[[], socket.socket],
    *,
    log_level: str,
    access_log: bool,
) -> None:
    app = create_app(actions, keys=ApiKeyStore(actions.engine))
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=5,
        lifespan="off",
        server_header=False,
    )
    worker = _embedded_worker(actions)  # in every serving process
    try:
        config.load()
        uvicorn.Server(config).run(sockets=[listening()])
    finally:
        app.state.server.audit.close()  # the lines still queued reach the file
        if worker is not None:
            worker.stop()


def _await_listening(host: str, port: int, timeout: float = 30.0) -> None:
    """Return once ``host:port`` accepts a connection (or ``timeout`` seconds have passed)."""
    probe = _LOCAL_FOR_WILDCARD.get(host, host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((probe, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)


def _supervise(
    actions: Actions,
    cores: list[int | None],
    run: Callable[[], None],
    echo: Callable[[str], None],
    on_started: Callable[[], None] = lambda: None,
) -> None:
    """Fork one worker per entry of ``cores`` (pinned to that core unless ``None``) running
    ``run``, and keep them running until told to stop; ``on_started`` runs once they have
    been forked. A worker that dies is replaced on its core."""
    count = len(cores)
    children: dict[int, float] = {}  # pid → when it started
    slots: dict[int, int | None] = {}  # pid → its core
    stopping = False
    quick_exits = 0

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for core in cores:
            pid = _fork_worker(actions, run, core)
            children[pid], slots[pid] = time.monotonic(), core
        on_started()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = children.pop(pid, None)
            core = slots.pop(pid, None)
            if started is None or stopping:
                continue
            code = os.waitstatus_to_exitcode(status)
            if time.monotonic() - started < _QUICK_EXIT:
                quick_exits += 1
            if quick_exits > 2 * count:
                echo(f"actions serve: workers keep exiting at start (last: {code}); stopping")
                stop(signal.SIGTERM, None)
                continue
            echo(f"actions serve: worker {pid} exited ({code}); starting another")
            pid = _fork_worker(actions, run, core)
            children[pid], slots[pid] = time.monotonic(), core
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _fork_worker(actions: Actions, run: Callable[[], None], core: int | None = None) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    _pin(core)
    # the worker: nothing inherited that belongs to the parent's connections or threads
    code = 1
    try:
        _die_with(parent)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _after_fork(actions)
        run()
        code = 0
    except BaseException:  # report, then leave without running the parent's cleanup
        traceback.print_exc()
    finally:
        try:
            actions.close()  # the queued event records are written first
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return 0  # not reached


def _pin(core: int | None) -> None:
    """Run this process on ``core`` only (``None``: leave it where the kernel puts it)."""
    if core is not None:
        with contextlib.suppress(OSError):  # a core taken away meanwhile: run unpinned
            os.sched_setaffinity(0, {core})


def _die_with(parent: int) -> None:
    """Make this worker die when the supervisor does, however it does (``kill -9`` included):
    an orphaned worker would go on serving the port and running queued executions that the
    next start of the service takes over too. Linux's parent-death signal; elsewhere the
    supervisor's own SIGTERM handling is all there is."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the supervisor died before the signal was set up
        os._exit(1)


def _after_fork(actions: Actions) -> None:
    """In a new worker: its own database connections and HTTP pools (the event log resets its
    writer by itself, see ``events.py``)."""
    actions.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    actions.http.forget_sessions()


def _embedded_worker(actions: Actions) -> Any:
    """Without ``queue.brokerUrl`` the service runs queued executions itself (durably: the
    broker is the embedded database). With a broker, ``actions worker`` processes do."""
    if actions.settings.actions.queue.brokerUrl:
        return None
    from actions_core._queue.worker import BackgroundWorker

    worker = BackgroundWorker(actions.queue)
    worker.start(wait=False)  # the port is served meanwhile; queued work waits in the store
    return worker
