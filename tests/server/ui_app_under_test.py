"""The service the browser tests drive: the real ``serve()`` with the built-in plugins named by
``ACTIONS_PLUGINS``, the server tests' types, and a third-party type (``.ticket``) whose forms
come only from its annotated JSON Schemas: no UI code anywhere for it."""

from __future__ import annotations

import sys
from typing import Any

import actions_core
from actions_core import Actions
from actions_core.server.serve import serve
from tests.server.app_under_test import TYPES
from tests.support import TypesPlugin

TICKET_CONFIG = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "title": "Desk URL", "format": "uri"},
        "project": {
            "type": "string",
            "title": "Project",
            "oneOf": [
                {"const": "OPS", "title": "Operations"},
                {"const": "SEC", "title": "Security"},
            ],
        },
        "notify": {"type": "boolean", "title": "Notify the team", "default": True},
    },
    "required": ["url", "project"],
    "additionalProperties": False,
}
TICKET_SECRETS = {
    "type": "object",
    "properties": {"token": {"type": "string", "title": "Access token", "writeOnly": True}},
    "required": ["token"],
    "additionalProperties": False,
}
TICKET_PARAMS = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "title": "Summary", "minLength": 1},
        "priority": {"enum": ["low", "high"], "title": "Priority", "default": "low"},
    },
    "required": ["summary"],
    "additionalProperties": False,
}


def _ticket(ctx: actions_core.ExecutionContext) -> dict[str, Any]:
    return {
        "ticket": f"{ctx.config['project']}-1",
        "summary": ctx.params["summary"],
        "priority": ctx.params["priority"],
        "token_length": len(ctx.secrets["token"]),
    }


TICKET = actions_core.ActionType(
    id=".ticket",
    name="Ticket desk",
    description="Opens a ticket (a third-party type with no UI code).",
    config_schema=TICKET_CONFIG,
    secrets_schema=TICKET_SECRETS,
    params_schema=TICKET_PARAMS,
    executor=_ticket,
)


def main() -> None:
    config, data_dir = sys.argv[1], sys.argv[2]
    actions = Actions(data_dir=data_dir, config=config, plugins=[TypesPlugin(*TYPES, TICKET)])
    try:
        serve(actions, host="127.0.0.1", port=0, echo=lambda line: print(line, flush=True))
    finally:
        actions.close()


if __name__ == "__main__":
    main()
