"""Settings: ``actions.yml`` (or a kibana.yml's ``xpack.actions.*`` block) plus environment.

Kibana's ``xpack.actions.*`` keys keep their names and meaning under the key ``actions``; our own
keys (data dir, database URL, encryption keys, server) sit beside them. Unknown keys are errors
that name their path: a misspelled ``allowedHost`` silently ignored would open the network.
Environment variables (``ACTIONS_*``) override the file.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from actions_core._net.custom_hosts import resolve_custom_hosts
from actions_core._net.proxy import invalid_proxy_warning, proxy_url_problem
from actions_core.errors import ConfigError

__all__ = [
    "ENV_VARS",
    "ActionsSettings",
    "PreconfiguredConnector",
    "Settings",
    "load_settings",
    "parse_byte_size",
    "parse_duration",
]

_log = logging.getLogger("actions_core.settings")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_duration(value: Any) -> float:
    """Kibana durations in seconds: ``"60s"``, ``"5m"``, ``"500ms"``; a bare number is ms."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '60s' or a number of milliseconds")
    if isinstance(value, int | float):
        seconds = value / 1000
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"invalid duration {value!r}: use a number with ms, s, m, h or d")
        number, unit = match.groups()
        seconds = float(number) * (_DURATION_UNITS[unit.lower()] if unit else 0.001)
    if seconds <= 0:
        raise ValueError("a duration must be greater than zero")
    return seconds


def parse_byte_size(value: Any) -> int:
    """Kibana byte sizes: ``"1mb"``, ``"512kb"``; a bare number is bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a byte size such as '1mb' or a number of bytes")
    if isinstance(value, int | float):
        size = int(value)
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f"invalid byte size {value!r}: use a number with b, kb, mb or gb")
        number, unit = match.groups()
        size = int(float(number) * _SIZE_UNITS[(unit or "b").lower()])
    if size <= 0:
        raise ValueError("a byte size must be greater than zero")
    return size


Duration = Annotated[float, BeforeValidator(parse_duration)]
ByteSize = Annotated[int, BeforeValidator(parse_byte_size)]
VerificationMode = Literal["full", "certificate", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SslSettings(_Strict):
    verificationMode: VerificationMode = "full"
    proxyVerificationMode: VerificationMode = "full"


class CustomHostSsl(_Strict):
    verificationMode: VerificationMode | None = None
    certificateAuthoritiesFiles: str | list[str] | None = None
    certificateAuthoritiesData: str | None = None


class CustomHostSetting(_Strict):
    url: str
    ssl: CustomHostSsl | None = None
    smtp: dict[str, bool] | None = None


class PreconfiguredConnector(_Strict):
    name: str = Field(min_length=1)
    actionTypeId: str = Field(min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, Any] = Field(default_factory=dict, repr=False)
    exposeConfig: bool = False

    def __repr__(self) -> str:
        return f"PreconfiguredConnector(name={self.name!r}, actionTypeId={self.actionTypeId!r})"


class RunOverride(_Strict):
    id: str
    maxAttempts: int = Field(ge=1, le=10)


class RunSettings(_Strict):
    maxAttempts: int | None = Field(default=None, ge=1, le=10)
    connectorTypeOverrides: list[RunOverride] = Field(default_factory=list)


class QueuedSettings(_Strict):
    """Kibana's ``xpack.actions.queued``: past ``max`` queued executions, enqueue refuses."""

    max: int = Field(default=1_000_000, ge=1)


class QueueSettings(_Strict):
    """Queued execution (our keys). Without ``brokerUrl`` the embedded database is the broker.

    ``retryDelay`` is the first retry's delay (Kibana: 30 s); later retries wait a random time up
    to ``min(maxRetryDelay, retryBackoff * 2^(attempt-2))``. ``visibilityTimeout`` must exceed the
    longest retry delay (Redis redelivers unacknowledged messages after it); ``executionTimeout``
    is how long a run may hold an execution before the sweeper (every ``sweepInterval``) takes
    it back.
    """

    brokerUrl: str | None = Field(default=None, repr=False)
    retryDelay: Duration = 30.0
    retryBackoff: Duration = 300.0
    maxRetryDelay: Duration = 3600.0
    visibilityTimeout: Duration = 7200.0
    executionTimeout: Duration = 300.0
    sweepInterval: Duration = 30.0


class ServerUser(_Strict):
    """A Basic-auth user of the HTTP service: ``role`` is ``read`` or ``all``.

    ``passwordHash`` comes from ``actions users hash-password``; a plain ``password`` is
    accepted for quick local set-ups (keep such a file private).
    """

    role: Literal["read", "all"] = "read"
    passwordHash: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _one_password(self) -> ServerUser:
        if (self.passwordHash is None) == (self.password is None):
            raise ValueError("give exactly one of passwordHash or password")
        return self


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=5601, ge=0, le=65535)
    publicBaseUrl: str | None = None
    #: Largest request body, as Kibana's ``server.maxPayload`` (bigger bodies answer 413).
    maxPayload: ByteSize = 1024 * 1024
    #: Basic-auth users (name → role and password); API keys need no configuration.
    users: dict[str, ServerUser] = Field(default_factory=dict)
    # --- browser UI (issue 10): how long a sign-in session lasts (e.g. "8h", "30m") ---
    sessionLifetime: Duration = 8 * 3600.0
    #: Worker processes sharing the port (``actions serve --workers``); default: one per core.
    workers: int | None = Field(default=None, ge=1, le=256)
    #: Pin each worker process to a core of its own. Default (unset): pinned when there are
    #: as many workers as cores this process may run on, more than one.
    pinWorkers: bool | None = None


#: Kibana settings that are accepted for compatibility but have no effect here.
KIBANA_ONLY_KEYS = frozenset(
    {
        "email",
        "enableFooterInEmail",
        "microsoftGraphApiUrl",
        "microsoftGraphApiScope",
        "microsoftExchangeUrl",
        "preconfiguredAlertHistoryEsIndex",
        "rateLimiter",
        "usage",
        "webhook",
        "enabled",
    }
)


class ActionsSettings(_Strict):
    # Kibana's xpack.actions.* keys
    allowedHosts: list[str] = Field(default_factory=lambda: ["*"])
    enabledActionTypes: list[str] = Field(default_factory=lambda: ["*"])
    preconfigured: dict[str, PreconfiguredConnector] = Field(default_factory=dict)
    # may carry credentials (user:pass@, Proxy-Authorization): kept out of reprs
    proxyUrl: str | None = Field(default=None, repr=False)
    proxyHeaders: dict[str, str] | None = Field(default=None, repr=False)
    proxyBypassHosts: list[str] | None = None
    proxyOnlyHosts: list[str] | None = None
    ssl: SslSettings = Field(default_factory=SslSettings)
    customHostSettings: list[CustomHostSetting] | None = None
    responseTimeout: Duration = 60.0
    maxResponseContentLength: ByteSize = 1024 * 1024
    run: RunSettings = Field(default_factory=RunSettings)
    queued: QueuedSettings = Field(default_factory=QueuedSettings)
    # our own keys
    queue: QueueSettings = Field(default_factory=QueueSettings)
    ssrfProtection: bool = True
    dataDir: str | None = None
    databaseUrl: str | None = None
    encryptionKey: SecretStr | None = None
    decryptionOnlyKeys: list[SecretStr] = Field(default_factory=list)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @field_validator("preconfigured")
    @classmethod
    def _check_preconfigured_ids(cls, value: dict[str, PreconfiguredConnector]) -> dict:
        for connector_id in value:
            if connector_id in ("", "__proto__", "constructor"):
                raise ValueError(f'invalid preconfigured action id "{connector_id}"')
        return value


class Settings(BaseModel):
    """Everything read from the config file and the environment."""

    actions: ActionsSettings = Field(default_factory=ActionsSettings)
    source: Path | None = None
    warnings: list[str] = Field(default_factory=list)


#: Environment variables and the setting each overrides (lists are comma-separated).
ENV_VARS: dict[str, str] = {
    "ACTIONS_DATA_DIR": "dataDir",
    "ACTIONS_DATABASE_URL": "databaseUrl",
    "ACTIONS_ENCRYPTION_KEY": "encryptionKey",
    "ACTIONS_DECRYPTION_ONLY_KEYS": "decryptionOnlyKeys",
    "ACTIONS_ALLOWED_HOSTS": "allowedHosts",
    "ACTIONS_ENABLED_ACTION_TYPES": "enabledActionTypes",
    "ACTIONS_PROXY_URL": "proxyUrl",
    "ACTIONS_RESPONSE_TIMEOUT": "responseTimeout",
    "ACTIONS_MAX_RESPONSE_CONTENT_LENGTH": "maxResponseContentLength",
    "ACTIONS_SSL_VERIFICATION_MODE": "ssl.verificationMode",
    "ACTIONS_SSRF_PROTECTION": "ssrfProtection",
    "ACTIONS_QUEUE_BROKER_URL": "queue.brokerUrl",
}
_LIST_SETTINGS = {"decryptionOnlyKeys", "allowedHosts", "enabledActionTypes"}


def load_settings(
    path: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings from ``path`` (a YAML file, or an already-parsed mapping) and ``env``.

    Raises :class:`ConfigError` listing every problem with its path.
    """
    env = os.environ if env is None else env
    source: Path | None = None
    if path is None:
        path = env.get("ACTIONS_CONFIG") or None
    if isinstance(path, Mapping):
        document: Any = dict(path)
    elif path is not None:
        source = Path(path)
        try:
            document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"configuration file {source} does not exist") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"configuration file {source} is not valid YAML: {err}") from None
    else:
        document = {}
    if not isinstance(document, Mapping):
        raise ConfigError(f"configuration {source or ''} must be a mapping at the top level")
    warnings: list[str] = []
    block = _extract_actions_block(document, warnings)
    for var, setting in ENV_VARS.items():
        if var in env and env[var] != "":
            _set_dotted(block, setting, _env_value(setting, env[var]))
    try:
        actions = ActionsSettings.model_validate(block)
    except ValidationError as err:
        problems = [(_loc(e["loc"]), _pydantic_message(e)) for e in err.errors()]
        where = f" in {source}" if source else ""
        lines = "; ".join(f"[actions.{p}]: {m}" for p, m in problems)
        raise ConfigError(f"invalid configuration{where}: {lines}", problems) from None
    _check_proxy_lists(actions, warnings)
    _check_network(actions, warnings)
    for warning in warnings:
        _log.warning(warning)
    return Settings(actions=actions, source=source, warnings=warnings)


def _extract_actions_block(document: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Find the actions settings in an actions.yml or a kibana.yml (nested or dotted keys)."""
    expanded = _expand_dotted(document)
    if "xpack" in expanded:
        xpack = expanded.get("xpack") or {}
        block = dict(xpack.get("actions") or {})
        encrypted = xpack.get("encryptedSavedObjects") or {}
        if "encryptionKey" in encrypted:
            block.setdefault("encryptionKey", encrypted["encryptionKey"])
        rotation = encrypted.get("keyRotation") or {}
        if "decryptionOnlyKeys" in rotation:
            block.setdefault("decryptionOnlyKeys", rotation["decryptionOnlyKeys"])
        ignored = [k for k in expanded if k not in ("xpack", "actions")]
        ignored += [f"xpack.{k}" for k in xpack if k not in ("actions", "encryptedSavedObjects")]
        if ignored:
            warnings.append(
                "ignored settings that are not actions settings: " + ", ".join(sorted(ignored))
            )
        if "actions" in expanded:
            block.update(expanded["actions"] or {})
    else:
        unknown = [k for k in expanded if k != "actions"]
        if unknown:
            raise ConfigError(
                "unknown top-level configuration keys: "
                + ", ".join(f"[{k}]" for k in sorted(unknown))
                + " (settings go under 'actions:' or 'xpack.actions.')",
                [(k, "unknown key") for k in unknown],
            )
        block = dict(expanded.get("actions") or {})
    block = _expand_dotted(block)
    unused = sorted(k for k in block if k in KIBANA_ONLY_KEYS)
    for key in unused:
        block.pop(key)
    if unused:
        warnings.append(
            "Kibana settings accepted but not used by actions-core: "
            + ", ".join(f"actions.{k}" for k in unused)
        )
    return block


def _expand_dotted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "a": {"c": 2}}`` → ``{"a": {"b": 1, "c": 2}}``.

    Only the keys of ``mapping`` itself are split; nested mappings are merged as they are, so
    dots inside e.g. header names further down survive.
    """
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        *parents, last = str(key).split(".")
        target = out
        for part in parents:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        _merge_into(target, last, value)
    return out


def _merge_into(target: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, Mapping) and isinstance(target.get(key), dict):
        for sub_key, sub_value in value.items():
            _merge_into(target[key], sub_key, sub_value)
    else:
        target[key] = dict(value) if isinstance(value, Mapping) else value


def _set_dotted(block: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        block = block.setdefault(part, {})
    block[last] = value


def _env_value(setting: str, raw: str) -> Any:
    if setting in _LIST_SETTINGS:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _pydantic_message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown setting"
    if error["type"] == "missing":
        return "is required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _check_proxy_lists(actions: ActionsSettings, warnings: list[str]) -> None:
    if actions.proxyBypassHosts and actions.proxyOnlyHosts:
        warnings.append(
            "The configurations actions.proxyBypassHosts and actions.proxyOnlyHosts can not be "
            "used at the same time. The configuration actions.proxyOnlyHosts will be ignored."
        )


def _check_network(actions: ActionsSettings, warnings: list[str]) -> None:
    """Kibana's start-up checks: an unusable proxy URL is reported (requests then connect
    directly) and ``customHostSettings`` are resolved (canonical URLs, CA files read)."""
    if actions.proxyUrl is not None and proxy_url_problem(actions.proxyUrl) is not None:
        warnings.append(invalid_proxy_warning(actions.proxyUrl))
    if actions.customHostSettings:
        entries = [entry.model_dump(exclude_none=True) for entry in actions.customHostSettings]
        actions.customHostSettings = [
            CustomHostSetting(
                url=host.url,
                ssl=CustomHostSsl(
                    # checked when the CustomHost was built (check_verification_mode)
                    verificationMode=cast("VerificationMode | None", host.verification_mode),
                    certificateAuthoritiesData=host.ca_data,
                ),
                smtp=dict(host.smtp) or None,
            )
            for host in resolve_custom_hosts(entries, warnings)
        ]
