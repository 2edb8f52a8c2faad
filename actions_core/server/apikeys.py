"""API keys of the HTTP service: created, listed and revoked; only their hashes are stored.

A key is a random id plus a 256-bit random secret. Clients send Kibana's scheme,
``Authorization: ApiKey <base64 of id:secret>`` (the ``encoded`` value printed once at creation).
The store keeps ``SHA-256(id:secret)``: the secret is high-entropy, so a fast hash is enough, and
it is compared in constant time.

Every request is checked against the database itself, never a cache, so a key revoked by any
process (another worker, the CLI, another machine on PostgreSQL) is refused by the next request
everywhere. That read is the service's most frequent query, so it skips SQLAlchemy where it can:
on a SQLite file it is one precompiled statement on a connection of its own (a few microseconds,
against some 70 for a Core ``select`` with a pool checkout); elsewhere it is one prebuilt
statement through the engine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from actions_core.errors import NotFoundError, ValidationError

__all__ = [
    "INITIAL_KEY_FILE",
    "ROLES",
    "ApiKey",
    "ApiKeyStore",
    "NewApiKey",
    "decode_api_key",
    "encode_api_key",
]

#: The table as this module reads and writes it; migration ``m002_api_keys`` in
#: ``actions_core._store.migrations`` creates it (one ordered schema history per database).
metadata = sa.MetaData()
table = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.Text, nullable=True),
    sa.Column("revoked_at", sa.String(40), nullable=True),
)

Role = Literal["read", "all"]
ROLES: tuple[str, ...] = ("read", "all")
#: Where the first start writes the key it created (mode 0600), in the data dir.
INITIAL_KEY_FILE = "api-key"


@dataclass(frozen=True)
class ApiKey:
    """A stored key, as listings show it: never the secret, never its hash."""

    id: str
    name: str
    role: str
    created_at: str
    created_by: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "revoked": not self.active,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True, repr=False)
class NewApiKey:
    """A key just created: ``api_key`` and ``encoded`` exist only in this object."""

    key: ApiKey
    api_key: str

    @property
    def encoded(self) -> str:
        return encode_api_key(self.key.id, self.api_key)

    def __repr__(self) -> str:
        return f"NewApiKey(id={self.key.id!r}, name={self.key.name!r}, api_key=<hidden>)"


def encode_api_key(key_id: str, secret: str) -> str:
    return base64.b64encode(f"{key_id}:{secret}".encode()).decode("ascii")


def decode_api_key(encoded: str) -> tuple[str, str] | None:
    """``base64(id:secret)`` → ``(id, secret)``, or None when it is not that."""
    try:
        text = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    key_id, sep, secret = text.partition(":")
    if not sep or not key_id or not secret:
        return None
    return key_id, secret


def _hash(key_id: str, secret: str) -> str:
    return hashlib.sha256(f"{key_id}:{secret}".encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


#: The columns ``verify`` reads, in this order, by either path.
_VERIFY_COLUMNS = ("key_hash", "name", "role", "created_at", "created_by", "revoked_at")
_VERIFY = sa.select(*(table.c[name] for name in _VERIFY_COLUMNS)).where(
    table.c.id == sa.bindparam("key_id")
)
_VERIFY_SQLITE = f"SELECT {', '.join(_VERIFY_COLUMNS)} FROM api_keys WHERE id = ?"
_BUSY_TIMEOUT = 10.0  # seconds, as the engine's ``busy_timeout`` pragma

#: Compared against when the id is unknown, so timing does not tell which ids exist.
_DUMMY_HASH = _hash("unknown", secrets.token_urlsafe(32))


class _SqliteReader:
    """A connection of this store's own to the SQLite file, for ``verify``'s one query.

    Autocommit, and every result read to the end, so no read transaction outlives a query: each
    query sees what was committed before it. Used from any thread, one query at a time. Opened
    per process: one inherited through a fork is the parent's, left alone (never used, never
    closed: closing it would drop this process's locks on the file).
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._finalizer: weakref.finalize | None = None

    def row(self, key_id: str) -> tuple[Any, ...] | None:
        with self._lock:
            conn = self._connection()
            try:
                rows = conn.execute(_VERIFY_SQLITE, (key_id,)).fetchall()
            except sqlite3.Error:
                self._drop()  # the next query opens a new connection
                raise
        return rows[0] if rows else None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._drop()
        conn = sqlite3.connect(
            self._path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        self._conn, self._pid = conn, os.getpid()
        self._finalizer = weakref.finalize(self, conn.close)
        return conn

    def _drop(self) -> None:
        if self._finalizer is not None:
            if self._pid == os.getpid():
                self._finalizer()
            else:
                self._finalizer.detach()
                _INHERITED.append(self._conn)
        self._conn, self._finalizer, self._pid = None, None, 0


#: Connections a forked child inherited: kept referenced so they are never closed here.
_INHERITED: list[sqlite3.Connection | None] = []


def _sqlite_file(engine: sa.Engine) -> str | None:
    """The SQLite file behind ``engine``, None for another database or an in-memory one."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.query or not url.database:
        return None
    if url.database == ":memory:" or url.database.startswith("file:"):
        return None
    return url.database


class ApiKeyStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        path = _sqlite_file(engine)
        self._reader = _SqliteReader(path) if path is not None else None

    @property
    def verifies_locally(self) -> bool:
        """Whether ``verify`` reads a local SQLite file (microseconds, never waits for a
        writer), cheap enough for an event loop; else it is a database round trip."""
        return self._reader is not None

    def close(self) -> None:
        """Close the connection ``verify`` keeps (the next ``verify`` opens another)."""
        if self._reader is not None:
            self._reader.close()

    def create(self, name: str, role: str = "read", *, created_by: str | None = None) -> NewApiKey:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("an API key needs a non-empty name", [("name", "empty")])
        if role not in ROLES:
            raise ValidationError(
                f"unknown role {role!r}: use one of {', '.join(ROLES)}", [("role", "unknown")]
            )
        key_id = secrets.token_hex(10)
        secret = secrets.token_urlsafe(32)
        record = ApiKey(key_id, name.strip(), role, _now(), created_by, None)
        with self._engine.begin() as conn:
            conn.execute(
                table.insert().values(
                    id=key_id,
                    name=record.name,
                    role=role,
                    key_hash=_hash(key_id, secret),
                    created_at=record.created_at,
                    created_by=created_by,
                    revoked_at=None,
                )
            )
        return NewApiKey(record, secret)

    def list(self, *, include_revoked: bool = True) -> list[ApiKey]:
        query = sa.select(table).order_by(table.c.created_at, table.c.id)
        if not include_revoked:
            query = query.where(table.c.revoked_at.is_(None))
        with self._engine.connect() as conn:
            return [_key(row) for row in conn.execute(query)]

    def get(self, key_id: str) -> ApiKey:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == key_id)).first()
        if row is None:
            raise NotFoundError(f"API key [{key_id}] not found")
        return _key(row)

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)

    def revoke(self, key_id: str) -> ApiKey:
        with self._engine.begin() as conn:
            result = conn.execute(
                table.update()
                .where((table.c.id == key_id) & table.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
        key = self.get(key_id)  # raises NotFoundError for an unknown id
        if result.rowcount == 0 and key.active:  # pragma: no cover - concurrent un-revoke
            raise ValidationError(f"API key [{key_id}] could not be revoked")
        return key

    def verify(self, key_id: str, secret: str) -> ApiKey | None:
        """The active key with this id and secret, else None (unknown, wrong or revoked)."""
        row = self._verify_row(key_id)
        expected = row[0] if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(expected, _hash(key_id, secret))
        if row is None or not matches or row[5] is not None:
            return None
        return ApiKey(key_id, *row[1:])

    def _verify_row(self, key_id: str) -> tuple[Any, ...] | None:
        if self._reader is not None:
            return self._reader.row(key_id)
        with self._engine.connect() as conn:
            row = conn.execute(_VERIFY, {"key_id": key_id}).first()
        return tuple(row) if row is not None else None

    def ensure_initial_key(self, data_dir: Path) -> NewApiKey | None:
        """On the first start (no key was ever created) create one ``all`` key.

        It is written to ``data_dir/api-key`` (mode 0600, the ``encoded`` form, ready for an
        ``Authorization: ApiKey`` header) and returned so the caller can print it once.
        """
        if self.count():
            return None
        new = self.create("initial", "all", created_by="actions serve (first start)")
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / INITIAL_KEY_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(new.encoded + "\n")
        os.chmod(path, 0o600)
        return new


def _key(row: sa.Row) -> ApiKey:
    return ApiKey(row.id, row.name, row.role, row.created_at, row.created_by, row.revoked_at)
