"""Connectors: create, read, update and delete, with Kibana's rules.

Stored connectors live in the store, their secrets encrypted; preconfigured ones come from the
settings, are read-only and visible in every space. Every write validates config, secrets and the
connector as a whole before anything is written, so a refused request leaves no trace.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from actions_core._plugins.action_type import ActionType
from actions_core._run.context import ValidationContext
from actions_core._run.validation import validate
from actions_core._store import connectors as table
from actions_core.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from actions_core.secrets import SecretBox, SecretsUnavailable

if TYPE_CHECKING:
    from actions_core._net.policy import NetworkPolicy
    from actions_core._plugins.registry import ActionTypeRegistry
    from actions_core.settings import PreconfiguredConnector

__all__ = ["Connector", "ConnectorsClient", "validate_connector_values"]

DEFAULT_SPACE = "default"
_ID = re.compile(r"^[a-z0-9-]+$")
_SPACE = re.compile(r"^[a-z0-9_-]{1,100}$")


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


@dataclass(frozen=True, repr=False)
class ResolvedConnector:
    """A connector with its raw config and decrypted secrets, for the executor only."""

    connector: Connector
    config: dict[str, Any]
    secrets: dict[str, Any] | None
    secrets_problem: str | None
    #: Validated ``(config, secrets)`` per type id, filled by the executor: a cached connector
    #: is validated once, not on every execution (the values and the policy are fixed).
    validated: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(
        default_factory=dict, compare=False
    )


def _prefixed(prefix: str, err: Exception) -> ValidationError:
    problems = getattr(err, "problems", None) or []
    message = getattr(err, "message", None) or str(err)
    return ValidationError(f"{prefix}: {message}", problems)


def validate_connector_values(
    action_type: ActionType,
    config: Any,
    secrets: Any,
    ctx: ValidationContext,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Schema then custom checks for config, secrets and the pair; returns the validated values.

    Raises :class:`ValidationError` with Kibana's prefixes (``error validating connector type
    config: ...``) and every problem found in that part.
    """
    config = _validate_part(
        "config", action_type.config_schema, action_type.validate_config, config, ctx
    )
    secrets = _validate_part(
        "secrets", action_type.secrets_schema, action_type.validate_secrets, secrets, ctx
    )
    if action_type.validate_connector is not None:
        try:
            problem = action_type.validate_connector(config, secrets, ctx)
        except Exception as err:
            problem = getattr(err, "message", None) or str(err)
        if problem:
            raise ValidationError(f"error validating action type connector: {problem}")
    return config, secrets


def _validate_part(
    part: str,
    schema: Mapping[str, Any],
    custom: Callable[[dict[str, Any], ValidationContext], dict[str, Any] | None] | None,
    value: Any,
    ctx: ValidationContext,
) -> dict[str, Any]:
    """Schema first, then the type's own check; any failure is prefixed the way Kibana does."""
    try:
        value = validate(schema, value, secret=part == "secrets")
        if custom is not None:
            value = custom(value, ctx) or value
    except Exception as err:
        raise _prefixed(f"error validating connector type {part}", err) from None
    return value


def check_connector_id(connector_id: Any) -> None:
    if not isinstance(connector_id, str) or connector_id == "":
        raise ValidationError("Connector ID is required.", [("id", "is required")])
    if len(connector_id) > 36:
        raise ValidationError(
            "Connector ID must be 36 characters or less.", [("id", "longer than 36 characters")]
        )
    if not _ID.match(connector_id):
        raise ValidationError(
            "Connector ID must contain only lowercase letters, numbers, and hyphens.",
            [("id", "invalid characters")],
        )


def check_space_id(space_id: Any) -> None:
    if not isinstance(space_id, str) or not _SPACE.match(space_id):
        raise ValidationError(
            f"Space ID {space_id!r} is invalid: use 1-100 lowercase letters, digits, '_' or '-'.",
            [("space_id", "invalid")],
        )


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ValidationError(
            f"[name]: expected value of type [string] but got [{type(name).__name__}]",
            [("name", "expected a string")],
        )
    if not name.strip():
        raise ValidationError(
            f"[name]: value has length [{len(name)}] but it must not be empty or only whitespace.",
            [("name", "empty")],
        )
    return name


def _now() -> str:
    return datetime.now(UTC).isoformat()


#: Seconds a resolved stored connector is reused by ``resolve`` (see ConnectorsClient).
RESOLVE_CACHE_TTL = 1.0


class ConnectorsClient:
    """``actions.connectors``: the CRUD half of the Python API.

    ``resolve`` (the executor's lookup) keeps resolved stored connectors, decrypted secrets
    included, in memory for ``cache_ttl`` seconds: a row read and an AES-GCM decryption per
    execution were the largest framework cost of a run. Writes through this client (create,
    update, delete, key rotation) drop the cached entries at once; writes by other processes
    on the same database are seen within ``cache_ttl``. The cache lives in this object only:
    it is never serialised or logged (``ResolvedConnector`` has no repr of its values).
    """

    def __init__(
        self,
        engine: sa.Engine,
        registry: ActionTypeRegistry,
        secret_box: SecretBox,
        network: NetworkPolicy,
        preconfigured: Mapping[str, PreconfiguredConnector],
    ) -> None:
        self._engine = engine
        self._registry = registry
        self._box = secret_box
        self._network = network
        self._preconfigured = dict(preconfigured)
        self.cache_ttl = RESOLVE_CACHE_TTL
        self._resolved: dict[tuple[str, str], tuple[float, ResolvedConnector]] = {}
        self._resolved_preconfigured: dict[str, ResolvedConnector] = {}

    def invalidate(self, id: str | None = None, *, space_id: str = DEFAULT_SPACE) -> None:
        """Forget cached resolutions: of one connector, or (``id=None``) of all."""
        if id is None:
            self._resolved.clear()
        else:
            self._resolved.pop((space_id, id), None)

    # --- reads ---

    def get(self, id: str, *, space_id: str = DEFAULT_SPACE) -> Connector:
        check_space_id(space_id)
        if id in self._preconfigured:
            return self._preconfigured_connector(id)
        row = self._row(id, space_id)
        if row is None:
            raise NotFoundError(f"Saved object [action/{id}] not found")
        return self._from_row(row)

    def list(self, *, space_id: str = DEFAULT_SPACE) -> list[Connector]:
        """Stored connectors of the space plus every preconfigured one, sorted by name."""
        check_space_id(space_id)
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(table).where(table.c.space_id == space_id)).all()
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
        name = _check_name(name)
        action_type = self._registry.get(connector_type_id)
        ctx = ValidationContext(connector_type_id, self._network, connector_id)
        config_v, secrets_v = validate_connector_values(
            action_type, _plain(config, "config"), _plain(secrets, "secrets"), ctx
        )
        self._registry.ensure_enabled(connector_type_id)
        token = self._seal(secrets_v, space_id, connector_id, connector_type_id)
        now = _now()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    table.insert().values(
                        space_id=space_id,
                        id=connector_id,
                        action_type_id=connector_type_id,
                        name=name,
                        config=config_v,
                        secrets=token,
                        created_at=now,
                        updated_at=now,
                        version=1,
                    )
                )
        except sa.exc.IntegrityError:
            raise ConflictError(f"Saved object [action/{connector_id}] conflict") from None
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
        row = self._row(id, space_id)
        if row is None:
            raise NotFoundError(f"Saved object [action/{id}] not found")
        new_name = row.name if name is None else _check_name(name)
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
        token = self._seal(secrets_v, space_id, id, row.action_type_id)
        with self._engine.begin() as conn:
            result = conn.execute(
                table.update()
                .where(
                    (table.c.space_id == space_id)
                    & (table.c.id == id)
                    & (table.c.version == row.version)
                )
                .values(
                    name=new_name,
                    config=config_v,
                    secrets=token,
                    updated_at=_now(),
                    version=row.version + 1,
                )
            )
        self.invalidate(id, space_id=space_id)
        if result.rowcount != 1:
            raise ConflictError(f"Saved object [action/{id}] conflict: it was changed concurrently")
        return Connector(id, new_name, row.action_type_id, config_v, space_id=space_id)

    def delete(self, id: str, *, space_id: str = DEFAULT_SPACE) -> None:
        check_space_id(space_id)
        with self._engine.begin() as conn:
            result = conn.execute(
                table.delete().where((table.c.space_id == space_id) & (table.c.id == id))
            )
        self.invalidate(id, space_id=space_id)
        if result.rowcount == 0:
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
        key = (space_id, id)
        cached = self._resolved.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        check_space_id(space_id)
        row = self._row(id, space_id)
        if row is None:
            self._resolved.pop(key, None)
            raise NotFoundError(f"Saved object [action/{id}] not found")
        problem = None
        try:
            secrets = self._decrypt(row)
        except SecretsUnavailable as err:
            secrets, problem = None, str(err)
        connector = self._from_row(row, missing=secrets is None)
        resolved = ResolvedConnector(connector, dict(row.config), secrets, problem)
        if self.cache_ttl > 0:
            self._resolved[key] = (now + self.cache_ttl, resolved)
        return resolved

    def rotate_secrets(self) -> dict[str, int]:
        """Re-encrypt every stored secret with the current key.

        Rows that no configured key can decrypt are left untouched and counted as ``failed``.
        """
        counts = {"total": 0, "reencrypted": 0, "unchanged": 0, "failed": 0}
        self.invalidate()
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(table)).all()
        for row in rows:
            counts["total"] += 1
            if row.secrets is None:
                counts["unchanged"] += 1
                continue
            try:
                value = self._decrypt(row)
            except SecretsUnavailable:
                counts["failed"] += 1
                continue
            if self._box.key_id_of(row.secrets) == self._box.current_key_id:
                counts["unchanged"] += 1
                continue
            token = self._seal(value, row.space_id, row.id, row.action_type_id)
            with self._engine.begin() as conn:
                conn.execute(
                    table.update()
                    .where((table.c.space_id == row.space_id) & (table.c.id == row.id))
                    .values(secrets=token)
                )
            counts["reencrypted"] += 1
        self.invalidate()
        return counts

    # --- helpers ---

    def _row(self, id: str, space_id: str) -> sa.Row | None:
        with self._engine.connect() as conn:
            return conn.execute(_SELECT_ONE, {"space_id": space_id, "id": id}).first()

    def _aad(self, space_id: str, id: str, type_id: str) -> dict[str, str]:
        return {"space": space_id, "id": id, "type": type_id}

    def _seal(self, secrets: dict[str, Any], space_id: str, id: str, type_id: str) -> str | None:
        if not secrets and not self._box.has_key:
            return None
        try:
            return self._box.encrypt(secrets, aad=self._aad(space_id, id, type_id))
        except SecretsUnavailable as err:
            raise ConfigError(f"cannot store the connector's secrets: {err}") from None

    def _decrypt(self, row: sa.Row) -> dict[str, Any]:
        if row.secrets is None:
            return {}
        return self._box.decrypt(
            row.secrets, aad=self._aad(row.space_id, row.id, row.action_type_id)
        )

    def _open_stored(self, row: sa.Row) -> dict[str, Any] | None:
        try:
            return self._decrypt(row)
        except SecretsUnavailable:
            return None

    def _from_row(self, row: sa.Row, *, missing: bool | None = None) -> Connector:
        if missing is None:
            missing = self._open_stored(row) is None
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


# Built once: the hot path of every execution should not rebuild the same SQL expression.
_SELECT_ONE = sa.select(table).where(
    (table.c.space_id == sa.bindparam("space_id")) & (table.c.id == sa.bindparam("id"))
)


def _plain(value: Mapping[str, Any] | None, field: str) -> Any:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return value  # let the schema report the wrong type with its path
