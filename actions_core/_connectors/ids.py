"""Kibana's rules for connector ids, space ids and connector names.

Shared by the connectors service and the HTTP service (which checks the space of a route before
it reaches the service), so both refuse the same values with the same words.
"""

from __future__ import annotations

import re
from typing import Any

from actions_core._js.json_values import check_json_value
from actions_core._js.values import expected_type_message
from actions_core.errors import ValidationError

__all__ = ["DEFAULT_SPACE", "check_connector_id", "check_name", "check_space_id"]

DEFAULT_SPACE = "default"
_ID = re.compile(r"^[a-z0-9-]+$")
_SPACE = re.compile(r"^[a-z0-9_-]{1,100}$")


def check_connector_id(connector_id: Any) -> None:
    """A user-chosen id: 1-36 lowercase letters, digits and hyphens."""
    if not isinstance(connector_id, str) or connector_id == "":
        raise ValidationError("Connector ID is required.", [("id", "is required")])
    if len(connector_id) > 36:
        raise ValidationError(
            "Connector ID must be 36 characters or less.", [("id", "longer than 36 characters")]
        )
    if not _ID.match(connector_id):
        raise ValidationError(
            "Connector ID must contain only lowercase letters, numbers, and hyphens.",
            [("id", "invalid characters")],
        )


def check_space_id(space_id: Any) -> None:
    if not isinstance(space_id, str) or not _SPACE.match(space_id):
        raise ValidationError(
            f"Space ID {space_id!r} is invalid: use 1-100 lowercase letters, digits, '_' or '-'.",
            [("space_id", "invalid")],
        )


def check_name(name: Any) -> str:
    """A display name: a string that is not empty or only whitespace (Kibana's wording)."""
    if not isinstance(name, str):
        raise ValidationError(
            f"[name]: {expected_type_message('string', name)}",
            [("name", "expected a string")],
        )
    not_json = check_json_value(name, "name")
    if not_json:
        raise ValidationError(f"[name]: {not_json[0][1]}", not_json)
    if not name.strip():
        raise ValidationError(
            f"[name]: value has length [{len(name)}] but it must not be empty or only whitespace.",
            [("name", "empty")],
        )
    return name
