"""The token usage dashboard: ``/app/connectors`` (an index) and one page per connector.

Plain HTML with server-rendered SVG charts (:mod:`.charts`): no JavaScript at all, and a
Content-Security-Policy that forbids it. The range form is an ordinary GET form.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from actions_core.server.auth import Principal
from actions_core.server.charts import Series, stacked_columns, stacked_rows
from actions_core.server.deps import CALLER, SPACE, server_state
from actions_core.server.openapi import responses
from actions_core.server.routing import add_route
from actions_core.server.usage import parse_usage_query, usage_report

__all__ = ["router", "usage_page_urls"]

router = APIRouter()
SERIES = (
    Series("prompt_tokens", "Prompt", "#4C78A8"),
    Series("completion_tokens", "Completion", "#F58518"),
)
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
RANGES = (
    ("Last 24 hours", "now-24h", "hour"),
    ("Last 7 days", "now-7d", "day"),
    ("Last 30 days", "now-30d", "day"),
    ("Last 12 weeks", "now-12w", "week"),
)
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1e24;
background:#f7f8fc}header{background:#1d1e24;color:#fff;padding:12px 24px}
header a{color:#fff;text-decoration:none}main{padding:16px 24px;max-width:1100px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.1rem;margin:1.4em 0 .4em}
.meta{color:#555}.card{background:#fff;border:1px solid #d3dae6;border-radius:6px;padding:12px;
margin:12px 0}dl.totals{display:flex;flex-wrap:wrap;gap:12px;margin:0}
dl.totals div{background:#fff;border:1px solid #d3dae6;border-radius:6px;padding:8px 14px;
min-width:130px}dt{color:#555;font-size:.85rem}dd{margin:0;font-size:1.4rem;font-weight:600}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #d3dae6;padding:4px 10px;
text-align:right}th:first-child,td:first-child{text-align:left}form{display:flex;gap:8px;
align-items:end;flex-wrap:wrap}label{display:flex;flex-direction:column;font-size:.85rem}
.grid{stroke:#e3e8f2}.axis{stroke:#69707d}.tick,.legend{font-size:12px;fill:#343741}
.empty{font-size:14px;fill:#69707d}nav a{margin-right:12px}
"""


def _prefix(space: str) -> str:
    return "" if space == "default" else f"/s/{quote(space)}"


def usage_page_urls(base_url: str) -> Callable[[str, str], str]:
    """``(connector_id, space_id) -> URL`` of the usage page below, at ``base_url``.

    The service hands this to the core (``Actions.dashboard_url``), so executors see the page as
    ``ctx.dashboard_url`` without the core knowing the service's routes.
    """
    base = base_url.rstrip("/")

    def url(connector_id: str, space_id: str) -> str:
        return f"{base}{_prefix(space_id)}/app/connectors/{quote(connector_id, safe='')}/usage"

    return url


def _page(title: str, space: str, body: str) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><a href="{_prefix(space)}/app/connectors">actions-core</a> · '
        f"space <b>{escape(space)}</b></header><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})


def _n(value: int) -> str:
    return f"{value:,}"


def _label(start: str, seconds: int) -> str:
    moment = datetime.fromisoformat(start)
    return moment.strftime("%Y-%m-%d" if seconds >= 86400 else "%m-%d %H:%M")


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def _totals(totals: dict[str, int]) -> str:
    items = (
        ("total-tokens", "Total tokens", "total_tokens"),
        ("prompt-tokens", "Prompt tokens", "prompt_tokens"),
        ("completion-tokens", "Completion tokens", "completion_tokens"),
        ("executions", "Executions", "executions"),
        ("reported-tokens", "Reported by the provider", "reported_total_tokens"),
        ("estimated-tokens", "Estimated locally", "estimated_total_tokens"),
    )
    cells = "".join(
        f'<div><dt>{label}</dt><dd id="{key}" data-value="{totals[field]}">'
        f"{_n(totals[field])}</dd></div>"
        for key, label, field in items
    )
    return f'<dl class="totals">{cells}</dl>'


def _table(table_id: str, first: str, rows: list[tuple[str, dict[str, int]]]) -> str:
    head = (
        f"<tr><th>{first}</th><th>Executions</th><th>Prompt</th><th>Completion</th>"
        "<th>Total</th><th>Estimated</th></tr>"
    )
    body = "".join(
        f"<tr><td>{escape(name)}</td><td>{_n(s['executions'])}</td>"
        f"<td>{_n(s['prompt_tokens'])}</td><td>{_n(s['completion_tokens'])}</td>"
        f"<td>{_n(s['total_tokens'])}</td><td>{_n(s['estimated_total_tokens'])}</td></tr>"
        for name, s in rows
    )
    empty = '<tr><td colspan="6">No token usage in this range</td></tr>'
    return f'<table id="{table_id}">{head}{body or empty}</table>'


def _form(report: dict[str, Any], base: str, raw: dict[str, str]) -> str:
    links = " ".join(
        f'<a href="{base}?{escape(urlencode({"from": start, "interval": interval}))}">{label}</a>'
        for label, start, interval in RANGES
    )
    fields = "".join(
        f'<label>{label}<input name="{name}" value="{escape(raw.get(name) or default)}"></label>'
        for name, label, default in (
            ("from", "From", "now-30d"),
            ("to", "To", "now"),
            ("interval", "Interval", report["interval"]),
        )
    )
    form = f'<form method="get" action="{base}">{fields}<button>Apply</button></form>'
    return f"<nav>{links}</nav>{form}"


def render_usage_page(report: dict[str, Any], space: str, raw: dict[str, str]) -> HTMLResponse:
    seconds = report["interval_seconds"]
    buckets = report["buckets"]
    categories = [_label(b["start"], seconds) for b in buckets]
    over_time = stacked_columns(
        "tokens-over-time",
        "Prompt and completion tokens per interval",
        categories,
        SERIES,
        {s.key: [b[s.key] for b in buckets] for s in SERIES},
    )
    keys = report["by_api_key"]
    per_key = stacked_rows(
        "tokens-per-api-key",
        "Prompt and completion tokens per API key",
        [k["name"] + (f" ({k['api_key_id']})" if k.get("api_key_id") else "") for k in keys],
        SERIES,
        {s.key: [k[s.key] for k in keys] for s in SERIES},
    )
    base = f"{_prefix(space)}/app/connectors/{quote(report['connector_id'])}/usage"
    api = f"{_prefix(space)}/api/actions/connector/{quote(report['connector_id'])}/_usage"
    query = urlencode({k: v for k, v in raw.items() if v})
    body = (
        f"<h1>Token usage · {escape(report['connector_name'])}</h1>"
        f'<p class="meta">{escape(report["connector_type_id"])} · id '
        f"<code>{escape(report['connector_id'])}</code> · {_when(report['from'])} to "
        f"{_when(report['to'])} (UTC), per {escape(report['interval'])}</p>"
        f'<div class="card">{_form(report, base, raw)}</div>'
        f"{_totals(report['totals'])}"
        f'<h2>Tokens over time</h2><div class="card">{over_time}</div>'
        f'<h2>Tokens per API key</h2><div class="card">{per_key}</div>'
        "<h2>Per model</h2>"
        + _table("per-model", "Model", [(m["model"], m) for m in report["by_model"]])
        + "<h2>Per API key</h2>"
        + _table("per-api-key", "API key / user", [(k["name"], k) for k in keys])
        + f'<p><a href="{api}{"?" + escape(query) if query else ""}">This data as JSON</a></p>'
    )
    return _page(f"Token usage · {report['connector_name']}", space, body)


async def usage_page(
    request: Request,
    connector_id: str = Path(alias="connectorId", description="An identifier for the connector."),
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    interval: str | None = Query(None),
    principal: Principal = CALLER,
    space: str = SPACE,
) -> HTMLResponse:
    state = server_state(request)
    query = parse_usage_query(start, end, interval)
    report = await run_in_threadpool(
        usage_report, state.actions, state.keys, connector_id, space, query
    )
    raw = {"from": start or "", "to": end or "", "interval": interval or ""}
    return render_usage_page(report, space, raw)


async def connectors_page(
    request: Request,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> HTMLResponse:
    state = server_state(request)

    def rows() -> list[tuple[Any, int]]:
        found = state.actions.connectors.list(space_id=space)
        query = parse_usage_query(None, None, "week")
        totals = state.actions.events.total_tokens_by_connector(
            space_id=space, start=query.start, end=query.end
        )
        return [(connector, totals.get(connector.id, 0)) for connector in found]

    prefix = _prefix(space)
    lines = "".join(
        f'<tr><td><a href="{prefix}/app/connectors/{quote(c.id)}/usage">{escape(c.name)}</a></td>'
        f"<td>{escape(c.connector_type_id)}</td><td><code>{escape(c.id)}</code></td>"
        f"<td>{'yes' if c.is_preconfigured else 'no'}</td><td>{_n(total)}</td></tr>"
        for c, total in await run_in_threadpool(rows)
    )
    empty = '<tr><td colspan="5">No connectors in this space yet.</td></tr>'
    body = (
        '<h1>Connectors</h1><p class="meta">Open a connector for its token usage.</p>'
        '<table id="connectors"><tr><th>Name</th><th>Type</th><th>ID</th>'
        f"<th>Preconfigured</th><th>Tokens (30 days)</th></tr>{lines or empty}</table>"
    )
    return _page("Connectors", space, body)


_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
_page_responses = responses(200, None, 400, 404, description="An HTML page.")
_page_responses[200].update(_HTML)
add_route(
    router,
    "GET",
    "/app/connectors",
    connectors_page,
    operation_id="connectorsPage",
    summary="The connectors of the space, each linking to its token usage page (HTML).",
    responses=_page_responses,
    tags=("usage",),
    response_class=HTMLResponse,
)
add_route(
    router,
    "GET",
    "/app/connectors/{connectorId}/usage",
    usage_page,
    operation_id="connectorUsagePage",
    summary="The token usage dashboard of a connector (HTML, no JavaScript).",
    responses=_page_responses,
    tags=("usage",),
    response_class=HTMLResponse,
)
