"""``GET …/_usage``: token sums per interval, per model and per API key, reported vs estimated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actions_core.server.errors import HttpError
from actions_core.server.usage import parse_usage_query
from tests.server.conftest import Server
from tests.server.support import known_usage


def test_usage_aggregates(server: Server) -> None:
    space, cid = known_usage(server)
    response = server.request(
        "GET",
        f"/s/{space}/api/actions/connector/{cid}/_usage?from=now-7d&interval=day",
        who="reader",
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["connector_id"] == cid
    assert report["space_id"] == space
    assert report["interval"] == "day" and report["interval_seconds"] == 86400
    assert report["totals"] == {
        "executions": 4,
        "prompt_tokens": 120,
        "completion_tokens": 57,
        "total_tokens": 177,
        "reported_total_tokens": 165,
        "estimated_total_tokens": 12,
    }
    buckets = report["buckets"]
    assert len(buckets) in (7, 8)  # every day of the range, empty ones included
    assert sum(b["total_tokens"] for b in buckets) == 177
    assert sorted(b["total_tokens"] for b in buckets if b["total_tokens"]) == [20, 157]
    assert {m["model"]: m["total_tokens"] for m in report["by_model"]} == {
        "gpt-a": 165,
        "gpt-b": 5,
        "unknown": 7,
    }
    by_key = {k["name"]: k for k in report["by_api_key"]}
    assert by_key["admin"]["api_key_id"] == server.keys["admin"].key.id
    assert by_key["admin"]["user"] == f"api_key:{server.keys['admin'].key.id}"
    assert by_key["admin"]["total_tokens"] == 15
    assert by_key["reader"]["estimated_total_tokens"] == 5
    assert by_key["bob"]["prompt_tokens"] == 100
    assert by_key["(no API key: Python API or CLI)"]["user"] is None
    assert [k["total_tokens"] for k in report["by_api_key"]] == [150, 15, 7, 5]


def test_usage_range_and_interval(server: Server) -> None:
    space, cid = known_usage(server)
    path = f"/s/{space}/api/actions/connector/{cid}/_usage"
    recent = server.request("GET", f"{path}?from=now-1d&interval=6h").json()
    assert recent["totals"]["total_tokens"] == 20
    assert recent["interval_seconds"] == 21600
    start = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    end = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    window = server.request(
        "GET", path, params={"from": start, "to": end, "interval": "week"}
    ).json()
    assert window["totals"]["total_tokens"] == 157


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "[request query.from]: 'yesterday' is not a date"),
        ("to=99999999999999999999", "[request query.to]:"),
        ("interval=fortnight", "[request query.interval]: 'fortnight' is not an interval"),
        ("interval=1s&from=now-30d", "more than 2000"),
        ("from=now&to=now-1d", "from must be earlier than to"),
    ],
)
def test_usage_query_problems_are_400(server: Server, query: str, message: str) -> None:
    response = server.request("GET", f"/api/actions/connector/pre-log/_usage?{query}")
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_usage_of_an_unknown_connector_is_404(server: Server) -> None:
    response = server.request("GET", "/s/nowhere/api/actions/connector/nope/_usage")
    assert response.status_code == 404
    assert response.json()["message"] == "Saved object [action/nope] not found"


def test_parse_usage_query_defaults_and_forms() -> None:
    now = datetime(2024, 5, 10, 12, tzinfo=UTC)
    query = parse_usage_query(None, None, None, now=now)
    assert (query.start, query.end, query.interval_seconds) == (
        now - timedelta(days=30),
        now,
        86400,
    )
    assert parse_usage_query("1714521600000", "2024-05-02", "hour", now=now).start == datetime(
        2024, 5, 1, tzinfo=UTC
    )
    assert parse_usage_query("now-2w", "now+1d", "15m", now=now).interval_seconds == 900
    with pytest.raises(HttpError):
        parse_usage_query("now-1d", None, "400d", now=now)


def test_every_execution_counts_even_without_tokens(server: Server) -> None:
    created = server.request(
        "POST",
        "/s/log-usage/api/actions/connector",
        json={"name": "A log", "connector_type_id": ".server-log"},
    )
    assert created.status_code == 200, created.text
    cid = created.json()["id"]
    for n in range(3):
        ran = server.request(
            "POST",
            f"/s/log-usage/api/actions/connector/{cid}/_execute",
            json={"params": {"message": f"hello {n}"}},
        )
        assert ran.json()["status"] == "ok", ran.text
    report = server.request("GET", f"/s/log-usage/api/actions/connector/{cid}/_usage").json()
    assert report["totals"]["executions"] == 3
    assert report["totals"]["total_tokens"] == 0
    assert report["by_model"] == []


def test_a_typo_in_the_interval_gives_the_page_back_with_a_message(server: Server) -> None:
    space, cid = known_usage(server)
    response = server.request(
        "GET",
        f"/s/{space}/app/connectors/{cid}/usage?from=now-7d&interval=dya",
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "&#x27;dya&#x27; is not an interval" in response.text
    assert 'name="interval" value="dya"' in response.text
    assert 'id="total-tokens"' in response.text
