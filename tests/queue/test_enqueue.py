"""``Actions.enqueue`` and ``actions.executions`` on the embedded default (no broker set up).

The worker is the one ``actions serve`` runs (a Celery worker on kombu's SQLAlchemy transport
over the embedded SQLite database), started in the test's process.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from actions_core import (
    ActionTypeDisabledError,
    NotFoundError,
    QueuedActionsLimitError,
    ValidationError,
)
from tests.queue.support import Recorder, embedded_worker, queue_config
from tests.servers import wait_until

SECRET = "very-secret-token-123"


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def actions(make_actions, recorder):
    return make_actions(recorder.action_type(), config=queue_config())


def connector(actions, type_id=".flaky"):
    return actions.connectors.create(
        connector_type_id=type_id, name="flaky", config={}, secrets={"token": SECRET}
    ).id


def test_an_enqueued_execution_runs_on_a_worker_and_succeeds(actions, recorder):
    cid = connector(actions)
    eid = actions.enqueue(cid, {"text": "hi"})
    queued = actions.executions.get(eid)
    assert (queued.status, queued.attempts, queued.result) == ("queued", 0, None)
    assert (queued.connector_id, queued.space_id) == (cid, "default")
    with embedded_worker(actions):
        done = actions.executions.wait(eid, timeout=20)
    assert done.status == "succeeded"
    assert done.attempts == 1
    assert done.result.ok and done.result.data == {"text": "hi", "attempt": 1}
    assert done.queued_at <= done.started_at <= done.finished_at
    assert recorder.calls == [(eid, 1)]
    events = actions.recent_events(cid)
    assert [(e.action, e.execution_id, e.attempt) for e in reversed(events)] == [
        ("execute-start", eid, 1),
        ("execute", eid, 1),
    ]
    assert all(e.schedule_delay_ms is not None and e.schedule_delay_ms >= 0 for e in events)


def test_retries_follow_the_attempts_and_backoff_rules(make_actions):
    recorder = Recorder(failures=2)
    actions = make_actions(recorder.action_type(), config=queue_config())
    eid = actions.enqueue(connector(actions), {"text": "x"})
    with embedded_worker(actions):
        done = actions.executions.wait(eid, timeout=30)
    assert (done.status, done.attempts) == ("succeeded", 3)
    assert recorder.calls == [(eid, 1), (eid, 2), (eid, 3)]
    starts = [e for e in actions.recent_events(action="execute-start")]
    assert sorted(e.attempt for e in starts) == [1, 2, 3]
    finished = sorted(actions.recent_events(action="execute"), key=lambda e: e.attempt)
    assert [e.outcome for e in finished] == ["failure", "failure", "success"]
    # the first retry waits queue.retryDelay (100 ms here) after the first attempt
    first, second = sorted(starts, key=lambda e: e.attempt)[:2]
    assert (second.timestamp - first.timestamp).total_seconds() >= 0.1


def test_attempts_run_out_at_max_attempts_and_the_last_result_stays(make_actions):
    recorder = Recorder(failures=10)
    actions = make_actions(recorder.action_type(), config=queue_config(run={"maxAttempts": 2}))
    eid = actions.enqueue(connector(actions), {"text": "x"})
    with embedded_worker(actions):
        done = actions.executions.wait(eid, timeout=30)
    assert (done.status, done.attempts, done.max_attempts) == ("failed", 2, 2)
    assert done.result.status == "error" and done.result.message == "upstream down"


def test_retry_false_is_final(make_actions):
    recorder = Recorder(failures=10, retry=False)
    actions = make_actions(recorder.action_type(), config=queue_config())
    eid = actions.enqueue(connector(actions), {"text": "x"})
    with embedded_worker(actions):
        done = actions.executions.wait(eid, timeout=20)
    assert (done.status, done.attempts) == ("failed", 1)


def test_the_type_override_beats_run_max_attempts_and_the_types_own(make_actions):
    recorder = Recorder(failures=10)
    config = queue_config(
        run={"maxAttempts": 5, "connectorTypeOverrides": [{"id": ".flaky", "maxAttempts": 1}]}
    )
    actions = make_actions(recorder.action_type(max_attempts=4), config=config)
    eid = actions.enqueue(connector(actions), {"text": "x"})
    assert actions.executions.get(eid).max_attempts == 1


def test_enqueue_checks_like_execute_and_queues_nothing_on_refusal(actions):
    cid = connector(actions)
    with pytest.raises(NotFoundError):
        actions.enqueue("no-such-connector", {"text": "x"})
    with pytest.raises(ValidationError, match="params"):
        actions.enqueue(cid, {"wrong": 1})
    assert actions.executions.list() == []


def test_a_disabled_type_cannot_be_enqueued(make_actions, recorder):
    actions = make_actions(recorder.action_type(), config=queue_config())
    cid = connector(actions)
    disabled = make_actions(
        recorder.action_type(), config=queue_config(enabledActionTypes=[".other"])
    )
    with pytest.raises(ActionTypeDisabledError):
        disabled.enqueue(cid, {"text": "x"})
    assert actions.executions.list() == []


def test_the_same_execution_id_is_queued_once(actions, recorder):
    cid = connector(actions)
    assert actions.enqueue(cid, {"text": "a"}, execution_id="e-1") == "e-1"
    assert actions.enqueue(cid, {"text": "a"}, execution_id="e-1") == "e-1"
    assert [e.id for e in actions.executions.list()] == ["e-1"]
    with embedded_worker(actions):
        actions.executions.wait("e-1", timeout=20)
    assert recorder.calls == [("e-1", 1)]


def test_queued_max_refuses_the_excess_with_kibanas_message(make_actions, recorder):
    actions = make_actions(recorder.action_type(), config=queue_config(queued={"max": 2}))
    cid = connector(actions)
    actions.enqueue(cid, {"text": "1"})
    actions.enqueue(cid, {"text": "2"})
    with pytest.raises(QueuedActionsLimitError) as err:
        actions.enqueue(cid, {"text": "3"})
    assert err.value.status_code == 429
    assert err.value.message == (
        "Unable to execute actions because the maximum number of queued actions has been reached."
    )
    assert len(actions.executions.list()) == 2
    with embedded_worker(actions):
        for execution in actions.executions.list():
            actions.executions.wait(execution.id, timeout=20)
    actions.enqueue(cid, {"text": "4"})  # finished executions no longer count


def test_an_unknown_execution_is_not_found(actions):
    with pytest.raises(NotFoundError):
        actions.executions.get("nope")


def test_executions_list_filters_by_connector_and_status(actions):
    a, b = connector(actions), connector(actions)
    ea = actions.enqueue(a, {"text": "a"})
    actions.enqueue(b, {"text": "b"})
    assert [e.id for e in actions.executions.list(connector_id=a)] == [ea]
    assert len(actions.executions.list(status="queued")) == 2
    assert actions.executions.list(status="succeeded") == []


def test_secrets_never_reach_the_broker(actions):
    eid = actions.enqueue(connector(actions), {"text": "hello"})
    with actions.engine.connect() as conn:
        payloads = conn.execute(sa.text("select payload from kombu_message")).scalars().all()
    assert payloads and any(eid in p for p in payloads)
    assert not any(SECRET in p or "hello" in p for p in payloads)


def test_the_wait_is_bounded(actions):
    eid = actions.enqueue(connector(actions), {"text": "x"})
    with pytest.raises(TimeoutError, match="still queued"):
        actions.executions.wait(eid, timeout=0.2)


def test_the_sweeper_drops_delivered_messages_of_the_database_broker(actions):
    eid = actions.enqueue(connector(actions), {"text": "x"})

    def messages() -> int:
        with actions.engine.connect() as conn:
            return conn.execute(sa.text("select count(*) from kombu_message")).scalar()

    with embedded_worker(actions):
        actions.executions.wait(eid, timeout=20)
        # a start republishes what may have been lost: that copy is delivered (and skipped) too
        wait_until(lambda: actions.queue.sweep()["purged"] >= 0 and messages() == 0)
    assert actions.executions.get(eid).attempts == 1
