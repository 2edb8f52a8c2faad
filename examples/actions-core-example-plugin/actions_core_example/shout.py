"""``example.shout``: a sub-action connector; each sub-action has its own params schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import actions_core

TEXT_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
    "additionalProperties": False,
}


class ShoutConnector(actions_core.SubActionConnector):
    """The service behind the type, created once per execution.

    ``self.ctx`` is the :class:`actions_core.ExecutionContext`; ``self.config``, ``self.secrets``
    and ``self.logger`` are shortcuts to its fields.
    """

    @actions_core.sub_action(params_schema=TEXT_SCHEMA)
    def upper(self, params: dict[str, Any]) -> dict[str, str]:
        return {"text": params["text"].upper()}

    @actions_core.sub_action(params_schema=TEXT_SCHEMA)
    def stream(self, params: dict[str, Any]) -> Iterator[str]:
        """Streams the text word by word: returning an iterator makes the execution a stream."""
        return (word for word in params["text"].split())


def shout_type() -> actions_core.ActionType:
    return actions_core.sub_action_type(
        id="example.shout",
        name="Example shout",
        connector=ShoutConnector,
        description="Upper-cases text or streams it word by word (an example sub-action type).",
        config_schema={"type": "object", "additionalProperties": False},
        secrets_schema={"type": "object", "additionalProperties": False},
        supported_feature_ids=("workflows",),
    )
