"""Resolved connectors (values plus decrypted secrets) and the short-lived cache that keeps them.

A row read and an AES-GCM decryption per execution were the largest framework cost of a run, so
``ConnectorsClient.resolve`` keeps what it resolved for ``ttl`` seconds. The cache lives in one
object only: it is never serialised or logged (``ResolvedConnector`` has no repr of its values).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actions_core.connectors import Connector

__all__ = ["RESOLVE_CACHE_TTL", "ResolveCache", "ResolvedConnector"]

#: Seconds a resolved stored connector is reused by ``resolve``.
RESOLVE_CACHE_TTL = 1.0


@dataclass(frozen=True, repr=False)
class ResolvedConnector:
    """A connector with its raw config and decrypted secrets, for the executor only."""

    connector: Connector
    config: dict[str, Any]
    secrets: dict[str, Any] | None
    secrets_problem: str | None
    #: Validated ``(config, secrets)`` per type id, filled by the executor: a cached connector
    #: is validated once, not on every execution (the values and the policy are fixed).
    validated: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(
        default_factory=dict, compare=False
    )
    #: The stored row's version (``None`` for a preconfigured connector): with other
    #: processes writing the same store, the cached copy is used only while it matches.
    version: int | None = None


class ResolveCache:
    """Resolved stored connectors by (space, id), each for ``ttl`` seconds (0 turns it off)."""

    def __init__(self, ttl: float = RESOLVE_CACHE_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, ResolvedConnector]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, space_id: str, id: str) -> ResolvedConnector | None:
        cached = self._entries.get((space_id, id))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        return None

    def put(self, space_id: str, id: str, resolved: ResolvedConnector) -> None:
        if self.ttl > 0:
            self._entries[(space_id, id)] = (time.monotonic() + self.ttl, resolved)

    def drop(self, space_id: str | None = None, id: str | None = None) -> None:
        """Forget one connector, or (no arguments) every one."""
        if id is None:
            self._entries.clear()
        else:
            self._entries.pop((space_id or "default", id), None)
