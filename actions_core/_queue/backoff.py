"""Kibana's attempts and retry timing for queued executions.

Attempts: ``run.connectorTypeOverrides[type].maxAttempts`` > ``run.maxAttempts`` > the type's
``max_attempts`` > 3. After a failed attempt that may be retried, the next one runs at the
result's ``retry`` datetime if it gave one; otherwise ``retryDelay`` (Kibana: 30 s) after the
first attempt, then after a random delay up to ``min(maxRetryDelay, retryBackoff * 2^(n-2))``
(Kibana: 1 h, 5 m), as task manager's ``get_retry_at`` does.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actions_core._run.result import ActionResult
    from actions_core.settings import ActionsSettings

__all__ = ["DEFAULT_MAX_ATTEMPTS", "max_attempts", "retry_at_ms"]

DEFAULT_MAX_ATTEMPTS = 3


def max_attempts(options: ActionsSettings, type_id: str, type_max: int | None) -> int:
    for override in options.run.connectorTypeOverrides:
        if override.id == type_id:
            return override.maxAttempts
    if options.run.maxAttempts is not None:
        return options.run.maxAttempts
    if type_max is not None:
        return max(1, min(10, int(type_max)))
    return DEFAULT_MAX_ATTEMPTS


def retry_at_ms(
    result: ActionResult, attempt: int, allowed: int, options: ActionsSettings, now_ms: int
) -> int | None:
    """When attempt ``attempt + 1`` should run, or None when ``result`` is final."""
    if result.ok or attempt >= allowed:
        return None
    if isinstance(result.retry, datetime):
        return max(now_ms, int(result.retry.timestamp() * 1000))
    if result.retry is not True:
        return None
    queue = options.queue
    if attempt <= 1:
        delay = queue.retryDelay
    else:
        delay = random.uniform(0, min(queue.maxRetryDelay, queue.retryBackoff * 2 ** (attempt - 2)))
    return now_ms + int(delay * 1000)
