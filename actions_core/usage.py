"""The token usage report: one body for ``GET …/_usage``, ``actions usage --json`` and the pages.

The service and the CLI both print this body, so it is built here, in the core, where both
front ends can use it: the range and interval are parsed once (``parse_usage_query``) and the
sums are laid out once (``usage_body``). Every interval of the range is listed, empty ones
included, so a chart's time axis is true; totals, per model and per API key follow, each with
how much was reported by the provider and how much estimated locally.

What only a front end knows comes in as arguments: the API keys' names (the service owns that
table) and the current time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from actions_core.errors import ValidationError
from actions_core.events import UsageBucket, UsageGroup, UsageReport
from actions_core.settings import parse_duration

if TYPE_CHECKING:
    from actions_core.actions import Actions

__all__ = [
    "DEFAULT_RANGE",
    "MAX_BUCKETS",
    "NAMED_INTERVALS",
    "UsageQuery",
    "parse_usage_query",
    "usage_body",
]

NAMED_INTERVALS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
DEFAULT_RANGE = "now-30d"
MAX_BUCKETS = 2000
MAX_INTERVAL = 366 * 86400
_RELATIVE = re.compile(r"^now(?:\s*([+-])\s*(\d+)\s*(s|m|h|d|w))?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class UsageQuery:
    """A parsed range (``start`` inclusive, ``end`` exclusive) and interval."""

    start: datetime
    end: datetime
    interval: str
    interval_seconds: int


def _problem(field: str, detail: str) -> ValidationError:
    """``problems`` names the field (``from``, ``to``, ``interval``, or ``""`` for the pair), so
    each front end can say where in its own terms (a query parameter, an option)."""
    return ValidationError(f"[{field}]: {detail}" if field else detail, [(field, detail)])


def _parse_time(name: str, value: str, now: datetime) -> datetime:
    try:
        return _time(value, now)
    except (ValueError, OverflowError, OSError):
        raise _problem(
            name,
            f"{value!r} is not a date: use ISO 8601 "
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
        raise _problem(
            "interval",
            f"{value!r} is not an interval: use minute, hour, day, "
            "week or a duration such as 15m, 6h, 1d (at most 366d)",
        )
    return seconds


def parse_usage_query(
    start: str | None, end: str | None, interval: str | None, now: datetime | None = None
) -> UsageQuery:
    """``from`` / ``to`` (ISO 8601, epoch ms, ``now-7d``; default the last 30 days) and the
    interval (``minute`` … ``week`` or a duration such as ``6h``; default ``day``).

    Raises :class:`ValidationError` whose ``problems`` name the field.
    """
    now = now or datetime.now(UTC)
    begin = _parse_time("from", start or DEFAULT_RANGE, now)
    finish = _parse_time("to", end or "now", now)
    if begin >= finish:
        raise _problem("", "from must be earlier than to")
    label = (interval or "day").strip().lower()
    seconds = _parse_interval(label)
    count = _bucket_count(begin, finish, seconds)
    if count > MAX_BUCKETS:
        raise _problem(
            "interval",
            f"{label} makes {count} intervals between from and to, "
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


def _who(group: UsageGroup, keys: Mapping[str, str]) -> dict[str, Any]:
    user = group.key
    if user and user.startswith("api_key:"):
        key_id = user.removeprefix("api_key:")
        name = keys.get(key_id, "(deleted key)")
        return {"user": user, "api_key_id": key_id, "name": name}
    if user:
        return {"user": user, "name": user}
    return {"user": None, "name": "(no API key: Python API or CLI)"}


def usage_body(
    actions: Actions,
    query: UsageQuery,
    *,
    connector_id: str | None,
    space_id: str,
    key_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The report of one connector of ``space_id`` (``NotFoundError`` when there is none), or
    of every connector of the space when ``connector_id`` is None (the ``connector_*`` fields
    are then null). ``key_names`` maps API key ids to their names. Blocking."""
    connector = None
    if connector_id is not None:
        connector = actions.connectors.get(connector_id, space_id=space_id)
    report = actions.events.usage(
        connector_id=connector.id if connector else None,
        space_id=space_id,
        start=query.start,
        end=query.end,
        interval_seconds=query.interval_seconds,
    )
    names: Mapping[str, str] = {} if key_names is None else key_names  # may be lazy
    return {
        "connector_id": connector.id if connector else None,
        "connector_name": connector.name if connector else None,
        "connector_type_id": connector.connector_type_id if connector else None,
        "space_id": space_id,
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "interval": query.interval,
        "interval_seconds": query.interval_seconds,
        "totals": _sums(report.totals),
        "buckets": _filled(report, query),
        "by_model": [{"model": g.key or "unknown", **_sums(g)} for g in report.models],
        "by_api_key": [{**_who(g, names), **_sums(g)} for g in report.users],
    }
