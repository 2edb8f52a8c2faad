"""``example.greeting``: a plain action type with schemas, a custom validator and templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import actions_core

MAX_GREETING_LENGTH = 40

# Schemas are JSON Schema (Draft 2020-12) data; types() and the HTTP API expose them as they are.
CONFIG_SCHEMA = {
    "type": "object",
    "properties": {"greeting": {"type": "string", "default": "Hello"}},
    "additionalProperties": False,
}
SECRETS_SCHEMA = {
    "type": "object",
    "properties": {"token": {"type": "string"}},
    "additionalProperties": False,
}
PARAMS_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 1}},
    "required": ["name"],
    "additionalProperties": False,
}


def validate_config(
    config: dict[str, Any], ctx: actions_core.ValidationContext
) -> dict[str, Any] | None:
    """Runs after the schema passed (defaults filled in); raising rejects the config.

    Any exception rejects it with its text as the message; ``actions_core.ValidationError``
    also carries ``(field, problem)`` pairs, so a form can point at the field.
    """
    greeting = config["greeting"]
    if len(greeting) > MAX_GREETING_LENGTH:
        problem = f"must be at most {MAX_GREETING_LENGTH} characters, got {len(greeting)}"
        raise actions_core.ValidationError(
            f"[greeting]: {problem}; use a shorter greeting.", [("greeting", problem)]
        )
    return None  # keep the value as it is (return a dict to replace it)


def render_templates(
    params: dict[str, Any], variables: Mapping[str, Any], connector_id: str | None
) -> dict[str, Any]:
    """Only ``name`` is a mustache template (rendered without escaping)."""
    rendered = dict(params)
    if isinstance(params.get("name"), str):
        rendered["name"] = actions_core.render_template(params["name"], variables)
    return rendered


def greet(ctx: actions_core.ExecutionContext) -> dict[str, str]:
    """The executor: ``ctx.config``, ``ctx.params`` are validated, defaults applied."""
    greeting = ctx.config["greeting"]
    name = ctx.params["name"]
    # ctx.secrets.get("token") would authenticate a real call (through ctx.http); it is never
    # logged nor returned.
    ctx.logger.debug("greeting %s (authenticated: %s)", name, "token" in ctx.secrets)
    return {"message": f"{greeting}, {name}!"}


def greeting_type() -> actions_core.ActionType:
    return actions_core.ActionType(
        id="example.greeting",
        name="Example greeting",
        description="Greets someone by name (an example third-party plugin).",
        config_schema=CONFIG_SCHEMA,
        secrets_schema=SECRETS_SCHEMA,
        params_schema=PARAMS_SCHEMA,
        validate_config=validate_config,
        render_parameter_templates=render_templates,
        executor=greet,
        supported_feature_ids=("alerting", "workflows"),
    )
