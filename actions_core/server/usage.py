"""Token usage of one connector: ``GET …/connector/{id}/_usage?from=&to=&interval=``.

Sums of prompt, completion and total tokens per interval (every interval of the range, empty
ones included, so a chart's time axis is true), per model and per API key, with how much was
reported by the provider and how much estimated locally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from actions_core.actions import Actions
from actions_core.events import UsageBucket, UsageGroup, UsageReport
from actions_core.server.apikeys import ApiKeyStore
from actions_core.server.auth import Principal
from actions_core.server.deps import CALLER, SPACE, server_state
from actions_core.server.errors import HttpError
from actions_core.server.openapi import ref, responses
from actions_core.server.routing import add_route
from actions_core.settings import parse_duration

__all__ = ["UsageQuery", "parse_usage_query", "router", "usage_report"]

router = APIRouter()
NAMED_INTERVALS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
DEFAULT_RANGE = "now-30d"
MAX_BUCKETS = 2000
MAX_INTERVAL = 366 * 86400
_RELATIVE = re.compile(r"^now(?:\s*([+-])\s*(\d+)\s*(s|m|h|d|w))?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class UsageQuery:
    start: datetime
    end: datetime
    interval: str
    interval_seconds: int


def _parse_time(name: str, value: str, now: datetime) -> datetime:
    try:
        return _time(value, now)
    except (ValueError, OverflowError, OSError):
        raise HttpError(
            400,
            f"[request query.{name}]: {value!r} is not a date: use ISO 8601 "
            "(2024-05-01T00:00:00Z), epoch milliseconds, or now-7d / now-12h / now",
        ) from None


def _time(value: str, now: datetime) -> datetime:
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        sign, amount, unit = match.groups()
        if not sign:
            return now
        delta = timedelta(seconds=int(amount) * _UNITS[unit])
        return now - delta if sign == "-" else now + delta
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    parsed.timestamp()  # out-of-range dates fail here, not later
    return parsed


def _parse_interval(value: str) -> int:
    text = value.strip().lower()
    if text in NAMED_INTERVALS:
        return NAMED_INTERVALS[text]
    try:
        seconds = int(parse_duration(text))
    except (ValueError, OverflowError):
        seconds = 0
    if not 1 <= seconds <= MAX_INTERVAL:
        raise HttpError(
            400,
            f"[request query.interval]: {value!r} is not an interval: use minute, hour, day, "
            "week or a duration such as 15m, 6h, 1d (at most 366d)",
        )
    return seconds


def parse_usage_query(
    start: str | None, end: str | None, interval: str | None, now: datetime | None = None
) -> UsageQuery:
    now = now or datetime.now(UTC)
    begin = _parse_time("from", start or DEFAULT_RANGE, now)
    finish = _parse_time("to", end or "now", now)
    if begin >= finish:
        raise HttpError(400, "[request query]: from must be earlier than to")
    label = (interval or "day").strip().lower()
    seconds = _parse_interval(label)
    count = _bucket_count(begin, finish, seconds)
    if count > MAX_BUCKETS:
        raise HttpError(
            400,
            f"[request query.interval]: {label} makes {count} intervals between from and to, "
            f"more than {MAX_BUCKETS}: choose a longer interval or a shorter range",
        )
    return UsageQuery(begin, finish, label, seconds)


def _bucket_index(moment: datetime, seconds: int) -> int:
    return int(moment.timestamp() * 1000) // (seconds * 1000)


def _bucket_count(start: datetime, end: datetime, seconds: int) -> int:
    last = end - timedelta(milliseconds=1)
    return _bucket_index(last, seconds) - _bucket_index(start, seconds) + 1


def _sums(item: UsageBucket | UsageGroup) -> dict[str, int]:
    return {
        "executions": item.executions,
        "prompt_tokens": item.prompt_tokens,
        "completion_tokens": item.completion_tokens,
        "total_tokens": item.total_tokens,
        "reported_total_tokens": item.total_tokens - item.estimated_total_tokens,
        "estimated_total_tokens": item.estimated_total_tokens,
    }


def _filled(report: UsageReport, query: UsageQuery) -> list[dict[str, Any]]:
    seconds = query.interval_seconds
    found = {_bucket_index(b.start, seconds): b for b in report.buckets}
    first = _bucket_index(query.start, seconds)
    buckets = []
    for index in range(first, first + _bucket_count(query.start, query.end, seconds)):
        start = datetime.fromtimestamp(index * seconds, UTC)
        bucket = found.get(index) or UsageBucket(start)
        buckets.append(
            {
                "start": start.isoformat(),
                "end": (start + timedelta(seconds=seconds)).isoformat(),
                **_sums(bucket),
            }
        )
    return buckets


def _who(group: UsageGroup, keys: dict[str, str]) -> dict[str, Any]:
    user = group.key
    if user and user.startswith("api_key:"):
        key_id = user.removeprefix("api_key:")
        name = keys.get(key_id, "(deleted key)")
        return {"user": user, "api_key_id": key_id, "name": name}
    if user:
        return {"user": user, "name": user}
    return {"user": None, "name": "(no API key: Python API or CLI)"}


def usage_report(
    actions: Actions, keys: ApiKeyStore, connector_id: str, space: str, query: UsageQuery
) -> dict[str, Any]:
    """The ``_usage`` body of a connector of ``space`` (404 when there is none); blocking."""
    connector = actions.connectors.get(connector_id, space_id=space)
    report = actions.events.usage(
        connector_id=connector.id,
        space_id=space,
        start=query.start,
        end=query.end,
        interval_seconds=query.interval_seconds,
    )
    names = {key.id: key.name for key in keys.list()}
    return {
        "connector_id": connector.id,
        "connector_name": connector.name,
        "connector_type_id": connector.connector_type_id,
        "space_id": space,
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "interval": query.interval,
        "interval_seconds": query.interval_seconds,
        "totals": _sums(report.totals),
        "buckets": _filled(report, query),
        "by_model": [{"model": g.key or "unknown", **_sums(g)} for g in report.models],
        "by_api_key": [{**_who(g, names), **_sums(g)} for g in report.users],
    }


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
