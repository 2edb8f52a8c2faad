"""What validators and executors are handed: the connector's values and the framework's services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: importing these pulls in requests, urllib3 and ssl
    from actions_core._net.aclient import AsyncHttpClient
    from actions_core._net.client import HttpClient
    from actions_core._net.policy import NetworkPolicy

__all__ = ["ExecutionContext", "TokenUsage", "ValidationContext"]


@dataclass(frozen=True)
class ValidationContext:
    """Passed to custom validators so they can check URLs against the network policy."""

    action_type_id: str
    network: NetworkPolicy
    connector_id: str | None = None


@dataclass
class TokenUsage:
    """Gen-AI token counts of one execution; ``estimated`` when counted locally, not reported."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    estimated: bool = False
    model: str | None = None


@dataclass(repr=False)
class ExecutionContext:
    """Everything an executor needs for one run. ``secrets`` never shows in its repr."""

    connector_id: str
    connector_name: str
    action_type_id: str
    config: dict[str, Any]
    secrets: dict[str, Any]
    params: dict[str, Any]
    http: HttpClient
    logger: logging.Logger
    execution_id: str
    space_id: str = "default"
    source: str = "python"
    is_preconfigured: bool = False
    usage: TokenUsage | None = field(default=None)
    request_body_bytes: int = 0
    #: The connector's token-usage dashboard page, when the HTTP service's address is known.
    dashboard_url: str | None = None
    #: Queued executions: 1 on the first run, then 2, 3... on retries and after a lost worker;
    #: with ``execution_id`` it lets an executor be idempotent (at-least-once delivery).
    attempt: int = 1
    #: True when the caller iterates an async iterator the executor returns on its own event
    #: loop (the HTTP service does): such a stream may use :attr:`ahttp` and costs an ``await``
    #: per chunk. False (Python, the CLI): an async iterator is run on a private loop in a
    #: helper thread, so a blocking ``http`` stream is the cheaper choice there.
    async_streams: bool = False
    _ahttp: Callable[[], AsyncHttpClient] | None = field(default=None, repr=False)

    @property
    def ahttp(self) -> AsyncHttpClient:
        """``http``'s asyncio twin (httpx): the same network policy, limits and errors, for
        ``async def`` executors and async generators (see docs/plugins.md)."""
        if self._ahttp is None:
            raise RuntimeError("this execution context has no asyncio HTTP client")
        return self._ahttp()

    def report_usage(
        self,
        *,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        total_tokens: int | None = None,
        estimated: bool = False,
        model: str | None = None,
    ) -> None:
        """Record gen-AI token usage; it lands in the execution's event record."""
        if total_tokens is None:
            total_tokens = prompt_tokens + completion_tokens
        self.usage = TokenUsage(
            int(prompt_tokens), int(completion_tokens), int(total_tokens), estimated, model
        )

    def add_request_body_bytes(self, count: int) -> None:
        self.request_body_bytes += int(count)

    def __repr__(self) -> str:
        return (
            f"ExecutionContext(connector_id={self.connector_id!r}, "
            f"action_type_id={self.action_type_id!r}, execution_id={self.execution_id!r}, "
            f"space_id={self.space_id!r}, secrets=<hidden>)"
        )
