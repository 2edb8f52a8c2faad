"""``.gen-ai``: the OpenAI connector (OpenAI, Azure OpenAI and OpenAI-compatible services).

A built-in plugin that uses only actions-core's public API and is discovered through the
``actions_core`` entry point ``openai``, like any third-party plugin. See docs/openai.md.

Importing this package and registering the type must stay cheap: every process that discovers
plugins pays for it, including CLI calls that never run a ``.gen-ai`` connector. The connector
itself (:mod:`.connector`) pulls in requests, urllib3 and the tokenizer, and the validators the
core's TLS and request-error helpers, so the registered :class:`~actions_core.ActionType` is
built from the light modules (constants, schemas, the renderer) and its executor and
validators import the heavy modules on first call. Both it and ``gen_ai_type()`` (in
:mod:`.connector`) are built by :func:`action_type`, and both take their sub-actions from
``schemas.SUB_ACTION_PARAMS``; a test checks that they match field for field.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import actions_core

from .constants import (
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_MS,
    DESCRIPTION,
    MINIMUM_LICENSE,
    SUPPORTED_FEATURE_IDS,
    TYPE_ID,
    TYPE_NAME,
)
from .render import render_parameter_templates
from .schemas import CONFIG_SCHEMA, SECRETS_SCHEMA, SUB_ACTION_PARAMS

if TYPE_CHECKING:
    from .aio import aiter_stream
    from .connector import OpenAIConnector, gen_ai_type

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT_MS",
    "TYPE_ID",
    "OpenAIConnector",
    "aiter_stream",
    "gen_ai_type",
    "register_action_types",
]

#: Names imported on first access (PEP 562), with the submodule that defines them.
_LAZY_EXPORTS = {
    "OpenAIConnector": ".connector",
    "gen_ai_type": ".connector",
    "aiter_stream": ".aio",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


@functools.cache
def _connector_type() -> actions_core.ActionType:
    """The type as :mod:`.connector` defines it; built once, on the first execution."""
    from .connector import gen_ai_type

    return gen_ai_type()


def _execute(ctx: actions_core.ExecutionContext) -> Any:
    """Run ``ctx``'s sub-action with the executor of :func:`gen_ai_type`."""
    return _connector_type().executor(ctx)


def _execute_on_loop(ctx: actions_core.ExecutionContext) -> Any:
    """The loop twin of :func:`_execute` (the HTTP service awaits what it returns)."""
    on_loop = _connector_type().async_executor
    return on_loop(ctx) if on_loop is not None else None


def _stand_in_connector() -> type[actions_core.SubActionConnector]:
    """A connector class with :class:`OpenAIConnector`'s sub-actions and schemas, no behaviour.

    Handing it to ``sub_action_type`` gives the registered type the same params schema, the
    same sub-action table and the same schema checks (and messages) as :func:`gen_ai_type`,
    through the public API only; its executor is then replaced by the real one.
    """

    namespace: dict[str, Any] = {}
    for index, (name, schema) in enumerate(SUB_ACTION_PARAMS.items()):

        def never(self: Any, params: dict[str, Any]) -> Any:
            raise NotImplementedError("registration stand-in; executions use OpenAIConnector")

        namespace[f"sub_action_{index}"] = actions_core.sub_action(name, params_schema=schema)(
            never
        )
    return type("GenAiSubActions", (actions_core.SubActionConnector,), namespace)


def action_type(
    connector: type[actions_core.SubActionConnector],
    validate_config: Callable[..., Any],
    validate_secrets: Callable[..., Any],
) -> actions_core.ActionType:
    """The ``.gen-ai`` type around ``connector``'s sub-actions and the two validators."""
    return actions_core.sub_action_type(
        id=TYPE_ID,
        name=TYPE_NAME,
        connector=connector,
        description=DESCRIPTION,
        config_schema=CONFIG_SCHEMA,
        secrets_schema=SECRETS_SCHEMA,
        validate_config=validate_config,
        validate_secrets=validate_secrets,
        render_parameter_templates=render_parameter_templates,
        supported_feature_ids=SUPPORTED_FEATURE_IDS,
        minimum_license_required=MINIMUM_LICENSE,
    )


def lazy_gen_ai_type() -> actions_core.ActionType:
    """The ``.gen-ai`` type as registered: :func:`gen_ai_type` without importing the connector."""
    stand_in = action_type(
        _stand_in_connector(),
        actions_core.imported_on_first_call(f"{__name__}.validators:validate_config"),
        actions_core.imported_on_first_call(f"{__name__}.validators:validate_secrets"),
    )
    return dataclasses.replace(stand_in, executor=_execute, async_executor=_execute_on_loop)


@actions_core.hookimpl
def register_action_types(register):
    register(lazy_gen_ai_type())
