"""Real Redis and PostgreSQL servers for the scale-out tests, on free loopback ports.

Each server runs from Debian's binaries (installed by ``scripts/services-setup``) in its own
temp directory and is stopped, and the directory removed, when the test session ends. Without
the binaries the tests that need them skip, naming what is missing; under
``SERVICES_REQUIRED=1`` (set by ``scripts/test``) they fail instead: a CI that silently skipped
every PostgreSQL and Redis test would prove nothing.

PostgreSQL refuses to run as root, so as root the cluster belongs to, and runs as, the
unprivileged ``postgres`` user that Debian's package creates (``subprocess`` switches user and
group itself, so signals reach the server directly); another user runs it as themselves.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "RedisServer", "free_port", "require", "run_postgres", "run_redis"]

STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(what: str, reason: str) -> None:
    """Skip (or, under SERVICES_REQUIRED=1, fail) a test that cannot have ``what``."""
    message = f"{what} is not available: {reason} (run scripts/services-setup)"
    if os.environ.get("SERVICES_REQUIRED") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {STARTUP_TIMEOUT}s")


def _stop(proc: subprocess.Popen, sig_timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=sig_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=sig_timeout)


# --- Redis ---


@dataclass
class RedisServer:
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        try:
            client.flushall()
        finally:
            client.close()


def redis_binary() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


@contextlib.contextmanager
def run_redis() -> Iterator[RedisServer]:
    binary = redis_binary()
    if binary is None:
        raise FileNotFoundError("redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="actions-redis-"))
    port = free_port()
    log = workdir / "redis.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_port(port, proc, "redis-server", log)
        yield RedisServer(port)
    finally:
        _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


# --- PostgreSQL ---


@dataclass
class PostgresServer:
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database: its URL. Tests never share tables."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _wait_accepting(port: int, bindir: Path) -> None:
    """The port opens before the server accepts sessions ("the database system is starting up")."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-t", "2"],
            capture_output=True, timeout=10,
        )  # fmt: skip
        if ready.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"postgres on port {port} did not accept sessions in {STARTUP_TIMEOUT}s")


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    return Path(found[-1]).parent if found else None


def _version_key(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _as_user() -> dict[str, int]:
    """Popen arguments that run PostgreSQL unprivileged when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise FileNotFoundError("the postgres system user (Debian's postgresql package)") from None
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


#: Tests trade durability for speed: a test's cluster is thrown away, never recovered.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


@contextlib.contextmanager
def run_postgres(*, durable: bool = False) -> Iterator[PostgresServer]:
    """A throw-away cluster; ``durable`` keeps PostgreSQL's own defaults (fsync, full-page
    writes, synchronous commit: what an operator runs) instead of :data:`FAST_SETTINGS`."""
    bindir = postgres_bindir()
    if bindir is None:
        raise FileNotFoundError("/usr/lib/postgresql/*/bin/initdb")
    as_user = _as_user()
    workdir = Path(tempfile.mkdtemp(prefix="actions-postgres-"))
    data = workdir / "data"
    log = workdir / "postgres.log"
    if as_user:
        os.chown(workdir, as_user["user"], as_user["group"])
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
         "-E", "UTF8", "--no-sync", "--no-instructions"],
        check=True, capture_output=True, timeout=120, cwd=workdir, **as_user,
    )  # fmt: skip
    port = free_port()
    settings = ["listen_addresses=127.0.0.1", f"unix_socket_directories={workdir}",
                "max_connections=200", *(() if durable else FAST_SETTINGS)]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
             *(arg for setting in settings for arg in ("-c", setting))],
            stdout=out, stderr=subprocess.STDOUT, cwd=workdir, **as_user,
        )  # fmt: skip
    try:
        _wait_port(port, proc, "postgres", log)
        _wait_accepting(port, bindir)
        yield PostgresServer(port)
    finally:
        # SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(2)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
