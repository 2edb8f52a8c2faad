"""Connectors: the public model and the service behind ``actions.connectors``.

Stored connectors live in the store, their secrets encrypted; preconfigured ones come from the
settings, are read-only and visible in every space. Every write validates config, secrets and the
connector as a whole before anything is written, so a refused request leaves no trace.

The ideas the service is built from live each in its own place: Kibana's id rules and the resolve
cache in :mod:`actions_core._connectors`, the SQL in :mod:`actions_core._store.connectors`,
sealing secrets to their connector and key rotation in :mod:`actions_core.secrets`, and the
validation of a connector's values in :mod:`actions_core._run.validation`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

# ResolvedConnector is re-exported (``as``): resolve() returns it and _run names it from here
from actions_core._connectors.cache import RESOLVE_CACHE_TTL, ResolveCache
from actions_core._connectors.cache import ResolvedConnector as ResolvedConnector
from actions_core._connectors.ids import (
    DEFAULT_SPACE,
    check_connector_id,
    check_name,
    check_space_id,
)
from actions_core._run.context import ValidationContext
from actions_core._run.validation import validate_connector_values
from actions_core._store.connectors import ConnectorRows, StoredConnector
from actions_core.errors import ConflictError, NotFoundError, ValidationError
from actions_core.secrets import (
    SecretBox,
    SecretsUnavailable,
    open_connector_secrets,
    rotate_connector_secrets,
    seal_connector_secrets,
)

if TYPE_CHECKING:
    from actions_core._net.policy import NetworkPolicy
    from actions_core._plugins.registry import ActionTypeRegistry
    from actions_core.settings import PreconfiguredConnector

__all__ = ["Connector", "ConnectorsClient", "validate_connector_values"]

_log = logging.getLogger("actions_core.connectors")


@dataclass(frozen=True)
class Connector:
    """A connector as clients see it. Secrets are never part of it."""

    id: str
    name: str
    connector_type_id: str
    config: dict[str, Any] | None
    is_preconfigured: bool = False
    is_deprecated: bool = False
    is_system_action: bool = False
    is_missing_secrets: bool | None = False
    space_id: str | None = DEFAULT_SPACE

    def to_api(self, *, referenced_by_count: int | None = None) -> dict[str, Any]:
        """Kibana's connector response object (snake_case)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "connector_type_id": self.connector_type_id,
        }
        if self.config is not None:
            body["config"] = self.config
        body["is_preconfigured"] = self.is_preconfigured
        body["is_deprecated"] = self.is_deprecated
        body["is_system_action"] = self.is_system_action
        if self.is_missing_secrets is not None:
            body["is_missing_secrets"] = self.is_missing_secrets
        if referenced_by_count is not None:
            body["referenced_by_count"] = referenced_by_count
        return body


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ConnectorsClient:
    """``actions.connectors``: the CRUD half of the Python API.

    ``resolve`` (the executor's lookup) keeps resolved stored connectors, decrypted secrets
    included, in memory for ``cache_ttl`` seconds (see :mod:`actions_core._connectors.cache`).
    Writes through this client (create, update, delete, key rotation) drop the cached entries at
    once; writes by other processes on the same database are seen within ``cache_ttl``.
    """

    def __init__(
        self,
        engine: sa.Engine,
        registry: ActionTypeRegistry,
        secret_box: SecretBox,
        network: NetworkPolicy,
        preconfigured: Mapping[str, PreconfiguredConnector],
    ) -> None:
        self._rows = ConnectorRows(engine)
        self._registry = registry
        self._box = secret_box
        self._network = network
        self._preconfigured = dict(preconfigured)
        self._cache = ResolveCache(RESOLVE_CACHE_TTL)
        #: Set when other processes write the same store at the same time (``actions serve
        #: --workers N``): a cached resolution is then used only while the row's version is
        #: unchanged (one indexed read instead of a read, a decryption and a validation), so a
        #: write through any process is seen by the next execution in every process.
        self.shared_store = False
        self._resolved_preconfigured: dict[str, ResolvedConnector] = {}

    @property
    def cache_ttl(self) -> float:
        """Seconds a resolved stored connector is reused (0 turns the cache off)."""
        return self._cache.ttl

    @cache_ttl.setter
    def cache_ttl(self, value: float) -> None:
        self._cache.ttl = value

    def invalidate(self, id: str | None = None, *, space_id: str = DEFAULT_SPACE) -> None:
        """Forget cached resolutions: of one connector, or (``id=None``) of all."""
        self._cache.drop(space_id, id)

    # --- reads ---

    def get(self, id: str, *, space_id: str = DEFAULT_SPACE) -> Connector:
        check_space_id(space_id)
        if id in self._preconfigured:
            return self._preconfigured_connector(id)
        row = self._rows.get(space_id, id)
        if row is None:
            raise NotFoundError(f"Saved object [action/{id}] not found")
        return self._from_row(row)

    def list(self, *, space_id: str = DEFAULT_SPACE) -> list[Connector]:
        """Stored connectors of the space plus every preconfigured one, sorted by name."""
        check_space_id(space_id)
        rows = self._rows.in_space(space_id)
        found = [self._preconfigured_connector(cid) for cid in self._preconfigured]
        found += [self._from_row(row) for row in rows]
        return sorted(found, key=lambda c: (c.name.casefold(), c.name, c.id))

    def is_preconfigured(self, id: str) -> bool:
        return id in self._preconfigured

    # --- writes ---

    def create(
        self,
        *,
        connector_type_id: str,
        name: str,
        config: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
        id: str | None = None,
        space_id: str = DEFAULT_SPACE,
    ) -> Connector:
        check_space_id(space_id)
        if id is not None:
            check_connector_id(id)
            if id in self._preconfigured:
                raise ValidationError(f"This {id} already exists in a preconfigured action.")
        connector_id = id or str(uuid.uuid4())
        name = check_name(name)
        action_type = self._registry.get(connector_type_id)
        ctx = ValidationContext(connector_type_id, self._network, connector_id)
        config_v, secrets_v = validate_connector_values(
            action_type, _plain(config, "config"), _plain(secrets, "secrets"), ctx
        )
        self._registry.ensure_enabled(connector_type_id)
        token = seal_connector_secrets(
            self._box, secrets_v, space_id=space_id, id=connector_id, type_id=connector_type_id
        )
        inserted = self._rows.insert(
            space_id=space_id,
            id=connector_id,
            action_type_id=connector_type_id,
            name=name,
            config=config_v,
            secrets=token,
            now=_now(),
        )
        if not inserted:
            raise ConflictError(f"Saved object [action/{connector_id}] conflict")
        self.invalidate(connector_id, space_id=space_id)
        return Connector(connector_id, name, connector_type_id, config_v, space_id=space_id)

    def update(
        self,
        id: str,
        *,
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
        space_id: str = DEFAULT_SPACE,
    ) -> Connector:
        """Change name, config and/or secrets. Omitted values keep what is stored.

        Unlike Kibana, omitted secrets are kept (decrypted, re-validated against the new config,
        re-encrypted with the current key) instead of having to be entered again.
        """
        check_space_id(space_id)
        if id in self._preconfigured:
            raise ValidationError(f"Preconfigured action {id} can not be updated.")
        row = self._rows.get(space_id, id)
        if row is None:
            raise NotFoundError(f"Saved object [action/{id}] not found")
        new_name = row.name if name is None else check_name(name)
        new_config = row.config if config is None else _plain(config, "config")
        if secrets is None:
            new_secrets = self._open_stored(row)
            if new_secrets is None:
                raise ValidationError(
                    f"The stored secrets of connector {id} cannot be decrypted with the "
                    "configured encryption keys; provide secrets to replace them.",
                    [("secrets", "cannot be decrypted")],
                )
        else:
            new_secrets = _plain(secrets, "secrets")
        action_type = self._registry.get(row.action_type_id)
        ctx = ValidationContext(row.action_type_id, self._network, id)
        config_v, secrets_v = validate_connector_values(action_type, new_config, new_secrets, ctx)
        token = seal_connector_secrets(
            self._box, secrets_v, space_id=space_id, id=id, type_id=row.action_type_id
        )
        updated = self._rows.update(
            space_id,
            id,
            version=row.version,
            name=new_name,
            config=config_v,
            secrets=token,
            now=_now(),
        )
        self.invalidate(id, space_id=space_id)
        if not updated:
            raise ConflictError(f"Saved object [action/{id}] conflict: it was changed concurrently")
        return Connector(id, new_name, row.action_type_id, config_v, space_id=space_id)

    def delete(self, id: str, *, space_id: str = DEFAULT_SPACE) -> None:
        check_space_id(space_id)
        deleted = self._rows.delete(space_id, id)
        self.invalidate(id, space_id=space_id)
        if not deleted:
            if id in self._preconfigured:
                raise ValidationError(f"Preconfigured action {id} is not allowed to delete.")
            raise NotFoundError(f"Saved object [action/{id}] not found")

    # --- for the executor and key rotation ---

    def resolve(self, id: str, *, space_id: str = DEFAULT_SPACE) -> ResolvedConnector:
        """The connector with its config and decrypted secrets (preconfigured first)."""
        if id in self._preconfigured:
            # Fixed for the life of this client: built (and later validated) once.
            resolved = self._resolved_preconfigured.get(id)
            if resolved is None:
                pre = self._preconfigured[id]
                resolved = ResolvedConnector(
                    self._preconfigured_connector(id), dict(pre.config), dict(pre.secrets), None
                )
                self._resolved_preconfigured[id] = resolved
            return resolved
        cached = self._cache.get(space_id, id)
        if cached is not None and (
            not self.shared_store or self._rows.version(space_id, id) == cached.version
        ):
            return cached
        check_space_id(space_id)
        row = self._rows.get(space_id, id)
        if row is None:
            self._cache.drop(space_id, id)
            raise NotFoundError(f"Saved object [action/{id}] not found")
        problem = None
        try:
            secrets: dict[str, Any] | None = self._decrypt(row)
        except SecretsUnavailable as err:
            secrets, problem = None, str(err)
        connector = self._from_row(row, missing=secrets is None)
        resolved = ResolvedConnector(
            connector, dict(row.config), secrets, problem, version=row.version
        )
        self._cache.put(space_id, id, resolved)
        return resolved

    def rotate_secrets(self) -> dict[str, int]:
        """Re-encrypt every stored secret with the current key (see ``secrets``).

        Rows that no configured key can decrypt are left untouched and counted as ``failed``.
        """
        self.invalidate()
        try:
            return rotate_connector_secrets(self._box, self._rows)
        finally:
            self.invalidate()

    # --- helpers ---

    def _decrypt(self, row: StoredConnector) -> dict[str, Any]:
        return open_connector_secrets(
            self._box, row.secrets, space_id=row.space_id, id=row.id, type_id=row.action_type_id
        )

    def _open_stored(self, row: StoredConnector) -> dict[str, Any] | None:
        try:
            return self._decrypt(row)
        except SecretsUnavailable:
            return None

    def _from_row(self, row: StoredConnector, *, missing: bool | None = None) -> Connector:
        if missing is None:
            missing = self._open_stored(row) is None
        if row.config_problem:  # shown with what could be read; the rest is said here
            _log.warning("connector %s (space %s): %s", row.id, row.space_id, row.config_problem)
        return Connector(
            id=row.id,
            name=row.name,
            connector_type_id=row.action_type_id,
            config=dict(row.config),
            is_missing_secrets=missing,
            space_id=row.space_id,
        )

    def _preconfigured_connector(self, id: str) -> Connector:
        pre = self._preconfigured[id]
        return Connector(
            id=id,
            name=pre.name,
            connector_type_id=pre.actionTypeId,
            config=dict(pre.config) if pre.exposeConfig else None,
            is_preconfigured=True,
            is_missing_secrets=None,
            space_id=None,
        )


def _plain(value: Mapping[str, Any] | None, field: str) -> Any:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return value  # let the schema report the wrong type with its path
