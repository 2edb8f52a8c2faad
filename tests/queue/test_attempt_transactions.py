"""One queued attempt is two transactions, on SQLite and on PostgreSQL.

The claim commits with the ``execute-start`` record (before the executor runs), the end (the
execution's new state) with the ``execute`` record: each pair is all or nothing. The tests call
the task's body, ``Queue.run``, against the real store.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from actions_core.events import EventLog
from tests.queue.support import Recorder, queue_config

pytestmark = pytest.mark.both_stores


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def actions(make_actions, recorder):
    return make_actions(recorder.action_type(), config=queue_config())


def connector(actions) -> str:
    return actions.connectors.create(
        connector_type_id=".flaky", name="flaky", config={}, secrets={"token": "t"}
    ).id


def records(engine: sa.Engine, execution_id: str) -> list[tuple[str, int]]:
    """The execution's event records, read through a connection of a separate engine."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select action, attempt from events where execution_id = :id order by id"),
            {"id": execution_id},
        ).all()
    return [tuple(row) for row in rows]


def state(engine: sa.Engine, execution_id: str) -> tuple[str, int]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("select status, attempts from executions where id = :id"), {"id": execution_id}
        ).one()
    return tuple(row)


@pytest.fixture
def other(actions):
    """A second engine on the same store: it sees only what was committed."""
    engine = sa.create_engine(actions.engine.url)
    yield engine
    engine.dispose()


def test_the_claim_and_execute_start_are_committed_before_the_executor_runs(make_actions):
    seen: list[tuple[tuple[str, int], list[tuple[str, int]]]] = []

    class Looking(Recorder):
        def run(self, ctx):
            engine = sa.create_engine(store.engine.url)  # sees only what was committed
            try:
                seen.append((state(engine, ctx.execution_id), records(engine, ctx.execution_id)))
            finally:
                engine.dispose()
            return super().run(ctx)

    store = make_actions(Looking().action_type(), config=queue_config())
    eid = store.enqueue(connector(store), {"text": "hi"})
    assert store.queue.run(eid) == "succeeded"
    assert seen == [(("running", 1), [("execute-start", 1)])]
    assert state(store.engine, eid) == ("succeeded", 1)
    assert records(store.engine, eid) == [("execute-start", 1), ("execute", 1)]


def test_an_attempt_takes_two_transactions(actions, other):
    eid = actions.enqueue(connector(actions), {"text": "hi"})
    statements: list[str] = []
    commits: list[int] = []

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement.split()[0])

    def on_commit(conn):
        commits.append(1)

    sa.event.listen(actions.engine, "before_cursor_execute", on_execute)
    sa.event.listen(actions.engine, "commit", on_commit)
    try:
        assert actions.queue.run(eid) == "succeeded"
    finally:
        sa.event.remove(actions.engine, "before_cursor_execute", on_execute)
        sa.event.remove(actions.engine, "commit", on_commit)
    if actions.engine.dialect.name == "postgresql":
        # the claim and its record in one transaction; the end in one statement (a CTE)
        assert statements == ["UPDATE", "INSERT", "WITH"]
        assert len(commits) == 1
    else:
        assert statements == ["UPDATE", "INSERT", "INSERT", "UPDATE"]
        assert len(commits) == 2
    assert records(other, eid) == [("execute-start", 1), ("execute", 1)]


def test_an_execution_never_reads_as_ended_without_its_execute_record(actions, other, monkeypatch):
    eid = actions.enqueue(connector(actions), {"text": "hi"})
    row = EventLog.row

    def unstorable(**fields):
        record = row(**fields)
        if record["action"] == "execute":
            record["duration_ms"] = object()  # no driver can bind this: the insert fails
        return record

    monkeypatch.setattr(EventLog, "row", staticmethod(unstorable))
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error
        actions.queue.run(eid)
    # the end did not happen without its record: still running, until its lease runs out
    assert state(other, eid) == ("running", 1)
    assert records(other, eid) == [("execute-start", 1)]


def test_a_claim_whose_start_record_fails_is_rolled_back(actions, recorder, other, monkeypatch):
    eid = actions.enqueue(connector(actions), {"text": "hi"})
    row = EventLog.row

    def unstorable(**fields):
        record = row(**fields)
        record["schedule_delay_ms"] = object()
        return record

    monkeypatch.setattr(EventLog, "row", staticmethod(unstorable))
    actions.queue.run(eid)
    assert recorder.calls == []  # the executor never ran
    assert state(other, eid) == ("queued", 0)  # nothing claimed: the sweeper republishes it
    assert records(other, eid) == []


def test_an_attempt_refused_before_it_starts_ends_in_the_claims_transaction(actions, other):
    cid = connector(actions)
    eid = actions.enqueue(cid, {"text": "hi"})
    actions.connectors.delete(cid)
    assert actions.queue.run(eid) == "failed"
    done = actions.executions.get(eid)
    assert (done.status, done.attempts) == ("failed", 1)
    assert "not found" in (done.result.message or "")
    assert records(other, eid) == []  # refused before it started: no records, as in Kibana
