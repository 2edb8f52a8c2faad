"""Kibana's attempts and retry timing (task manager's get_retry_at), as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from actions_core import ActionResult
from actions_core._queue.backoff import max_attempts, retry_at_ms
from actions_core.settings import load_settings

NOW = 1_800_000_000_000


def options(**actions):
    return load_settings({"actions": actions}).actions


def error(retry):
    return ActionResult("error", "c", message="down", retry=retry)


def test_attempts_override_then_run_then_type_then_3():
    both = options(
        run={"maxAttempts": 5, "connectorTypeOverrides": [{"id": ".x", "maxAttempts": 2}]}
    )
    assert max_attempts(both, ".x", 7) == 2
    assert max_attempts(both, ".y", 7) == 5
    assert max_attempts(options(), ".y", 7) == 7
    assert max_attempts(options(), ".y", None) == 3


def test_the_first_retry_waits_retry_delay_30s_by_default():
    assert retry_at_ms(error(True), 1, 3, options(), NOW) == NOW + 30_000


def test_later_retries_wait_randomly_up_to_5m_times_2_to_the_attempt_minus_2():
    opts = options()
    for attempt, bound in ((2, 300_000), (3, 600_000), (6, 3_600_000), (9, 3_600_000)):
        delays = [retry_at_ms(error(True), attempt, 10, opts, NOW) - NOW for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound / 2  # random over the range, not a fixed delay


def test_a_retry_datetime_is_when_the_next_attempt_runs():
    when = datetime.fromtimestamp(NOW / 1000, UTC) + timedelta(seconds=42)
    assert retry_at_ms(error(when), 1, 3, options(), NOW) == NOW + 42_000


def test_final_results_are_not_retried():
    assert retry_at_ms(error(False), 1, 3, options(), NOW) is None
    assert retry_at_ms(error(None), 1, 3, options(), NOW) is None
    assert retry_at_ms(error(True), 3, 3, options(), NOW) is None  # attempts used up
    assert retry_at_ms(ActionResult("ok", "c"), 1, 3, options(), NOW) is None


def test_queue_settings_are_durations_and_queued_max_is_kibanas():
    opts = options(queue={"retryDelay": "250ms", "visibilityTimeout": "10s"}, queued={"max": 5})
    assert (opts.queue.retryDelay, opts.queue.visibilityTimeout, opts.queued.max) == (0.25, 10, 5)
    assert options().queued.max == 1_000_000
    assert options().queue.visibilityTimeout == 7200
