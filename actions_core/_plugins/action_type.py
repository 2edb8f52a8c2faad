"""The definition of an action (connector) type, as plugins register it."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actions_core._run.context import ExecutionContext, ValidationContext

__all__ = ["FEATURE_IDS", "ActionType"]

#: Kibana's known feature ids; ``GET connector_types?feature_id=`` filters on them.
FEATURE_IDS = frozenset(
    {
        "alerting",
        "cases",
        "uptime",
        "siem",
        "generativeAIForSecurity",
        "generativeAIForObservability",
        "generativeAIForSearchPlayground",
        "endpointSecurity",
        "workflows",
    }
)

Executor = Callable[[ExecutionContext], Any]
ValueValidator = Callable[[dict[str, Any], ValidationContext], "dict[str, Any] | None"]
ConnectorValidator = Callable[[dict[str, Any], dict[str, Any], ValidationContext], "str | None"]
TemplateRenderer = Callable[[dict[str, Any], Mapping[str, Any], "str | None"], dict[str, Any]]

_OBJECT = {"type": "object"}


def _object_schema() -> dict[str, Any]:
    return dict(_OBJECT)


@dataclass(frozen=True, kw_only=True)
class ActionType:
    """An action type: schemas (JSON Schema Draft 2020-12, as data), validators and an executor.

    The custom validators run after the schema and may return a replacement value (e.g. a
    normalised URL) or ``None`` to keep it; they raise (any exception) to reject, and the
    exception text becomes the error message. ``validate_connector`` sees config and secrets
    together and returns an error message or ``None``.

    ``executor(ctx)`` returns the result's ``data`` (JSON-able, or an iterator when streaming)
    or a full :class:`~actions_core.ActionResult`, and raises on failure.

    ``async_executor(ctx)`` is what a caller that runs an event loop (the HTTP service) calls
    instead, on that loop: it must not block, and returns an awaitable of the same data, an
    async iterator, or ``None`` to hand this execution to ``executor`` in a worker thread. An
    ``async def`` (or async generator) ``executor`` is its own ``async_executor``; the
    sub-action framework builds one from ``async def`` sub-actions.
    """

    id: str
    name: str
    executor: Executor
    config_schema: Mapping[str, Any] = field(default_factory=_object_schema)
    secrets_schema: Mapping[str, Any] = field(default_factory=_object_schema)
    params_schema: Mapping[str, Any] = field(default_factory=_object_schema)
    validate_config: ValueValidator | None = None
    validate_secrets: ValueValidator | None = None
    validate_params: ValueValidator | None = None
    validate_connector: ConnectorValidator | None = None
    render_parameter_templates: TemplateRenderer | None = None
    #: Per sub-action params schemas, for sub-action connectors (see :mod:`.subactions`).
    sub_actions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    supported_feature_ids: tuple[str, ...] = ("alerting",)
    minimum_license_required: str = "basic"
    description: str | None = None
    is_deprecated: bool = False
    max_attempts: int | None = None
    async_executor: Executor | None = None

    def __post_init__(self) -> None:
        if self.async_executor is None and (
            inspect.iscoroutinefunction(self.executor) or inspect.isasyncgenfunction(self.executor)
        ):
            object.__setattr__(self, "async_executor", self.executor)
