"""The one factory for outbound HTTP: every connector's requests go through it.

Sessions are pooled per network policy and shared by threads (requests' connection pools are
thread-safe for sending); the policy is applied before every request and on every redirect hop,
so a plugin cannot reach a host the operator did not allow.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from .network import NetworkPolicy

__all__ = ["HttpClient", "PolicySession"]


class PolicySession(requests.Session):
    """A ``requests.Session`` that enforces a :class:`NetworkPolicy`."""

    def __init__(self, policy: NetworkPolicy) -> None:
        super().__init__()
        self.policy = policy
        self.trust_env = False  # proxies come from the policy, not from the environment
        if policy.verification_mode == "none":
            self.verify = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        self.policy.ensure_uri_allowed(url)
        kwargs.setdefault("timeout", self.policy.response_timeout)
        return super().request(method, url, *args, **kwargs)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is not None:
            absolute = requests.compat.urljoin(resp.url, target)
            self.policy.ensure_uri_allowed(absolute)
        return target


class HttpClient:
    """Hands out policy-aware sessions; one pooled session per distinct policy."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self._sessions: dict[NetworkPolicy, PolicySession] = {}
        self._lock = threading.Lock()

    def session(self, policy: NetworkPolicy | None = None) -> PolicySession:
        policy = policy or self.policy
        session = self._sessions.get(policy)
        if session is None:
            with self._lock:
                session = self._sessions.setdefault(policy, PolicySession(policy))
        return session

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        return self.session().request(method, url, **kwargs)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()
