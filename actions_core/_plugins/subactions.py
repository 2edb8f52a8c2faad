"""Sub-action connectors: one type, several operations, each with its own params schema.

Params are ``{subAction, subActionParams}`` as in Kibana's sub-action framework, and the error
texts match it, so clients written against Kibana keep working.

A sub-action is a ``def`` or an ``async def`` method, or both: two methods marked with the same
name are one sub-action with a blocking and an asyncio implementation. A caller on an event loop
(the HTTP service) awaits the ``async def`` one on its loop; Python and the CLI call the ``def``
one, or await the ``async def`` one on a private loop when it is all there is.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from actions_core._plugins.action_type import ActionType
from actions_core._run.context import ExecutionContext
from actions_core._run.result import ExecutionError
from actions_core._run.validation import SchemaValidationError, check_schema, validate
from actions_core.errors import RegistrationError

__all__ = ["SubActionConnector", "sub_action", "sub_action_type"]

SUB_ACTION_PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "subAction": {"type": "string"},
        "subActionParams": {"type": ["object", "null"]},
    },
    "required": ["subAction"],
}

_MARK = "__actions_core_sub_action__"


def sub_action(
    name: str | None = None, *, params_schema: Mapping[str, Any] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a :class:`SubActionConnector` method as the sub-action ``name`` (default: its name).

    ``params_schema`` validates ``subActionParams``; ``None`` accepts any object. The method is
    called with the validated params (defaults applied) and its return value becomes ``data``.
    """

    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        setattr(method, _MARK, (name or method.__name__, params_schema))
        return method

    return mark


class SubActionConnector:
    """Base class for a sub-action connector's service; one instance per execution."""

    #: ``name -> (method name, params schema)``: the blocking method when there is one.
    sub_actions: ClassVar[dict[str, tuple[str, Mapping[str, Any] | None]]] = {}
    #: ``name -> method name`` of the sub-actions that have an ``async def`` method.
    async_sub_actions: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        blocking: dict[str, tuple[str, Mapping[str, Any] | None]] = {}
        asynchronous: dict[str, tuple[str, Mapping[str, Any] | None]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                mark = getattr(value, _MARK, None)
                if mark is not None:
                    is_async = inspect.iscoroutinefunction(value)
                    (asynchronous if is_async else blocking)[mark[0]] = (attr, mark[1])
        found = dict(asynchronous)
        found.update(blocking)  # the blocking twin is the one Python and the CLI call
        for name, (attr, schema) in found.items():
            twin = asynchronous.get(name)
            if schema is None and twin is not None:  # the schema may be given on either twin
                found[name] = (attr, twin[1])
        cls.sub_actions = found
        cls.async_sub_actions = {name: attr for name, (attr, _) in asynchronous.items()}

    def __init__(self, ctx: ExecutionContext) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.secrets = ctx.secrets
        self.logger = ctx.logger


def sub_action_type(
    *, id: str, name: str, connector: type[SubActionConnector], **fields: Any
) -> ActionType:
    """Build the :class:`ActionType` of a sub-action connector class."""
    if not connector.sub_actions:
        raise RegistrationError(
            "You should register at least one subAction for your connector type"
        )
    schemas: dict[str, Mapping[str, Any]] = {}
    for sub_name, (method_name, schema) in connector.sub_actions.items():
        if not callable(getattr(connector, method_name, None)):
            raise RegistrationError(f'Method "{method_name}" must be a function')
        if schema is not None:
            problem = check_schema(schema)
            if problem:
                raise RegistrationError(
                    f'Action type "{id}": params schema of sub action "{sub_name}" is not a '
                    f"valid JSON Schema: {problem}"
                )
        schemas[sub_name] = schema if schema is not None else {"type": "object"}

    def prepared(ctx: ExecutionContext) -> tuple[str, Any]:
        """The sub-action's name and its validated params."""
        sub_name = ctx.params["subAction"]
        entry = connector.sub_actions.get(sub_name)
        if entry is None:
            raise ExecutionError(
                f'Sub action "{sub_name}" is not registered. Connector id: {ctx.connector_id}. '
                f"Connector name: {name}. Connector type: {id}",
                error_source="user",
            )
        raw = ctx.params.get("subActionParams") or {}
        try:
            return sub_name, validate(schemas[sub_name], raw) if entry[1] is not None else raw
        except SchemaValidationError as err:
            raise ExecutionError(
                f"Request validation failed (Error: {err.message})",
                retry=False,
                error_source="user",
            ) from None

    def execute(ctx: ExecutionContext) -> Any:
        sub_name, sub_params = prepared(ctx)
        result = getattr(connector(ctx), connector.sub_actions[sub_name][0])(sub_params)
        if inspect.isawaitable(result):  # an async def sub-action without a blocking twin
            return _empty_for_none(result)
        return {} if result is None else result

    def execute_on_loop(ctx: ExecutionContext) -> Any:
        sub_name = ctx.params["subAction"]
        method_name = connector.async_sub_actions.get(sub_name)
        if method_name is None:
            return None  # blocking only (or unknown): ``execute`` in a worker thread says which
        sub_name, sub_params = prepared(ctx)
        return _empty_for_none(getattr(connector(ctx), method_name)(sub_params))

    return ActionType(
        id=id,
        name=name,
        executor=execute,
        params_schema=SUB_ACTION_PARAMS_SCHEMA,
        sub_actions=schemas,
        async_executor=execute_on_loop if connector.async_sub_actions else None,
        **fields,
    )


async def _empty_for_none(result: Awaitable[Any]) -> Any:
    data = await result
    return {} if data is None else data
