"""actions-core: Kibana's connector and action model in Python.

Plugins register action types through the ``register_action_types`` hook; connectors (a type,
config and encrypted secrets) are stored and run by id through one executor.

The public names are imported lazily (PEP 562): ``import actions_core`` and plugin discovery
must stay cheap, because every CLI call and every plugin import pays for them, while
``Actions`` and the HTTP client pull in SQLAlchemy, requests, cryptography and pydantic. A name
is imported from its module on first access and then cached in this module's namespace, so
``from actions_core import X`` and ``actions_core.X`` work exactly as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time see _EXPORTS below
    from actions_core._net.client import HttpClient
    from actions_core._net.errors import (
        AddressNotAllowedError,
        HostNotAllowedError,
        ResponseTooLargeError,
    )
    from actions_core._net.policy import NetworkPolicy
    from actions_core._net.request_errors import (
        CERTIFICATE_ERROR_CODES,
        HOSTNAME_ERROR_CODE,
        describe_request_error,
        is_timeout,
        is_tls_error,
        retry_after,
    )
    from actions_core._net.tls import TlsOptions
    from actions_core._plugins.action_type import ActionType
    from actions_core._plugins.hookspecs import hookimpl
    from actions_core._plugins.lazy import imported_on_first_call
    from actions_core._plugins.subactions import SubActionConnector, sub_action, sub_action_type
    from actions_core._queue.model import Execution
    from actions_core._run.context import ExecutionContext, TokenUsage, ValidationContext
    from actions_core._run.executor import ExecutionStream
    from actions_core._run.result import ActionResult, ExecutionError
    from actions_core._run.templating import render_template
    from actions_core.actions import Actions, ConnectorTypeInfo
    from actions_core.connectors import Connector
    from actions_core.errors import (
        ActionsError,
        ActionTypeDisabledError,
        ConfigError,
        ConflictError,
        ForbiddenError,
        NotFoundError,
        PluginError,
        QueuedActionsLimitError,
        RegistrationError,
        ValidationError,
    )
    from actions_core.events import Event, UsageReport

__version__ = "0.1.0"

#: Public name -> the submodule (relative to this package) that defines it.
_EXPORTS: dict[str, str] = {
    "ActionType": "._plugins.action_type",
    "Actions": ".actions",
    "ConnectorTypeInfo": ".actions",
    "Connector": ".connectors",
    "ExecutionContext": "._run.context",
    "TokenUsage": "._run.context",
    "ValidationContext": "._run.context",
    "ActionsError": ".errors",
    "ActionTypeDisabledError": ".errors",
    "ConfigError": ".errors",
    "ConflictError": ".errors",
    "ForbiddenError": ".errors",
    "NotFoundError": ".errors",
    "PluginError": ".errors",
    "QueuedActionsLimitError": ".errors",
    "Execution": "._queue.model",
    "RegistrationError": ".errors",
    "ValidationError": ".errors",
    "Event": ".events",
    "UsageReport": ".events",
    "ExecutionStream": "._run.executor",
    "hookimpl": "._plugins.hookspecs",
    "HttpClient": "._net.client",
    "imported_on_first_call": "._plugins.lazy",
    "NetworkPolicy": "._net.policy",
    "AddressNotAllowedError": "._net.errors",
    "HostNotAllowedError": "._net.errors",
    "ResponseTooLargeError": "._net.errors",
    "CERTIFICATE_ERROR_CODES": "._net.request_errors",
    "HOSTNAME_ERROR_CODE": "._net.request_errors",
    "describe_request_error": "._net.request_errors",
    "is_timeout": "._net.request_errors",
    "is_tls_error": "._net.request_errors",
    "retry_after": "._net.request_errors",
    "ActionResult": "._run.result",
    "ExecutionError": "._run.result",
    "SubActionConnector": "._plugins.subactions",
    "sub_action": "._plugins.subactions",
    "sub_action_type": "._plugins.subactions",
    "render_template": "._run.templating",
    "TlsOptions": "._net.tls",
}

__all__ = [
    "CERTIFICATE_ERROR_CODES",
    "HOSTNAME_ERROR_CODE",
    "ActionResult",
    "ActionType",
    "ActionTypeDisabledError",
    "Actions",
    "ActionsError",
    "AddressNotAllowedError",
    "ConfigError",
    "ConflictError",
    "Connector",
    "ConnectorTypeInfo",
    "Event",
    "Execution",
    "ExecutionContext",
    "ExecutionError",
    "ExecutionStream",
    "ForbiddenError",
    "HostNotAllowedError",
    "HttpClient",
    "NetworkPolicy",
    "NotFoundError",
    "PluginError",
    "QueuedActionsLimitError",
    "RegistrationError",
    "ResponseTooLargeError",
    "SubActionConnector",
    "TlsOptions",
    "TokenUsage",
    "UsageReport",
    "ValidationContext",
    "ValidationError",
    "__version__",
    "describe_request_error",
    "hookimpl",
    "imported_on_first_call",
    "is_timeout",
    "is_tls_error",
    "render_template",
    "retry_after",
    "sub_action",
    "sub_action_type",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule on first use, then keep it here."""
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
