"""Mustache rendering of action params, as Kibana's ``renderActionParameterTemplates``.

A type may render its own params (e.g. a webhook body with JSON escaping); otherwise every string
inside the params is rendered without escaping. Rendering never raises: a broken template renders
as ``error rendering mustache template "<template>": <reason>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actions_core._js import mustache

if TYPE_CHECKING:
    from actions_core._plugins.registry import ActionTypeRegistry

__all__ = ["ESCAPE_MODES", "render_parameter_templates", "render_template"]

ESCAPE_MODES = tuple(mustache.ESCAPES)


def render_template(template: str, variables: Mapping[str, Any], escape: str = "none") -> str:
    """Render one template string with an escape mode (none, json, markdown, slack, html)."""
    return mustache.render(template, variables, escape)


def render_parameter_templates(
    registry: ActionTypeRegistry,
    type_id: str,
    params: Mapping[str, Any],
    variables: Mapping[str, Any],
    connector_id: str | None = None,
) -> dict[str, Any]:
    """Render ``params`` for the type ``type_id``; the input is never modified."""
    action_type = registry.get(type_id)
    if action_type.render_parameter_templates is not None:
        return action_type.render_parameter_templates(dict(params), variables, connector_id)
    rendered: dict[str, Any] = mustache.render_deep(dict(params), variables, "none")
    return rendered
