"""``Actions``: the facade that wires settings, plugins, store, secrets and the executor."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actions_core._net.client import HttpClient
from actions_core._net.policy import NetworkPolicy
from actions_core._plugins.manager import load_plugins
from actions_core._plugins.registry import ActionTypeRegistry
from actions_core._run.executor import Executor
from actions_core._run.result import ActionResult
from actions_core._run.templating import render_parameter_templates
from actions_core._store import open_engine, sqlite_url
from actions_core._store.connectors import ConnectorRows
from actions_core.connectors import ConnectorsClient
from actions_core.errors import ConfigError
from actions_core.events import Event, EventLog, UsageReport
from actions_core.secrets import KEY_FILE_NAME, SecretBox, load_or_create_key_file
from actions_core.settings import Settings, load_settings

if TYPE_CHECKING:
    from actions_core._net.aclient import AsyncHttpClient

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
            _private_store(self.data_dir)
        database_url = options.databaseUrl or sqlite_url(self.data_dir / DB_FILE_NAME)
        key = options.encryptionKey.get_secret_value() if options.encryptionKey else None
        old_keys = [k.get_secret_value() for k in options.decryptionOnlyKeys]
        self._engine = open_engine(database_url)
        if key is None and embedded:
            try:
                key = _embedded_key(self.data_dir, self._engine, old_keys)
            except BaseException:
                self._engine.dispose()
                raise
        self.secret_box = SecretBox(key, old_keys)
        self.network = NetworkPolicy.from_settings(options)
        self.http = HttpClient(self.network)
        # the embedded store journals durable records beside it (see _store/journal.py)
        self.events = EventLog(self._engine, self.data_dir / JOURNAL_DIR if embedded else None)
        self.connectors = ConnectorsClient(
            self._engine, self.registry, self.secret_box, self.network, options.preconfigured
        )
        self._ahttp: AsyncHttpClient | None = None
        self._ahttp_lock = threading.Lock()
        self._executor = Executor(
            self.registry,
            self.connectors,
            self.events,
            self.http,
            self.network,
            lambda: self.ahttp,
            local_store=self._engine.dialect.name == "sqlite",
        )
        self._database_url = database_url  # may hold a password: never shown
        self._queue: Any = None

    @property
    def ahttp(self) -> AsyncHttpClient:
        """The asyncio HTTP client under the same network policy as ``http`` (made on first
        use: it loads httpx)."""
        if self._ahttp is None:
            with self._ahttp_lock:
                if self._ahttp is None:
                    from actions_core._net.aclient import AsyncHttpClient

                    self._ahttp = AsyncHttpClient(self.network)
        return self._ahttp

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine of the store, for components that keep their own tables."""
        return self._engine

    @property
    def dashboard_url(self) -> Callable[[str, str], str | None] | None:
        """``(connector_id, space_id) -> URL`` of a connector's token-usage page, or None.

        Executors see its answer as ``ctx.dashboard_url``. The core does not know where that
        page is: the HTTP service sets this when it is built over these ``Actions``.
        """
        return self._executor.dashboard_url

    @dashboard_url.setter
    def dashboard_url(self, value: Callable[[str, str], str | None] | None) -> None:
        self._executor.dashboard_url = value

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

    async def execute_async(
        self,
        connector_id: str,
        params: Any,
        *,
        space_id: str = "default",
        source: str = "python",
        user: str | None = None,
    ) -> ActionResult:
        """:meth:`execute` for asyncio callers, on the caller's loop where it can be: a type's
        ``async_executor`` (an ``async def`` executor or sub-action) is awaited on this loop; a
        blocking executor runs in a worker thread. A streaming result whose executor is an
        async generator comes back as an :class:`AsyncExecutionStream` to ``async for`` on this
        loop (each chunk an ``await``, no thread), closed with ``await data.aclose()``."""
        return await self._executor.execute_async(
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
        execution: str = self.queue.enqueue(
            connector_id, params, space_id=space_id, execution_id=execution_id,
            source=source, user=user,
        )  # fmt: skip
        return execution

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


#: Beside the embedded database: the event journals of running (or dead) processes.
JOURNAL_DIR = "journal"

# --- the embedded store: private, never silently replaced ---

#: SQLite's companions of the database file (they take its mode when SQLite creates them).
_DB_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _private_store(data_dir: Path) -> None:
    """Create the data dir 0700 (only when it is ours to create) and the database file 0600,
    and tighten an existing database file and its WAL/SHM to 0600: they hold sealed secrets
    and every execution's record."""
    if not data_dir.exists():
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            data_dir.mkdir(mode=0o700)
    database = data_dir / DB_FILE_NAME
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in _DB_COMPANIONS:
        path = Path(f"{database}{suffix}")
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)


def _embedded_key(data_dir: Path, engine: Any, old_keys: list[str]) -> str:
    """The key file's key; a new one only when nothing stored needs the old one."""
    key_file = data_dir / KEY_FILE_NAME
    if not key_file.exists() and not old_keys:
        sealed = ConnectorRows(engine).count_sealed()
        if sealed:
            raise ConfigError(
                f"The store in {data_dir} holds the encrypted secrets of {sealed} "
                f"connector{'s' if sealed != 1 else ''}, but no encryption key is configured "
                f"and the key file {key_file} is missing. Refusing to generate a new key: "
                "it could not decrypt them. Restore the key file from your backup, or set "
                "ACTIONS_ENCRYPTION_KEY (or encryptionKey in the configuration) to the key "
                "they were stored with. If that key is lost, configure a new key and give each "
                "connector its secrets again (actions connectors update ID --prompt-secrets)."
            )
    return load_or_create_key_file(data_dir)


def missing_store(
    data_dir: str | os.PathLike[str] | None,
    config: str | os.PathLike[str] | Mapping[str, Any] | Settings | None,
) -> str | None:
    """Why the embedded store that ``Actions(data_dir, config)`` would open does not exist
    yet (``None`` when it does, or when the store is a database URL). Read-only commands ask
    this first, so a mistyped ``--data-dir`` is reported instead of creating a new store."""
    settings = config if isinstance(config, Settings) else load_settings(_config(config))
    options = settings.actions
    if options.databaseUrl is not None:
        return None
    where = Path(data_dir or options.dataDir or "data")
    database = where / DB_FILE_NAME
    if database.is_file():
        return None
    return (
        f"No actions store at {where.resolve()}: {database.name} does not exist there. Check "
        "--data-dir (or dataDir in the configuration) and the folder you run from; creating "
        "a connector makes a new store."
    )
