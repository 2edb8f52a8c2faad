"""actions-core: Kibana's connector and action model in Python.

Plugins register action types through the ``register_action_types`` hook; connectors (a type,
config and encrypted secrets) are stored and run by id through one executor.

The public names are imported lazily (PEP 562): ``import actions_core`` and plugin discovery
must stay cheap, because every CLI call and every plugin import pays for them, while
``Actions`` and the HTTP client pull in SQLAlchemy, requests, cryptography and pydantic. A name
is imported from its module on first access and then cached in this module's namespace, so
``from actions_core import X`` and ``actions_core.X`` work exactly as before.

Public classes and functions report ``actions_core`` as their ``__module__`` (as httpx's do), so
reprs, pickles and tracebacks name the public path, never the private module that happens to
define them. It is set when a name is first resolved here; see :func:`_publish`.
"""

from __future__ import annotations

import importlib
import typing
from types import FunctionType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time see _EXPORTS below
    from actions_core._js.json import json_parse, json_stringify
    from actions_core._js.values import (
        expected_type_message,
        js_number_to_string,
        js_to_string,
        js_trim,
        js_truthy,
        js_type_name,
    )
    from actions_core._net.aclient import AsyncHttpClient
    from actions_core._net.client import HttpClient
    from actions_core._net.errors import (
        CERTIFICATE_ERROR_CODES,
        HOSTNAME_ERROR_CODE,
        AddressNotAllowedError,
        HostNotAllowedError,
        InvalidRequestError,
        RequestConnectionError,
        RequestError,
        RequestTimeoutError,
        RequestTlsError,
        ResponseTooLargeError,
        describe_request_error,
        is_timeout,
        is_tls_error,
        request_error,
        retry_after,
    )
    from actions_core._net.policy import NetworkPolicy
    from actions_core._net.tls import TlsOptions
    from actions_core._plugins.action_type import ActionType
    from actions_core._plugins.hookspecs import hookimpl
    from actions_core._plugins.lazy import imported_on_first_call
    from actions_core._plugins.subactions import SubActionConnector, sub_action, sub_action_type
    from actions_core._queue.model import Execution
    from actions_core._run.context import ExecutionContext, TokenUsage, ValidationContext
    from actions_core._run.executor import AsyncExecutionStream, ExecutionStream
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
        JsonParseError,
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
    "AsyncExecutionStream": "._run.executor",
    "AsyncHttpClient": "._net.aclient",
    "hookimpl": "._plugins.hookspecs",
    "HttpClient": "._net.client",
    "imported_on_first_call": "._plugins.lazy",
    "NetworkPolicy": "._net.policy",
    "AddressNotAllowedError": "._net.errors",
    "HostNotAllowedError": "._net.errors",
    "ResponseTooLargeError": "._net.errors",
    "RequestError": "._net.errors",
    "RequestTimeoutError": "._net.errors",
    "RequestConnectionError": "._net.errors",
    "RequestTlsError": "._net.errors",
    "InvalidRequestError": "._net.errors",
    "request_error": "._net.errors",
    "CERTIFICATE_ERROR_CODES": "._net.errors",
    "HOSTNAME_ERROR_CODE": "._net.errors",
    "describe_request_error": "._net.errors",
    "is_timeout": "._net.errors",
    "is_tls_error": "._net.errors",
    "retry_after": "._net.errors",
    "ActionResult": "._run.result",
    "ExecutionError": "._run.result",
    "SubActionConnector": "._plugins.subactions",
    "sub_action": "._plugins.subactions",
    "sub_action_type": "._plugins.subactions",
    "render_template": "._run.templating",
    "TlsOptions": "._net.tls",
    "JsonParseError": ".errors",
    "json_parse": "._js.json",
    "json_stringify": "._js.json",
    "expected_type_message": "._js.values",
    "js_number_to_string": "._js.values",
    "js_to_string": "._js.values",
    "js_trim": "._js.values",
    "js_truthy": "._js.values",
    "js_type_name": "._js.values",
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
    "AsyncExecutionStream",
    "AsyncHttpClient",
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
    "InvalidRequestError",
    "JsonParseError",
    "NetworkPolicy",
    "NotFoundError",
    "PluginError",
    "QueuedActionsLimitError",
    "RegistrationError",
    "RequestConnectionError",
    "RequestError",
    "RequestTimeoutError",
    "RequestTlsError",
    "ResponseTooLargeError",
    "SubActionConnector",
    "TlsOptions",
    "TokenUsage",
    "UsageReport",
    "ValidationContext",
    "ValidationError",
    "__version__",
    "describe_request_error",
    "expected_type_message",
    "hookimpl",
    "imported_on_first_call",
    "is_timeout",
    "is_tls_error",
    "js_number_to_string",
    "js_to_string",
    "js_trim",
    "js_truthy",
    "js_type_name",
    "json_parse",
    "json_stringify",
    "render_template",
    "request_error",
    "retry_after",
    "sub_action",
    "sub_action_type",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule on first use, then keep it here."""
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(module_name, __name__)
    # Publish every public name of that module at once (it is imported now anyway), so that
    # siblings agree on their __module__ whichever of them was asked for first.
    for public, home in _EXPORTS.items():
        if home == module_name and public not in globals():
            sibling = getattr(module, public)
            _publish(sibling)
            globals()[public] = sibling  # later lookups are plain attribute reads
    return globals()[name]


def _publish(value: Any) -> None:
    """Make a public class or function report ``actions_core`` as its module.

    Only the package's own classes and functions: constants cannot carry a ``__module__`` and
    ``hookimpl`` is pluggy's marker instance. ``typing.get_type_hints`` resolves a class's
    string annotations (``from __future__ import annotations``) in the namespace of
    ``__module__``, which would now be this lazy module; so a class's own annotations are first
    replaced by their evaluated types, keeping dataclass introspection (and anything built on
    it) working. Where they cannot be evaluated (names imported only for type checkers), they
    stay strings, as unresolvable as before.
    """
    if not isinstance(value, type | FunctionType):
        return
    if not value.__module__.startswith(f"{__name__}."):
        return
    if isinstance(value, type):
        import inspect  # already loaded by dataclasses; kept off ``import actions_core``

        own = inspect.get_annotations(value)
        if any(isinstance(hint, str) for hint in own.values()):
            try:
                hints = typing.get_type_hints(value, include_extras=True)
            except Exception:  # unresolvable before too (type-checking-only names): keep them
                hints = {}
            value.__annotations__ = {key: hints.get(key, hint) for key, hint in own.items()}
    value.__module__ = __name__


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
