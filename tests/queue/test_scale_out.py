"""Scale-out with real Redis and PostgreSQL: worker processes share one broker and one store.

The test enqueues from its own ``Actions``; real ``actions worker`` processes run the
executions against a real HTTP endpoint on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.queue.scale_out import Cluster, CountingUpstream
from tests.servers import Upstream, wait_until


@pytest.fixture(autouse=True)
def _webhook_plugin(monkeypatch) -> None:
    monkeypatch.setenv("ACTIONS_PLUGINS", "webhook")


@pytest.fixture
def upstream() -> Iterator[CountingUpstream]:
    with Upstream() as server:
        yield CountingUpstream(server)


@pytest.fixture
def cluster(tmp_path, postgres_url, redis_server) -> Iterator[Cluster]:
    redis_server.flush()
    running = Cluster(tmp_path, postgres_url, redis_server.url)
    yield running
    running.stop()


def webhook(actions, upstream: CountingUpstream) -> str:
    return actions.connectors.create(
        connector_type_id=".webhook", name="hook", config={"url": upstream.url()}, secrets={}
    ).id


def wait_final(actions, ids, timeout, cluster):
    def all_final():
        return all(actions.executions.get(i).final for i in ids)

    try:
        wait_until(all_final, timeout=timeout, what="every execution to end")
    except AssertionError:
        raise AssertionError(f"not all executions ended; worker logs:\n{cluster.logs()}") from None


def test_200_executions_over_2_workers_each_succeed_exactly_once(cluster, upstream):
    with cluster.actions() as actions:
        cid = webhook(actions, upstream)
        ids = [actions.enqueue(cid, {"body": f"n{i}"}) for i in range(200)]
        cluster.start_worker(concurrency=4)
        cluster.start_worker(concurrency=4)
        wait_final(actions, ids, 120, cluster)
        executions = [actions.executions.get(i) for i in ids]
        assert {e.status for e in executions} == {"succeeded"}
        assert {e.attempts for e in executions} == {1}
        assert sum(upstream.seen.values()) == 200
        assert set(upstream.seen) == {f"n{i}" for i in range(200)}
        assert set(upstream.seen.values()) == {1}
        starts = actions.recent_events(action="execute-start", limit=1000)
        assert len(starts) == 200 and {e.source for e in starts} == {"queue"}


def test_an_upstream_failing_twice_then_answering_takes_3_attempts(cluster, upstream):
    upstream.fail_first["flaky"] = 2
    with cluster.actions() as actions:
        cid = webhook(actions, upstream)
        eid = actions.enqueue(cid, {"body": "flaky"})
        cluster.start_worker(concurrency=2)
        wait_final(actions, [eid], 60, cluster)
        done = actions.executions.get(eid)
        assert (done.status, done.attempts) == ("succeeded", 3)
        assert upstream.seen["flaky"] == 3
        executes = sorted(actions.recent_events(action="execute"), key=lambda e: e.attempt)
        assert [(e.attempt, e.outcome) for e in executes] == [
            (1, "failure"),
            (2, "failure"),
            (3, "success"),
        ]


def test_a_worker_killed_mid_execution_loses_nothing(cluster, upstream):
    upstream.hold["slow"] = release = threading.Event()
    upstream.arrived["slow"] = arrived = threading.Event()
    with cluster.actions() as actions:
        cid = webhook(actions, upstream)
        eid = actions.enqueue(cid, {"body": "slow"})
        first = cluster.start_worker(concurrency=1)
        assert arrived.wait(60), cluster.logs()
        cluster.start_worker(concurrency=1)
        cluster.kill(first)  # kill -9 while the request is in flight
        release.set()
        wait_final(actions, [eid], 60, cluster)
        done = actions.executions.get(eid)
        assert (done.status, done.attempts) == ("succeeded", 2)
        order = {"execute-start": 0, "execute-timeout": 1, "execute": 2}
        events = sorted(actions.recent_events(cid), key=lambda e: (e.attempt, order[e.action]))
        assert [(e.action, e.attempt, e.execution_id) for e in events] == [
            ("execute-start", 1, eid),
            ("execute-timeout", 1, eid),
            ("execute-start", 2, eid),
            ("execute", 2, eid),
        ]


def test_queued_max_refuses_the_excess_across_processes(tmp_path, postgres_url, redis_server):
    from actions_core import QueuedActionsLimitError

    redis_server.flush()
    cluster = Cluster(tmp_path, postgres_url, redis_server.url)
    text = cluster.config.read_text().replace("actions:\n", "actions:\n  queued:\n    max: 5\n", 1)
    cluster.config.write_text(text)
    with Upstream() as server, cluster.actions() as actions:
        cid = webhook(actions, CountingUpstream(server))
        for i in range(5):
            actions.enqueue(cid, {"body": str(i)})
        with pytest.raises(QueuedActionsLimitError):
            actions.enqueue(cid, {"body": "excess"})
        assert len(actions.executions.list(limit=100)) == 5


def test_without_a_broker_the_postgresql_store_is_the_queue_of_every_worker(
    tmp_path, postgres_url, upstream
):
    cluster = Cluster(tmp_path, postgres_url, None)
    try:
        with cluster.actions() as actions:
            cid = webhook(actions, upstream)
            ids = [actions.enqueue(cid, {"body": f"p{i}"}) for i in range(30)]
            cluster.start_worker(concurrency=2)
            cluster.start_worker(concurrency=2)
            wait_final(actions, ids, 60, cluster)
            assert {actions.executions.get(i).status for i in ids} == {"succeeded"}
            assert sum(upstream.seen.values()) == 30
            assert set(upstream.seen.values()) == {1}
    finally:
        cluster.stop()
