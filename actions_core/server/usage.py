"""Token usage of one connector: ``GET …/connector/{id}/_usage?from=&to=&interval=``.

The body is the core's (:mod:`actions_core.usage`), the same one ``actions usage --json``
prints; this module adds the route, the API keys' names and Kibana's 400 phrasing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from actions_core import usage as core
from actions_core.actions import Actions
from actions_core.errors import ValidationError
from actions_core.server.apikeys import ApiKeyStore
from actions_core.server.auth import Principal
from actions_core.server.deps import CALLER, SPACE, server_state
from actions_core.server.errors import HttpError
from actions_core.server.openapi import ref, responses
from actions_core.server.routing import add_route
from actions_core.usage import UsageQuery

__all__ = ["UsageQuery", "parse_usage_query", "router", "usage_report"]

router = APIRouter()


def parse_usage_query(
    start: str | None, end: str | None, interval: str | None, now: datetime | None = None
) -> UsageQuery:
    """The core's parser, its problems answered as 400 naming the query parameter."""
    try:
        return core.parse_usage_query(start, end, interval, now=now)
    except ValidationError as err:
        field, detail = err.problems[0] if err.problems else ("", err.message)
        where = f"request query.{field}" if field else "request query"
        raise HttpError(400, f"[{where}]: {detail}") from None


def usage_report(
    actions: Actions, keys: ApiKeyStore, connector_id: str, space: str, query: UsageQuery
) -> dict[str, Any]:
    """The ``_usage`` body of a connector of ``space`` (404 when there is none); blocking."""
    names = {key.id: key.name for key in keys.list()}
    return core.usage_body(
        actions, query, connector_id=connector_id, space_id=space, key_names=names
    )


async def connector_usage(
    request: Request,
    connector_id: str = Path(alias="connectorId", description="An identifier for the connector."),
    start: str | None = Query(None, alias="from", description="ISO 8601, epoch ms or now-7d."),
    end: str | None = Query(None, alias="to", description="ISO 8601, epoch ms or now."),
    interval: str | None = Query(None, description="minute, hour, day, week or e.g. 6h."),
    principal: Principal = CALLER,
    space: str = SPACE,
) -> dict[str, Any]:
    state = server_state(request)
    query = parse_usage_query(start, end, interval)
    return await run_in_threadpool(
        usage_report, state.actions, state.keys, connector_id, space, query
    )


add_route(
    router,
    "GET",
    "/api/actions/connector/{connectorId}/_usage",
    connector_usage,
    operation_id="getConnectorUsage",
    summary="Token usage of a connector per interval, model and API key.",
    responses=responses(200, ref("UsageReport"), 400, 404),
    tags=("usage",),
)
