"""One POST to the provider through the core's policy-aware HTTP client (spec §4, §7).

Headers per provider, URL normalisation, the empty-body rule, timeouts, request-size accounting,
and every failure turned into Kibana's message with a retry flag and an error source.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

import actions_core
from actions_core import JsonParseError, json_parse

from .constants import AZURE, OPENAI, OTHER
from .errors import response_error_message, status_error_source, status_retry
from .pki import remap_tls_error
from .urls import normalize_url

__all__ = ["Upstream", "merge_headers"]

_log = logging.getLogger("actions_core.types.gen-ai")
#: Error bodies are read (to quote the provider's message) up to this size.
MAX_ERROR_BODY = 64 * 1024


def merge_headers(*layers: Mapping[str, str]) -> dict[str, str]:
    """Merge header maps case-insensitively: a later value wins, the first spelling stays."""
    merged: dict[str, str] = {}
    spelling: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            key = spelling.setdefault(name.lower(), name)
            merged[key] = value
    return merged


def connector_headers(config: Mapping[str, Any]) -> dict[str, str]:
    """Custom headers, then ``OpenAI-Organization``/``OpenAI-Project`` when configured."""
    headers = dict(config.get("headers") or {})
    extra = {}
    if config.get("organizationId"):
        extra["OpenAI-Organization"] = config["organizationId"]
    if config.get("projectId"):
        extra["OpenAI-Project"] = config["projectId"]
    return merge_headers(headers, extra)


def auth_headers(provider: str, api_key: str) -> dict[str, str]:
    """``getAxiosOptions``: the provider's auth header and the content type."""
    if provider == AZURE:
        return {"api-key": api_key, "content-type": "application/json"}
    if provider in (OPENAI, OTHER):
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return {**auth, "content-type": "application/json"}
    return {}


def _without_userinfo(url: str) -> str:
    """``url`` for a log line: credentials in it (``https://user:pw@host``) are left out."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _standard_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class Upstream:
    """Sends the connector's requests; holds its headers and TLS options (never logged)."""

    def __init__(
        self,
        ctx: actions_core.ExecutionContext,
        provider: str,
        api_key: str,
        config: Mapping[str, Any],
        tls: Any = None,
    ) -> None:
        self._ctx = ctx
        self._tls = tls
        self.headers = merge_headers(
            {"Content-Type": "application/json"},
            connector_headers(config),
            auth_headers(provider, api_key),
        )

    def __repr__(self) -> str:
        return "Upstream(headers=<hidden>)"

    def post(
        self,
        url: str,
        body: str,
        *,
        timeout: float | None,
        stream: bool,
        max_content_length: int | None = None,
    ) -> requests.Response:
        """POST ``body`` to ``url``; a non-2xx answer or a network failure raises
        :class:`actions_core.ExecutionError` with Kibana's message."""
        url, kwargs = self._prepare(url, body, timeout, max_content_length)
        _log.debug(
            "POST %s (%d bytes, stream=%s)", _without_userinfo(url), len(kwargs["data"]), stream
        )
        try:
            response = self._ctx.http.request("POST", url, stream=stream, **kwargs)
        except actions_core.ActionsError as err:
            raise _request_failure(err) from None
        if not 200 <= response.status_code < 300:
            raise self._status_error(response, stream)
        return response

    async def apost(
        self,
        url: str,
        body: str,
        *,
        timeout: float | None,
        max_content_length: int | None = None,
        stream: bool = True,
    ) -> Any:
        """:meth:`post` on ``ctx.ahttp`` (asyncio): the same request, the same errors. Returns
        the ``httpx.Response``: unread with ``stream`` (the caller closes it), else read."""
        url, kwargs = self._prepare(url, body, timeout, max_content_length)
        kwargs["content"] = kwargs.pop("data")
        _log.debug(
            "POST %s (%d bytes, stream=%s, async)",
            _without_userinfo(url),
            len(kwargs["content"]),
            stream,
        )
        try:
            response = await self._ctx.ahttp.request("POST", url, stream=stream, **kwargs)
        except actions_core.ActionsError as err:
            raise _request_failure(err) from None
        if not 200 <= response.status_code < 300:
            try:
                content = (
                    await _read_at_most(response, MAX_ERROR_BODY) if stream else response.content
                )
            except Exception:  # an unreadable error body still leaves the status to report
                content = b""
            finally:
                await response.aclose()
            raise _status_error(
                response.status_code, response.reason_phrase, response.headers, content
            )
        return response

    def _prepare(
        self, url: str, body: str, timeout: float | None, max_content_length: int | None
    ) -> tuple[str, dict[str, Any]]:
        url = normalize_url(url)
        payload = (body if body != "" else "{}").encode("utf-8")
        self._ctx.add_request_body_bytes(len(payload))
        kwargs: dict[str, Any] = {"headers": self.headers, "data": payload, "timeout": timeout}
        if self._tls is not None:
            kwargs["tls"] = self._tls
        if max_content_length is not None:
            kwargs["max_content_length"] = max_content_length
        return url, kwargs

    def _status_error(
        self, response: requests.Response, stream: bool
    ) -> actions_core.ExecutionError:
        try:
            raw = response.raw.read(MAX_ERROR_BODY, decode_content=True) if stream else None
            content = raw if raw is not None else response.content
        except Exception:  # an unreadable error body still leaves the status to report
            content = b""
        finally:
            response.close()
        return _status_error(response.status_code, response.reason, response.headers, content)


async def _read_at_most(response: Any, limit: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= limit:
            break
    return bytes(body[:limit])


def _request_failure(err: actions_core.ActionsError) -> actions_core.ExecutionError:
    """A request that got no response, in Kibana's words (both transports)."""
    if isinstance(err, actions_core.HostNotAllowedError):  # allowedHosts or the SSRF guard
        return actions_core.ExecutionError(
            f"error configuring connector action: {err.message}",
            retry=False,
            error_source="user",
        )
    if isinstance(err, actions_core.RequestError):  # no response: Node's code, retry or not
        text = f"Status code: undefined. Message: Unexpected API Error: {err.code} - {err.message}"
        if isinstance(err, actions_core.RequestTlsError):
            text = remap_tls_error(text) or text
        return actions_core.ExecutionError(text, retry=err.retry, error_source=err.error_source)
    # e.g. TLS material that does not load
    return actions_core.ExecutionError(
        f"error configuring connector action: {err.message}",
        retry=False,
        error_source="user",
    )


def _status_error(
    status: int, reason: str | None, headers: Mapping[str, str], content: bytes
) -> actions_core.ExecutionError:
    try:
        data: Any = json_parse(content.decode("utf-8", errors="replace"))
    except JsonParseError:
        data = None  # not JSON: Kibana ignores it
    reason = reason or _standard_phrase(status)  # HTTP/2 has no reason phrase
    message = response_error_message(status, reason, data)
    return actions_core.ExecutionError(
        f"Status code: {status}. Message: {message}",
        retry=status_retry(status, headers),
        error_source=status_error_source(status),
    )
