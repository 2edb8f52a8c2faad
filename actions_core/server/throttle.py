"""Slowing down repeated failed sign-ins, so guessing passwords through the login form is slow.

Failures are counted per client address and user name within a window; from the fourth one on,
each further failed attempt waits twice as long as the one before (0.5 s, 1 s, 2 s ... at most
``max_delay``). A success clears the count. Kept in memory: a restart forgets it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["LoginThrottle"]


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        window: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _key(self, client: str | None, name: str) -> tuple[str, str]:
        return (client or "?", name.strip().lower()[:200])

    def failed(self, client: str | None, name: str) -> float:
        """Record a failed attempt; the seconds to wait before answering it."""
        now = self._clock()
        key = self._key(client, name)
        with self._lock:
            if len(self._failures) > 10_000:  # bounded memory under a flood of names
                self._failures = {
                    k: v for k, v in self._failures.items() if now - v[1] < self.window
                }
            count, last = self._failures.get(key, (0, now))
            count = 1 if now - last >= self.window else count + 1
            self._failures[key] = (count, now)
        extra = count - self.free_failures
        if extra <= 0:
            return 0.0
        return min(self.max_delay, self.base_delay * 2 ** (extra - 1))

    def succeeded(self, client: str | None, name: str) -> None:
        with self._lock:
            self._failures.pop(self._key(client, name), None)
