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
    from .action_type import ActionType
    from .actions import Actions, ConnectorTypeInfo
    from .connectors import Connector
    from .context import ExecutionContext, TokenUsage, ValidationContext
    from .errors import (
        ActionsError,
        ActionTypeDisabledError,
        ConfigError,
        ConflictError,
        ForbiddenError,
        NotFoundError,
        PluginError,
        RegistrationError,
        ValidationError,
    )
    from .events import Event, UsageReport
    from .executor import ExecutionStream
    from .hookspecs import hookimpl
    from .http import HttpClient
    from .lazy import imported_on_first_call
    from .network import NetworkPolicy
    from .network_errors import (
        AddressNotAllowedError,
        HostNotAllowedError,
        ResponseTooLargeError,
    )
    from .request_errors import (
        CERTIFICATE_ERROR_CODES,
        HOSTNAME_ERROR_CODE,
        describe_request_error,
        is_timeout,
        is_tls_error,
        retry_after,
    )
    from .result import ActionResult, ExecutionError
    from .subactions import SubActionConnector, sub_action, sub_action_type
    from .templating import render_template
    from .tls import TlsOptions

__version__ = "0.1.0"

#: Public name -> the submodule (relative to this package) that defines it.
_EXPORTS: dict[str, str] = {
    "ActionType": ".action_type",
    "Actions": ".actions",
    "ConnectorTypeInfo": ".actions",
    "Connector": ".connectors",
    "ExecutionContext": ".context",
    "TokenUsage": ".context",
    "ValidationContext": ".context",
    "ActionsError": ".errors",
    "ActionTypeDisabledError": ".errors",
    "ConfigError": ".errors",
    "ConflictError": ".errors",
    "ForbiddenError": ".errors",
    "NotFoundError": ".errors",
    "PluginError": ".errors",
    "RegistrationError": ".errors",
    "ValidationError": ".errors",
    "Event": ".events",
    "UsageReport": ".events",
    "ExecutionStream": ".executor",
    "hookimpl": ".hookspecs",
    "HttpClient": ".http",
    "imported_on_first_call": ".lazy",
    "NetworkPolicy": ".network",
    "AddressNotAllowedError": ".network_errors",
    "HostNotAllowedError": ".network_errors",
    "ResponseTooLargeError": ".network_errors",
    "CERTIFICATE_ERROR_CODES": ".request_errors",
    "HOSTNAME_ERROR_CODE": ".request_errors",
    "describe_request_error": ".request_errors",
    "is_timeout": ".request_errors",
    "is_tls_error": ".request_errors",
    "retry_after": ".request_errors",
    "ActionResult": ".result",
    "ExecutionError": ".result",
    "SubActionConnector": ".subactions",
    "sub_action": ".subactions",
    "sub_action_type": ".subactions",
    "render_template": ".templating",
    "TlsOptions": ".tls",
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
    "ExecutionContext",
    "ExecutionError",
    "ExecutionStream",
    "ForbiddenError",
    "HostNotAllowedError",
    "HttpClient",
    "NetworkPolicy",
    "NotFoundError",
    "PluginError",
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
