"""``Actions``: the facade that wires settings, plugins, store, secrets and the executor."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from actions_core._net.client import HttpClient
from actions_core._net.policy import NetworkPolicy
from actions_core._plugins.manager import load_plugins
from actions_core._plugins.registry import ActionTypeRegistry
from actions_core._run.executor import Executor
from actions_core._run.result import ActionResult
from actions_core._run.templating import render_parameter_templates
from actions_core._store import open_engine, sqlite_url
from actions_core.connectors import ConnectorsClient
from actions_core.events import Event, EventLog, UsageReport
from actions_core.secrets import SecretBox, load_or_create_key_file
from actions_core.settings import Settings, load_settings

__all__ = ["Actions", "ConnectorTypeInfo"]

_log = logging.getLogger("actions_core")
DEFAULT_CONFIG_FILE = "actions.yml"
DB_FILE_NAME = "actions.sqlite3"


@dataclass(frozen=True)
class ConnectorTypeInfo:
    """A registered type as clients see it, schemas included (so a UI can build forms)."""

    id: str
    name: str
    enabled: bool
    enabled_in_config: bool
    enabled_in_license: bool
    minimum_license_required: str
    supported_feature_ids: tuple[str, ...]
    is_system_action_type: bool
    is_deprecated: bool
    description: str | None
    plugin: str | None
    config_schema: dict[str, Any] = field(repr=False)
    secrets_schema: dict[str, Any] = field(repr=False)
    params_schema: dict[str, Any] = field(repr=False)
    sub_actions: dict[str, dict[str, Any]] = field(repr=False)

    def to_api(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "enabled_in_config": self.enabled_in_config,
            "enabled_in_license": self.enabled_in_license,
            "minimum_license_required": self.minimum_license_required,
            "supported_feature_ids": list(self.supported_feature_ids),
            "is_system_action_type": self.is_system_action_type,
            "is_deprecated": self.is_deprecated,
            "source": "stack",
        }
        if self.description:
            body["description"] = self.description
        body["config_schema"] = self.config_schema
        body["secrets_schema"] = self.secrets_schema
        body["params_schema"] = self.params_schema
        if self.sub_actions:
            body["sub_actions"] = self.sub_actions
        return body


class Actions:
    """The Python API: types, connectors, execution, events and token usage.

    ``data_dir`` and ``config`` are both optional. ``config`` is a path to an actions.yml (or a
    kibana.yml), an already parsed mapping, or a :class:`Settings`; without it ``ACTIONS_CONFIG``
    or ``./actions.yml`` is read when present. ``plugins`` registers extra plugin objects (modules
    or instances with ``@hookimpl`` functions) next to the installed entry points.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        config: str | os.PathLike[str] | Mapping[str, Any] | Settings | None = None,
        *,
        plugins: Iterable[Any] = (),
        load_entry_points: bool = True,
    ) -> None:
        self.settings = config if isinstance(config, Settings) else load_settings(_config(config))
        options = self.settings.actions
        self.data_dir = Path(data_dir or options.dataDir or "data")
        self.registry = ActionTypeRegistry(options.enabledActionTypes)
        self.plugins = load_plugins(plugins, entry_points=load_entry_points)
        self.plugins.register_action_types(self.registry.register)
        for pre_id, pre in options.preconfigured.items():
            if not self.registry.has(pre.actionTypeId):
                _log.warning(
                    'Preconfigured connector "%s" uses action type "%s", which is not registered',
                    pre_id,
                    pre.actionTypeId,
                )

        embedded = options.databaseUrl is None
        if embedded:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        database_url = options.databaseUrl or sqlite_url(self.data_dir / DB_FILE_NAME)
        key = options.encryptionKey.get_secret_value() if options.encryptionKey else None
        if key is None and embedded:
            key = load_or_create_key_file(self.data_dir)
        self.secret_box = SecretBox(key, [k.get_secret_value() for k in options.decryptionOnlyKeys])
        self.network = NetworkPolicy.from_settings(options)
        self.http = HttpClient(self.network)
        self._engine = open_engine(database_url)
        self.events = EventLog(self._engine)
        self.connectors = ConnectorsClient(
            self._engine, self.registry, self.secret_box, self.network, options.preconfigured
        )
        self._executor = Executor(
            self.registry, self.connectors, self.events, self.http, self.network
        )
        self.public_base_url = options.server.publicBaseUrl
        self._database_url = database_url  # may hold a password: never shown
        self._queue: Any = None

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine of the store, for components that keep their own tables."""
        return self._engine

    @property
    def public_base_url(self) -> str | None:
        """Where the HTTP service is reachable; executors see dashboard URLs built from it."""
        return self._executor.public_base_url

    @public_base_url.setter
    def public_base_url(self, value: str | None) -> None:
        self._executor.public_base_url = value

    def __repr__(self) -> str:
        return f"Actions(data_dir={str(self.data_dir)!r}, types={len(self.registry.list())})"

    # --- types ---

    def types(self, feature_id: str | None = None) -> list[ConnectorTypeInfo]:
        found = []
        for action_type in self.registry.list(feature_id):
            enabled = self.registry.is_enabled(action_type.id)
            found.append(
                ConnectorTypeInfo(
                    id=action_type.id,
                    name=action_type.name,
                    enabled=enabled,
                    enabled_in_config=enabled,
                    enabled_in_license=True,
                    minimum_license_required=action_type.minimum_license_required,
                    supported_feature_ids=action_type.supported_feature_ids,
                    is_system_action_type=False,
                    is_deprecated=action_type.is_deprecated,
                    description=action_type.description,
                    plugin=self.registry.plugin_of(action_type.id),
                    config_schema=dict(action_type.config_schema),
                    secrets_schema=dict(action_type.secrets_schema),
                    params_schema=dict(action_type.params_schema),
                    sub_actions={k: dict(v) for k, v in action_type.sub_actions.items()},
                )
            )
        return found

    # --- execution ---

    def execute(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str = "default",
        source: str = "python",
        user: str | None = None,
    ) -> ActionResult:
        """Run the connector ``connector_id`` with ``params``.

        Raises ``NotFoundError`` for an unknown connector and ``ActionTypeDisabledError`` for a
        disabled type; every other failure is an ``ActionResult`` with ``status == "error"``.
        """
        return self._executor.execute(
            connector_id, params, space_id=space_id, source=source, user=user
        )

    # --- queued execution (actions_core._queue) ---

    @property
    def queue(self) -> Any:
        """The queue (``actions_core._queue.service.Queue``), built on first use."""
        if self._queue is None:
            from actions_core._queue.service import Queue

            self._queue = Queue(self, self._database_url)
        return self._queue

    @property
    def executions(self) -> Any:
        """Queued executions: ``get(id)``, ``wait(id, timeout=...)``, ``list(...)``."""
        from actions_core._queue.service import Executions

        return Executions(self.queue.store)

    def enqueue(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str = "default",
        execution_id: str | None = None,
        source: str | None = None,
        user: str | None = None,
    ) -> str:
        """Queue an execution of ``connector_id``; a worker runs it. Returns its id.

        Checked now as ``execute`` would (``NotFoundError``, ``ActionTypeDisabledError``,
        ``ValidationError``); ``QueuedActionsLimitError`` past ``queued.max``. The same
        ``execution_id`` is queued once. Only the id goes on the broker.
        """
        return self.queue.enqueue(
            connector_id, params, space_id=space_id, execution_id=execution_id,
            source=source, user=user,
        )  # fmt: skip

    def render_parameter_templates(
        self,
        type_id: str,
        params: Mapping[str, Any],
        variables: Mapping[str, Any],
        connector_id: str | None = None,
    ) -> dict[str, Any]:
        return render_parameter_templates(self.registry, type_id, params, variables, connector_id)

    # --- events and usage ---

    def recent_events(
        self, connector_id: str | None = None, *, limit: int = 50, action: str | None = None
    ) -> list[Event]:
        return self.events.recent(connector_id=connector_id, limit=limit, action=action)

    def usage(
        self,
        connector_id: str | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        interval_seconds: int = 86400,
    ) -> UsageReport:
        return self.events.usage(
            connector_id=connector_id, start=start, end=end, interval_seconds=interval_seconds
        )

    def rotate_secrets(self) -> dict[str, int]:
        """Re-encrypt all stored secrets with the current key (after adding a new key)."""
        return self.connectors.rotate_secrets()

    # --- lifecycle ---

    def close(self) -> None:
        if self._queue is not None:
            self._queue.close()
        self.events.close()
        self.http.close()
        self._engine.dispose()

    def __enter__(self) -> Actions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _config(config: Any) -> Any:
    if config is not None:
        return config
    if os.environ.get("ACTIONS_CONFIG"):
        return os.environ["ACTIONS_CONFIG"]
    if Path(DEFAULT_CONFIG_FILE).is_file():
        return DEFAULT_CONFIG_FILE
    return None
