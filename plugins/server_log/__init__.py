"""``.server-log``: writes a message to the server's log. The smallest real action type."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import actions_core

LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
}

PARAMS_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {
            "type": "string",
            "minLength": 1,
            "title": "Message",
            "contentMediaType": "text/plain",
        },
        "level": {
            "enum": list(LEVELS),
            "oneOf": [{"const": level, "title": level.capitalize()} for level in LEVELS],
            "default": "info",
            "title": "Level",
        },
    },
    "required": ["message"],
    "additionalProperties": False,
}

logger = logging.getLogger("actions_core.server_log")


def run(ctx: actions_core.ExecutionContext) -> None:
    """Log the message at its level; Kibana's server-log returns no data."""
    logger.log(LEVELS[ctx.params["level"]], "Server log: %s", ctx.params["message"])


def render(
    params: dict[str, Any], variables: Mapping[str, Any], connector_id: str | None
) -> dict[str, Any]:
    """Only the message is a template (Kibana renders it without escaping)."""
    rendered = dict(params)
    if isinstance(params.get("message"), str):
        rendered["message"] = actions_core.render_template(params["message"], variables)
    return rendered


@actions_core.hookimpl
def register_action_types(register):
    register(
        actions_core.ActionType(
            id=".server-log",
            name="Server log",
            description="Writes a message to the actions-core server log.",
            params_schema=PARAMS_SCHEMA,
            config_schema={"type": "object", "additionalProperties": False},
            secrets_schema={"type": "object", "additionalProperties": False},
            executor=run,
            render_parameter_templates=render,
            supported_feature_ids=("alerting", "uptime"),
        )
    )
