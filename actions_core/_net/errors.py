"""The errors of the outbound network policy (all raised to the plugin making the request)."""

from __future__ import annotations

from actions_core.errors import ActionsError, ForbiddenError

__all__ = ["AddressNotAllowedError", "HostNotAllowedError", "ResponseTooLargeError"]


class HostNotAllowedError(ForbiddenError):
    """The target host is not in ``allowedHosts`` (also raised for a redirect hop)."""


class AddressNotAllowedError(HostNotAllowedError):
    """The SSRF guard: the target is (or resolves to) a non-public address and its host is not
    listed by name in ``allowedHosts``."""


class ResponseTooLargeError(ActionsError):
    """A response body was larger than ``maxResponseContentLength`` (or the caller's limit)."""

    status_code = 502
    error = "Bad Gateway"

    def __init__(self, message: str, *, limit: int, origin: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.origin = origin
