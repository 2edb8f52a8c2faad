"""The shape a non-streamed chat completion must have (Kibana's ``RunActionResponseSchema``).

Unknown fields are allowed and the raw response is returned, not a validated copy. Problems read
like Kibana's config-schema errors: ``[choices.0.message.role]: expected value of type [string]
but got [undefined]``.
"""

from __future__ import annotations

from typing import Any

from actions_core import expected_type_message, js_type_name

__all__ = ["check_run_response"]


def _is(value: Any, expected: str) -> bool:
    """Whether ``value`` has the config-schema type ``expected`` (``object``, ``array``...)."""
    return js_type_name(value).lower() == expected


def _field(
    obj: dict[str, Any], path: str, key: str, expected: str, *, required: bool
) -> str | None:
    where = f"{path}{key}"
    if key not in obj or (obj[key] is None and not required):
        return f"[{where}]: {expected_type_message(expected)}" if required else None
    if not _is(obj[key], expected):
        return f"[{where}]: {expected_type_message(expected, obj[key])}"
    return None


def check_run_response(data: Any, *, usage_required: bool = False) -> str | None:
    """The first problem with ``data`` as a chat completion, or ``None`` when it is valid.

    ``usage`` may be absent (its tokens are then estimated) unless ``usage_required``; when it
    is present it must hold the three counts. Optional fields may be ``null``.
    """
    if not isinstance(data, dict):
        return expected_type_message("object", data)
    for key, expected in (("id", "string"), ("object", "string"), ("created", "number")):
        problem = _field(data, "", key, expected, required=False)
        if problem:
            return problem
    problem = _field(data, "", "model", "string", required=False)
    if problem:
        return problem
    if usage_required or data.get("usage") is not None:
        problem = _field(data, "", "usage", "object", required=True)
        if problem:
            return problem
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            problem = _field(data["usage"], "usage.", key, "number", required=True)
            if problem:
                return problem
    problem = _field(data, "", "choices", "array", required=True)
    if problem:
        return problem
    for index, choice in enumerate(data["choices"]):
        path = f"choices.{index}"
        if not isinstance(choice, dict):
            return f"[{path}]: {expected_type_message('object', choice)}"
        problem = _field(choice, f"{path}.", "message", "object", required=True)
        if problem:
            return problem
        message = choice["message"]
        problem = _field(message, f"{path}.message.", "role", "string", required=True)
        problem = problem or _field(
            message, f"{path}.message.", "content", "string", required=False
        )
        problem = problem or _field(choice, f"{path}.", "finish_reason", "string", required=False)
        problem = problem or _field(choice, f"{path}.", "index", "number", required=False)
        if problem:
            return problem
    return None
