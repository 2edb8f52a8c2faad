"""The event log's queries: recent executions and token usage over time."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from actions_core._store import open_engine, sqlite_url
from actions_core._store.tables import events as events_table
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


def test_executions_without_usage_are_counted_with_no_tokens(log):
    for n in range(3):
        log.record(
            action="execute",
            execution_id=f"x{n}",
            connector_id="c1",
            action_type_id=".server-log",
            space_id="default",
            is_preconfigured=False,
        )
    report = log.usage()
    assert report.totals.executions == 3
    assert report.totals.total_tokens == 0
    assert report.models == []
    assert len(log.recent()) == 3


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


def test_a_batch_that_cannot_be_written_in_five_tries_is_dropped_and_logged(tmp_path, caplog):
    path = tmp_path / "events.sqlite3"
    engine = open_engine(sqlite_url(path))
    event_log = EventLog(engine)
    try:
        with contextlib.closing(sqlite3.connect(path)) as db:  # a real failure: no such table
            db.execute(f"ALTER TABLE {events_table.name} RENAME TO events_away")
            db.commit()
        caplog.set_level(logging.WARNING, logger="actions_core.events")
        record(event_log, BASE, connector="lost-1")
        record(event_log, BASE, connector="lost-2")
        started = time.monotonic()
        assert event_log.flush(timeout=30)  # the writer gives up; nobody waits forever
        assert time.monotonic() - started < 25
        failures = [r for r in caplog.records if "event log write failed" in r.getMessage()]
        assert len(failures) % 5 == 0 and failures
        assert all("no such table" in r.getMessage() for r in failures)
        dropped = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        counts = [int(m.split()[1]) for m in dropped]
        assert all(m.endswith("event records after repeated write failures") for m in dropped)
        assert sum(counts) == 2
        # the writer lives on: once the table is back, the next record is written
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute(f"ALTER TABLE events_away RENAME TO {events_table.name}")
            db.commit()
        record(event_log, BASE, connector="kept")
        assert [e.connector_id for e in event_log.recent()] == ["kept"]
    finally:
        event_log.close()
        engine.dispose()


def test_a_write_refused_by_the_database_is_dropped_without_stopping_the_writer(tmp_path, caplog):
    path = tmp_path / "events.sqlite3"
    engine = open_engine(sqlite_url(path))
    event_log = EventLog(engine)
    try:
        with contextlib.closing(sqlite3.connect(path)) as db:  # a real constraint failure
            db.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {events_table.name} "
                "WHEN NEW.connector_id = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
            db.commit()
        caplog.set_level(logging.WARNING, logger="actions_core.events")
        record(event_log, BASE, connector="refused")
        started = time.monotonic()
        assert event_log.flush(timeout=20)
        assert time.monotonic() - started < 15
        assert any("dropped 1 event records" in r.getMessage() for r in caplog.records)
        record(event_log, BASE, connector="kept")
        assert [e.connector_id for e in event_log.recent()] == ["kept"]
    finally:
        event_log.close()
