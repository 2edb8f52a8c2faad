"""The exceptions actions-core raises: one tree, every class an :class:`ActionsError`.

Every error carries the HTTP status Kibana would answer with (``status_code``, ``error``), so the
CLI and the HTTP service map errors the same way without a table of their own: the service
answers 4xx errors with :meth:`ActionsError.to_body` and any 5xx as Kibana's "An internal server
error occurred." (the message goes to the server log). Failures of the *service* behind a
connector are never exceptions to the caller: the executor turns every exception an executor
raises into an ``ActionResult`` with ``status == "error"``.

Our exception hierarchy (status code; the module, when not this one)::

    ActionsError                        500
    ├── ValidationError                 400
    │   ├── TemplateError               400
    │   ├── JsonParseError              400
    │   └── SchemaValidationError       400  actions_core._run.validation
    ├── ForbiddenError                  403
    │   ├── ActionTypeDisabledError     403
    │   └── HostNotAllowedError         403  actions_core._net.errors
    │       └── AddressNotAllowedError  403  actions_core._net.errors
    ├── NotFoundError                   404
    ├── ConflictError                   409
    ├── QueuedActionsLimitError         429
    ├── ConfigError                     500
    ├── RegistrationError               500
    ├── PluginError                     500
    ├── SecretsUnavailable              500
    ├── ExecutionError                  502
    └── RequestError                    502  actions_core._net.errors
        ├── RequestTimeoutError         502  actions_core._net.errors
        ├── RequestConnectionError      502  actions_core._net.errors
        ├── RequestTlsError             502  actions_core._net.errors
        ├── InvalidRequestError         502  actions_core._net.errors
        └── ResponseTooLargeError       502  actions_core._net.errors

``HostNotAllowedError`` is also a ``RequestError`` (its second base): plugins catch every
failure of ``ctx.http`` as one class, and the policy's refusal is one of them.

Classes defined elsewhere live next to the code that raises them (the network policy's errors in
``actions_core._net``); all of them are exported from ``actions_core``. Errors that belong to one
interface only are not part of the tree: the HTTP layer's ``HttpError`` (auth, xsrf, body limits;
``actions_core.server.errors``), the pages' ``LoginRequired`` (a redirect to the sign-in page;
``actions_core.server.webauth``) and the CLI's ``Failure`` (an exit code). A test checks that this
drawing names every subclass of :class:`ActionsError` in the package, with its parent and status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "ActionTypeDisabledError",
    "ActionsError",
    "ConfigError",
    "ConflictError",
    "ErrorSource",
    "ExecutionError",
    "ForbiddenError",
    "JsonParseError",
    "NotFoundError",
    "PluginError",
    "QueuedActionsLimitError",
    "RegistrationError",
    "SecretsUnavailable",
    "TemplateError",
    "ValidationError",
]

#: Who is to blame for a failed execution, as Kibana's ``errorSource`` says.
ErrorSource = Literal["user", "framework"]


class ActionsError(Exception):
    """Base class of every error raised by actions-core."""

    status_code: int = 500
    error: str = "Internal Server Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_body(self) -> dict[str, Any]:
        """Kibana's error body: ``{statusCode, error, message}``."""
        return {"statusCode": self.status_code, "error": self.error, "message": self.message}

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by state, not by re-calling ``__init__``: subclasses take other arguments
        (``PluginError(plugin, message)``, keyword-only limits), and errors cross processes."""
        return (_restore, (type(self), self.args), self.__dict__)


def _restore(cls: type[ActionsError], args: tuple[Any, ...]) -> ActionsError:
    err = cls.__new__(cls)
    err.args = args
    return err


class ValidationError(ActionsError):
    """Bad input. ``problems`` lists every ``(field path, message)`` pair that was found."""

    status_code = 400
    error = "Bad Request"

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class TemplateError(ValidationError):
    """A Mustache template (or a lambda inside it) cannot be rendered.

    Rendering never lets it escape: the rendered text becomes Kibana's error string instead, so
    one bad template shows up in the message sent rather than failing the whole execution.
    """


class JsonParseError(ValidationError, ValueError):
    """The text is not JSON as JavaScript's ``JSON.parse`` reads it (``NaN`` is refused too).

    Also a ``ValueError``, as the JSON errors of Python's ``json`` module are.
    """


class NotFoundError(ActionsError):
    status_code = 404
    error = "Not Found"


class ForbiddenError(ActionsError):
    status_code = 403
    error = "Forbidden"


class ActionTypeDisabledError(ForbiddenError):
    """The connector's type is switched off by ``enabledActionTypes``."""


class ConflictError(ActionsError):
    status_code = 409
    error = "Conflict"


class QueuedActionsLimitError(ActionsError):
    """``enqueue`` refused: ``queued.max`` executions are already waiting (Kibana's message)."""

    status_code = 429
    error = "Too Many Requests"

    def __init__(self) -> None:
        super().__init__(
            "Unable to execute actions because the maximum number of queued actions "
            "has been reached."
        )


class RegistrationError(ActionsError):
    """An action type broke a registration rule (duplicate id, bad id, invalid schema...)."""


class PluginError(ActionsError):
    """A plugin could not be loaded or failed while registering; the message names the plugin."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f'Plugin "{plugin}": {message}')
        self.plugin = plugin


class ConfigError(ActionsError):
    """The configuration file or environment is invalid; the message names the setting."""

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class SecretsUnavailable(ActionsError):
    """Secrets could not be decrypted (wrong key, tampered row) or sealed (no key configured).

    A server-side problem, hence 500: the store turns it into "no secrets" for the connector
    (its executions fail with Kibana's message) or, when saving, into a :class:`ConfigError`.
    """


class ExecutionError(ActionsError):
    """Raise from an executor to fail with a chosen ``retry`` flag and error source.

    Any other exception fails the execution too, as a retryable framework error. The executor
    turns it into an ``ActionResult`` (Kibana's ``_execute`` answers 200 with ``status:
    "error"``); 502 is its status only where it escapes an execution, as the service behind the
    connector is what failed.
    """

    status_code = 502
    error = "Bad Gateway"

    def __init__(
        self,
        message: str,
        *,
        retry: bool | datetime = True,
        error_source: ErrorSource = "framework",
    ) -> None:
        super().__init__(message)
        self.retry = retry
        self.error_source = error_source
