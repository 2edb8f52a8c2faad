"""API keys of the HTTP service: created, listed and revoked; only their hashes are stored.

A key is a random id plus a 256-bit random secret. Clients send Kibana's scheme,
``Authorization: ApiKey <base64 of id:secret>`` (the ``encoded`` value printed once at creation).
The store keeps ``SHA-256(id:secret)``: the secret is high-entropy, so a fast hash is enough, and
it is compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

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


#: Compared against when the id is unknown, so timing does not tell which ids exist.
_DUMMY_HASH = _hash("unknown", secrets.token_urlsafe(32))


class ApiKeyStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

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
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == key_id)).first()
        expected = row.key_hash if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(expected, _hash(key_id, secret))
        if row is None or not matches or row.revoked_at is not None:
            return None
        return _key(row)

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
