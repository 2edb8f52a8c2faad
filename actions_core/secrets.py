"""Encryption of connector secrets at rest: AES-256-GCM with keys derived from passphrases.

The authenticated data binds each ciphertext to its connector (space, id and type), so a row
copied onto another connector does not decrypt. Kibana's ``encryptionKey`` is any string of at
least 32 characters; we derive the AES key from it with HKDF-SHA256. Old keys may be kept for
decryption only, which lets operators rotate keys without losing connectors.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets as _random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from actions_core.errors import ConfigError, SecretsUnavailable

__all__ = [
    "KEY_FILE_NAME",
    "MIN_KEY_LENGTH",
    "SecretBox",
    "SecretsUnavailable",
    "load_or_create_key_file",
    "open_connector_secrets",
    "rotate_connector_secrets",
    "seal_connector_secrets",
]

MIN_KEY_LENGTH = 32
KEY_FILE_NAME = "encryption.key"
_FORMAT = "v1"
_NONCE_BYTES = 12
_log = logging.getLogger("actions_core.secrets")


@dataclass(frozen=True, repr=False)
class _Key:
    aead: AESGCM
    key_id: str


def _derive(passphrase: str) -> _Key:
    material = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"actions-core", info=b"connector-secrets/v1"
    ).derive(passphrase.encode("utf-8"))
    key_id = hashes.Hash(hashes.SHA256())
    key_id.update(material)
    return _Key(AESGCM(material), key_id.finalize()[:4].hex())


def _check_key(key: str, where: str) -> None:
    if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"{where} must be a string of at least {MIN_KEY_LENGTH} characters",
            [(where, "too short")],
        )


class SecretBox:
    """Encrypts with the current key; decrypts with it or any decryption-only key."""

    def __init__(self, key: str | None, decryption_only_keys: Iterable[str] = ()) -> None:
        if key is not None:
            _check_key(key, "encryptionKey")
        old = list(decryption_only_keys)
        for index, old_key in enumerate(old):
            _check_key(old_key, f"decryptionOnlyKeys.{index}")
        self._current = _derive(key) if key is not None else None
        self._keys = {k.key_id: k for k in [_derive(o) for o in old]}
        if self._current is not None:
            self._keys[self._current.key_id] = self._current

    def __repr__(self) -> str:
        return f"SecretBox(has_key={self.has_key}, keys={len(self._keys)})"

    @property
    def has_key(self) -> bool:
        return self._current is not None

    @property
    def current_key_id(self) -> str | None:
        return self._current.key_id if self._current else None

    def encrypt(self, value: dict[str, Any], *, aad: dict[str, str]) -> str:
        if self._current is None:
            raise SecretsUnavailable(
                "no encryption key is configured: set actions.encryptionKey or "
                "ACTIONS_ENCRYPTION_KEY (at least 32 characters)"
            )
        nonce = _random.token_bytes(_NONCE_BYTES)
        plaintext = json.dumps(value, separators=(",", ":")).encode("utf-8")
        sealed = self._current.aead.encrypt(nonce, plaintext, _aad(aad))
        blob = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{_FORMAT}:{self._current.key_id}:{blob}"

    def key_id_of(self, token: str) -> str | None:
        parts = token.split(":", 2)
        return parts[1] if len(parts) == 3 else None

    def decrypt(self, token: str, *, aad: dict[str, str]) -> dict[str, Any]:
        try:
            version, key_id, blob = token.split(":", 2)
        except ValueError:
            raise SecretsUnavailable("stored secrets are not in a known format") from None
        if version != _FORMAT:
            raise SecretsUnavailable(f"stored secrets use an unknown format {version!r}")
        key = self._keys.get(key_id)
        if key is None:
            raise SecretsUnavailable(
                f"stored secrets were encrypted with a key that is not configured (key id "
                f"{key_id}); add that key to decryptionOnlyKeys"
            )
        try:
            raw = base64.urlsafe_b64decode(blob.encode("ascii"))
            plaintext = key.aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(aad))
        except (InvalidTag, ValueError):  # ValueError: not base64, or too short for a nonce
            raise SecretsUnavailable(
                "stored secrets failed authentication: they were encrypted for another connector "
                "or modified outside actions-core"
            ) from None
        return json.loads(plaintext)


def _aad(fields: dict[str, str]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def load_or_create_key_file(data_dir: Path) -> str:
    """The embedded default's key: read from the data dir, or generated there (0600) once."""
    path = Path(data_dir) / KEY_FILE_NAME
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        _check_key(key, str(path))
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = _random.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return load_or_create_key_file(data_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    _log.warning(
        "No encryption key configured: generated one at %s (mode 0600). Back it up: connectors' "
        "secrets cannot be decrypted without it. Set ACTIONS_ENCRYPTION_KEY to use your own.",
        path,
    )
    return key


# --- connector rows: secrets sealed to their connector, and key rotation -----------------------


def _connector_aad(space_id: str, id: str, type_id: str) -> dict[str, str]:
    return {"space": space_id, "id": id, "type": type_id}


def seal_connector_secrets(
    box: SecretBox, secrets: dict[str, Any], *, space_id: str, id: str, type_id: str
) -> str | None:
    """The stored form of a connector's secrets, bound to (space, id, type).

    Empty secrets need no key (``None`` is stored); any other value without a configured key is
    a :class:`ConfigError`, raised before anything is written.
    """
    if not secrets and not box.has_key:
        return None
    try:
        return box.encrypt(secrets, aad=_connector_aad(space_id, id, type_id))
    except SecretsUnavailable as err:
        raise ConfigError(f"cannot store the connector's secrets: {err}") from None


def open_connector_secrets(
    box: SecretBox, token: str | None, *, space_id: str, id: str, type_id: str
) -> dict[str, Any]:
    """The secrets of a stored row; raises :class:`SecretsUnavailable` when no key opens them."""
    if token is None:
        return {}
    return box.decrypt(token, aad=_connector_aad(space_id, id, type_id))


class _ConnectorRowsLike(Protocol):
    def all(self) -> list[Any]: ...

    def set_secrets(self, space_id: str, id: str, secrets: str | None) -> None: ...


def rotate_connector_secrets(box: SecretBox, rows: _ConnectorRowsLike) -> dict[str, int]:
    """Re-encrypt every stored connector's secrets with the current key.

    Rows that no configured key can decrypt are left untouched and counted as ``failed``.
    """
    counts = {"total": 0, "reencrypted": 0, "unchanged": 0, "failed": 0}
    for row in rows.all():
        counts["total"] += 1
        if row.secrets is None:
            counts["unchanged"] += 1
            continue
        where = {"space_id": row.space_id, "id": row.id, "type_id": row.action_type_id}
        try:
            value = open_connector_secrets(box, row.secrets, **where)
        except SecretsUnavailable:
            counts["failed"] += 1
            continue
        if box.key_id_of(row.secrets) == box.current_key_id:
            counts["unchanged"] += 1
            continue
        rows.set_secrets(row.space_id, row.id, seal_connector_secrets(box, value, **where))
        counts["reencrypted"] += 1
    return counts
