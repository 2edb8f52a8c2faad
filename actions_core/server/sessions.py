"""Sign-in sessions of the browser UI, kept server-side in the store's database.

The browser holds only a random session id (an HttpOnly, SameSite=Strict cookie); the table keeps
``SHA-256(id)``, who signed in, their role, a per-session CSRF token for forms, and when the
session expires. Logging out deletes the row, so a copied cookie stops working at once. Sessions
of an API key end when the key is revoked (checked on every request).

The table is defined here, next to the only code that uses it; its migration is
``m003_sessions`` in ``actions_core/_store/migrations.py``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from actions_core.server.auth import Principal

__all__ = ["COOKIE", "Session", "SessionStore", "metadata", "sessions"]

#: The cookie that carries the session id.
COOKIE = "actions_session"

metadata = sa.MetaData()
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("api_key_id", sa.String(64), nullable=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("expires_ms", sa.BigInteger, nullable=False),
)


@dataclass(frozen=True, repr=False)
class Session:
    """A live session: who it is for and the token its forms must carry."""

    principal: Principal
    csrf_token: str
    expires_ms: int

    def __repr__(self) -> str:
        return f"Session(user={self.principal.name!r}, role={self.principal.role!r})"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _now_ms() -> int:
    return int(time.time() * 1000)


class SessionStore:
    """Creates, finds and ends sessions; ``lifetime`` is in seconds."""

    def __init__(self, engine: sa.Engine, lifetime: float) -> None:
        self._engine = engine
        self.lifetime = float(lifetime)

    def create(self, principal: Principal) -> tuple[str, Session]:
        """A new session for ``principal``: ``(session id for the cookie, session)``."""
        session_id = secrets.token_urlsafe(32)
        session = Session(
            principal, secrets.token_urlsafe(32), _now_ms() + int(self.lifetime * 1000)
        )
        with self._engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_ms <= _now_ms()))
            conn.execute(
                sessions.insert().values(
                    id_hash=_hash(session_id),
                    user_name=principal.name,
                    role=principal.role,
                    kind=principal.kind,
                    api_key_id=principal.api_key_id,
                    csrf_token=session.csrf_token,
                    created_at=datetime.now(UTC).isoformat(),
                    expires_ms=session.expires_ms,
                )
            )
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id, None when unknown or expired."""
        if not session_id or len(session_id) > 200:
            return None
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(sessions).where(sessions.c.id_hash == _hash(session_id))
            ).first()
        if row is None or row.expires_ms <= _now_ms():
            return None
        principal = Principal(row.user_name, row.role, row.kind, row.api_key_id)
        return Session(principal, row.csrf_token, row.expires_ms)

    def delete(self, session_id: str | None) -> None:
        if not session_id:
            return
        with self._engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == _hash(session_id)))

    def end_for_api_key(self, key_id: str) -> int:
        """End every session signed in with ``key_id`` (the key was revoked)."""
        with self._engine.begin() as conn:
            return conn.execute(sessions.delete().where(sessions.c.api_key_id == key_id)).rowcount
