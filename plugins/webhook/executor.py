"""``.webhook``: send the rendered body to the configured URL, Kibana's results and errors.

* 2xx → ``ok``; ``data`` is the response body as text (Kibana returns no response data: an
  extension, so a rule or script can use what the service answered).
* 5xx → ``error calling webhook, retry later`` (``retry: true``); 429 → the same, or ``error
  calling webhook, retry at <date>`` when ``Retry-After`` says when; other statuses →
  ``error calling webhook, invalid response`` (``retry: false``). The service message is
  ``[<status>] <reason>[: <body.message>]``.
* No response → ``error calling webhook, request failed`` with ``[<code>] <message>`` as Node
  would report it (``ECONNREFUSED``, ``ECONNABORTED`` for timeouts ...). Timeouts and broken
  connections are worth a retry; policy refusals, TLS failures and oversized responses are not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests

import actions_core

from .auth import AuthError, basic_auth, tls_options

REQUEST_FAILED = "error calling webhook, request failed"
INVALID_RESPONSE = "error calling webhook, invalid response"
RETRY_LATER = "error calling webhook, retry later"
UNEXPECTED = "error calling webhook, unexpected error"
_WITHOUT_BODY = ("get", "delete")


def run(ctx: actions_core.ExecutionContext) -> actions_core.ActionResult | str:
    config, secrets = ctx.config, ctx.secrets
    method = config.get("method", "post")
    url = config["url"]
    headers = dict(config.get("headers") or {})
    body = ctx.params.get("body") if method not in _WITHOUT_BODY else None
    data = None
    if body is not None:
        data = body.encode("utf-8")
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json; charset=utf-8"
        ctx.add_request_body_bytes(len(data))
    try:
        auth = basic_auth(config, secrets)
        tls = tls_options(config, secrets)
    except AuthError as err:
        return _error(ctx, REQUEST_FAILED, str(err), retry=False)

    try:
        response = ctx.http.request(
            method.upper(), url, headers=headers, data=data, auth=auth, tls=tls
        )
    except actions_core.RequestError as err:  # no response: Node's code, retry or not
        return _error(ctx, REQUEST_FAILED, err.service_message, retry=err.retry)
    except actions_core.ValidationError as err:  # e.g. a CA that does not load
        return _error(ctx, REQUEST_FAILED, err.message, retry=False)
    except Exception:
        ctx.logger.exception("error on %s webhook action: unexpected error", ctx.connector_id)
        return actions_core.ActionResult(
            status="error", connector_id=ctx.connector_id, message=UNEXPECTED
        )

    status = response.status_code
    if 200 <= status < 300:
        ctx.logger.debug(
            'response from webhook action "%s": [HTTP %s] %s',
            ctx.connector_id,
            status,
            response.reason,
        )
        return response.text
    message = f"[{status}] {response.reason or ''}{_message_suffix(response)}"
    ctx.logger.error("error on %s webhook event: %s", ctx.connector_id, message)
    if status >= 500:
        return _error(ctx, RETRY_LATER, message, retry=True, log=False)
    if status == 429:
        when = actions_core.retry_after(response.headers)
        if when is not None:
            stamp = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return _error(ctx, f"error calling webhook, retry at {stamp}", message, when, False)
        return _error(ctx, RETRY_LATER, message, retry=True, log=False)
    return _error(ctx, INVALID_RESPONSE, message, retry=False, log=False)


def render(params: dict, variables: Mapping[str, Any], connector_id: str | None) -> dict:
    """Kibana renders only the body, with JSON escaping (``{{{x}}}`` bypasses it)."""
    if not params.get("body"):
        return params
    return {**params, "body": actions_core.render_template(params["body"], variables, "json")}


def _error(
    ctx: actions_core.ExecutionContext,
    message: str,
    service_message: str,
    retry: bool | datetime,
    log: bool = True,
) -> actions_core.ActionResult:
    if log:
        ctx.logger.error("error on %s webhook event: %s", ctx.connector_id, service_message)
    return actions_core.ActionResult(
        status="error",
        connector_id=ctx.connector_id,
        message=message,
        service_message=service_message,
        retry=retry,
    )


def _message_suffix(response: requests.Response) -> str:
    """``: <message>`` from a JSON error body's ``message`` field, as Kibana adds it."""
    try:
        payload = json.loads(response.content or b"null")
    except ValueError:
        return ""
    message = payload.get("message") if isinstance(payload, dict) else None
    if message is None or message == "":
        return ""
    return f": {message if isinstance(message, str) else json.dumps(message)}"
