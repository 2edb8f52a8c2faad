"""Error texts and retry flags of failed upstream calls (spec §4, §10).

HTTP failures read ``Status code: <status>. Message: <text>`` where the text is Kibana's
``getResponseErrorMessage``; network failures carry the code Node would report (``ECONNREFUSED``,
``ECONNABORTED`` for timeouts, OpenSSL's names for certificate errors) so messages and the PKI
error remapping match Kibana's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import actions_core
from actions_core import js_to_string, js_truthy

__all__ = [
    "AZURE_FUNCTIONS_HINT",
    "error_detail",
    "response_error_message",
    "status_error_source",
    "status_retry",
]

FUNCTIONS_UNSUPPORTED = "404 Unrecognized request argument supplied: functions"
AZURE_FUNCTIONS_HINT = (
    "\n        \n\nFunction support with Azure OpenAI API was added in 2023-07-01-preview. "
    "Update the API version of the Azure OpenAI connector in use\n      "
)


def error_detail(data: Any) -> str | None:
    """``data.error.message ?? data.error`` as text, or ``None`` when it is falsy."""
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    detail = error.get("message") if isinstance(error, dict) else None
    if detail is None:
        detail = error
    return js_to_string(detail) if js_truthy(detail) else None


def response_error_message(status: int, status_text: str, data: Any) -> str:
    """Kibana's ``getResponseErrorMessage`` for an HTTP error response."""
    detail = error_detail(data)
    if status == 404 and detail == FUNCTIONS_UNSUPPORTED.removeprefix("404 "):
        return f"API Error: {FUNCTIONS_UNSUPPORTED}{AZURE_FUNCTIONS_HINT}"
    suffix = f" - {detail}" if detail else ""
    if status == 401:
        return f"Unauthorized API Error{suffix}"
    return f"API Error: {status_text}{suffix}"


def status_retry(status: int, headers: Mapping[str, str]) -> bool | datetime:
    """429 and 5xx are worth retrying (at ``Retry-After`` when given); other 4xx are not."""
    if status == 429 or status >= 500:
        return actions_core.retry_after(headers) or True
    return False


def status_error_source(status: int) -> Literal["user", "framework"]:
    """Whose fault: 4xx (429 included, as in Kibana) are the user's, 5xx the service's."""
    return "user" if 400 <= status < 500 else "framework"
