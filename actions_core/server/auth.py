"""Who is calling: ``Authorization: ApiKey <base64 id:key>`` or Basic auth, and their role.

Roles follow Kibana's ``actions`` feature privileges: ``read`` may list, get, see types, execute
and read usage; ``all`` may also create, update and delete. Failures answer Kibana's shapes:
401 ``Unauthorized`` (with a ``WWW-Authenticate`` challenge, so a browser asks for Basic
credentials) and 403 ``Unauthorized to <operation> a "<type>" action``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from actions_core.server.apikeys import ApiKeyStore, decode_api_key
from actions_core.server.errors import HttpError
from actions_core.server.passwords import verify_password
from actions_core.settings import ServerUser

__all__ = ["CHALLENGE", "Authenticator", "Principal", "ensure_allowed"]

CHALLENGE = {"WWW-Authenticate": 'Basic realm="actions-core", charset="UTF-8"'}
MISSING = (
    "Unauthorized: send 'Authorization: ApiKey <base64 of id:key>' (create a key with "
    "`actions api-keys create`) or Basic credentials of a configured user"
)
REJECTED = (
    "Unauthorized: unable to authenticate with the provided credentials "
    "(unknown, wrong or revoked API key, or wrong user name or password)"
)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    name: str
    role: str
    kind: str  # "api_key" or "basic"
    api_key_id: str | None = None

    @property
    def event_user(self) -> str:
        """What event records and audit lines carry: ``api_key:<id>`` or the user name."""
        return f"api_key:{self.api_key_id}" if self.api_key_id else self.name

    def may(self, role: str) -> bool:
        return role == "read" or self.role == "all"


def ensure_allowed(principal: Principal, operation: str, type_id: str | None = None) -> None:
    """Raise Kibana's 403 when ``operation`` needs the ``all`` role the caller lacks."""
    needed = "read" if operation in ("get", "find", "execute") else "all"
    if principal.may(needed):
        return
    if type_id:
        raise HttpError(403, f'Unauthorized to {operation} a "{type_id}" action')
    raise HttpError(403, f"Unauthorized to {operation} actions")


class Authenticator:
    """Resolves the ``Authorization`` header to a :class:`Principal` or raises 401."""

    def __init__(self, keys: ApiKeyStore, users: Mapping[str, ServerUser]) -> None:
        self._keys = keys
        self._users = dict(users)
        # scrypt is slow on purpose; remember credentials already verified (digests only).
        self._verified: set[bytes] = set()
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.strip():
            raise HttpError(401, MISSING, CHALLENGE)
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        principal: Principal | None = None
        if scheme == "apikey":
            decoded = decode_api_key(value)
            if decoded is not None:
                principal = self._api_key(*decoded)
        elif scheme == "basic":
            credentials = _basic(value)
            if credentials is not None:
                principal = self._basic_user(*credentials)
        else:
            raise HttpError(401, MISSING, CHALLENGE)
        if principal is None:
            raise HttpError(401, REJECTED, CHALLENGE)
        return principal

    def user_role(self, name: str) -> str | None:
        """The configured role of user ``name``, None when there is no such user (any more)."""
        user = self._users.get(name)
        return user.role if user is not None else None

    def password(self, name: str, password: str) -> Principal | None:
        """The login form's check: a configured user, or an API key (id as name, key as
        password); None when either part is wrong (the caller must not say which)."""
        if not name or not password:
            return None
        return self._basic_user(name, password)

    def _api_key(self, key_id: str, secret: str) -> Principal | None:
        key = self._keys.verify(key_id, secret)
        if key is None:
            return None
        return Principal(key.name, key.role, "api_key", key.id)

    def _basic_user(self, name: str, password: str) -> Principal | None:
        user = self._users.get(name)
        if user is None:
            # A browser can only send Basic credentials: accept an API key as id:key too.
            return self._api_key(name, password)
        if not self._password_ok(name, password, user):
            return None
        return Principal(name, user.role, "basic")

    def _password_ok(self, name: str, password: str, user: ServerUser) -> bool:
        marker = hashlib.sha256(f"{name}\0{password}".encode()).digest()
        with self._lock:
            if marker in self._verified:
                return True
        if user.password is not None:
            ok = _same(password, user.password.get_secret_value())
        else:
            ok = verify_password(password, user.passwordHash or "")
        if ok:
            with self._lock:
                self._verified.add(marker)
        return ok


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _basic(value: str) -> tuple[str, str] | None:
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    name, sep, password = text.partition(":")
    if not sep or not name:
        return None
    return name, password
