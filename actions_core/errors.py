"""The exceptions the public API raises.

Every error carries the HTTP status Kibana would answer with, so the CLI and the HTTP service map
errors the same way without a table of their own. Failures of the *service* behind a connector are
never exceptions: they come back as an ``ActionResult`` with ``status == "error"``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ActionTypeDisabledError",
    "ActionsError",
    "ConfigError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "PluginError",
    "QueuedActionsLimitError",
    "RegistrationError",
    "ValidationError",
]


class ActionsError(Exception):
    """Base class of every error raised by actions-core."""

    status_code: int = 500
    error: str = "Internal Server Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_body(self) -> dict:
        """Kibana's error body: ``{statusCode, error, message}``."""
        return {"statusCode": self.status_code, "error": self.error, "message": self.message}


class ValidationError(ActionsError):
    """Bad input. ``problems`` lists every ``(field path, message)`` pair that was found."""

    status_code = 400
    error = "Bad Request"

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


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
