"""Helpers for tests: small action types and a plugin object that registers them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import actions_core

KEY = "test-encryption-key-0123456789-abcdefghij"


class TypesPlugin:
    """A plugin object that registers the given action types (tests' stand-in for a package)."""

    def __init__(self, *types: actions_core.ActionType) -> None:
        self.types = types
        self.__name__ = "test-plugin"

    @actions_core.hookimpl
    def register_action_types(self, register: Callable[..., None]) -> None:
        for action_type in self.types:
            register(action_type)


def echo_type(type_id: str = ".echo", **fields: Any) -> actions_core.ActionType:
    """A type with a config, secrets and params schema that returns what it was given."""

    def run(ctx: actions_core.ExecutionContext) -> dict:
        return {"params": ctx.params, "config": ctx.config, "secret_keys": sorted(ctx.secrets)}

    defaults: dict[str, Any] = {
        "name": "Echo",
        "executor": run,
        "config_schema": {
            "type": "object",
            "properties": {
                "url": {"type": "string"},
                "model": {"type": "string", "default": "small"},
            },
            "required": ["url"],
            "additionalProperties": False,
        },
        "secrets_schema": {
            "type": "object",
            "properties": {"token": {"type": "string", "minLength": 1}},
            "required": ["token"],
            "additionalProperties": False,
        },
        "params_schema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
            "additionalProperties": False,
        },
    }
    defaults.update(fields)
    return actions_core.ActionType(id=type_id, **defaults)
