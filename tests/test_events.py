"""The event log's queries: recent executions and token usage over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actions_core._store import open_engine
from actions_core.events import EventLog

pytestmark = pytest.mark.both_stores

DAY = 86400
BASE = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def log(store_url):
    engine = open_engine(store_url)
    event_log = EventLog(engine)
    yield event_log
    event_log.close()
    engine.dispose()


def record(log, when, connector="c1", prompt=10, completion=5, estimated=False, model="m1"):
    log.record(
        timestamp_ms=int(when.timestamp() * 1000),
        action="execute",
        execution_id=f"e-{when.timestamp()}-{connector}",
        connector_id=connector,
        action_type_id=".gen-ai",
        space_id="default",
        is_preconfigured=False,
        outcome="success",
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        usage_estimated=estimated,
        model=model,
    )


def test_usage_is_summed_per_interval(log):
    record(log, BASE + timedelta(hours=1))
    record(log, BASE + timedelta(hours=2), prompt=1, completion=1, estimated=True, model="m2")
    record(log, BASE + timedelta(days=1, hours=3), prompt=100, completion=0)
    report = log.usage(connector_id="c1", interval_seconds=DAY)
    assert [(b.start, b.executions, b.total_tokens) for b in report.buckets] == [
        (BASE, 2, 17),
        (BASE + timedelta(days=1), 1, 100),
    ]
    assert report.buckets[0].estimated_total_tokens == 2
    totals = report.totals
    assert (totals.prompt_tokens, totals.completion_tokens, totals.total_tokens) == (111, 6, 117)
    assert report.by_model == {"m1": 115, "m2": 2}


def test_usage_filters_by_connector_and_time(log):
    record(log, BASE, connector="c1")
    record(log, BASE, connector="c2", prompt=50)
    record(log, BASE + timedelta(days=3), connector="c1", prompt=7, completion=0)
    assert log.usage(connector_id="c2").totals.total_tokens == 55
    window = log.usage(start=BASE + timedelta(days=1), end=BASE + timedelta(days=4))
    assert window.totals.total_tokens == 7
    assert log.usage().totals.total_tokens == 77


def test_executions_without_usage_are_not_counted(log):
    log.record(
        action="execute",
        execution_id="x",
        connector_id="c1",
        action_type_id=".server-log",
        space_id="default",
        is_preconfigured=False,
    )
    assert log.usage().buckets == []
    assert len(log.recent()) == 1


def test_recent_is_newest_first_and_limited(log):
    for hour in range(5):
        record(log, BASE + timedelta(hours=hour))
    recent = log.recent(limit=2)
    assert [e.timestamp for e in recent] == [BASE + timedelta(hours=4), BASE + timedelta(hours=3)]


def test_unknown_fields_are_refused(log):
    with pytest.raises(TypeError, match="unknown event fields"):
        log.record(action="execute", bogus=1)


def test_flush_waits_for_queued_records(log):
    for i in range(1000):
        record(log, BASE + timedelta(seconds=i))
    assert log.flush(timeout=30)
    assert len(log.recent(limit=5000)) == 1000
