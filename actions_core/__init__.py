"""actions-core: Kibana's connector and action model in Python.

Plugins register action types through the ``register_action_types`` hook; connectors (a type,
config and encrypted secrets) are stored and run by id through one executor.
"""

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
from .network import NetworkPolicy
from .network_errors import AddressNotAllowedError, HostNotAllowedError, ResponseTooLargeError
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
    "is_timeout",
    "is_tls_error",
    "render_template",
    "retry_after",
    "sub_action",
    "sub_action_type",
]
