"""Mustache rendering of action params for alerting (spec §9.8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import actions_core

__all__ = ["render_parameter_templates"]

_RENDERED_SUB_ACTIONS = ("run", "test")


def render_parameter_templates(
    params: dict[str, Any], variables: Mapping[str, Any], connector_id: str | None
) -> dict[str, Any]:
    """Only ``subActionParams.body`` of ``run`` and ``test`` is a template, JSON-escaped."""
    sub_params = params.get("subActionParams")
    if params.get("subAction") not in _RENDERED_SUB_ACTIONS or not isinstance(sub_params, dict):
        return params
    body = sub_params.get("body")
    if not isinstance(body, str):
        return params
    rendered = actions_core.render_template(body, variables, "json")
    return {**params, "subActionParams": {**sub_params, "body": rendered}}
