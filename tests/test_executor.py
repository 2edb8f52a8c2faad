"""Executing by id: Kibana's pipeline, results, streaming and events."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from actions_core import (
    ActionResult,
    ActionTypeDisabledError,
    ExecutionError,
    NotFoundError,
    ValidationError,
)
from tests.support import KEY, echo_type


def setup(make_actions, executor=None, config=None, **fields):
    if executor is not None:
        fields["executor"] = executor
    actions = make_actions(echo_type(".echo", **fields), config=config)
    connector = actions.connectors.create(
        connector_type_id=".echo",
        name="echo",
        id="c1",
        config={"url": "https://example.com"},
        secrets={"token": "tok"},
    )
    return actions, connector.id


def executions(actions, connector_id="c1"):
    return actions.recent_events(connector_id, action="execute")


def test_ok_result_carries_the_executors_data(make_actions):
    actions, cid = setup(make_actions)
    result = actions.execute(cid, {"text": "hi"})
    assert result == ActionResult(
        status="ok",
        connector_id=cid,
        data={
            "params": {"text": "hi"},
            "config": {"url": "https://example.com", "model": "small"},
            "secret_keys": ["token"],
        },
    )


def test_start_and_execute_events_are_recorded(make_actions):
    actions, cid = setup(make_actions)
    actions.execute(cid, {"text": "hi"}, source="http_request", user="alice")
    events = actions.recent_events(cid)
    assert [e.action for e in events] == ["execute", "execute-start"]
    done, start = events
    assert done.execution_id == start.execution_id
    assert done.outcome == "success"
    assert done.duration_ms is not None and done.duration_ms >= 0
    assert done.message == f"action executed: .echo:{cid}: echo"
    assert start.message == f"action started: .echo:{cid}: echo"
    assert (done.source, done.user, done.space_id) == ("http_request", "alice", "default")
    assert done.timestamp <= datetime.now(UTC)


def test_invalid_params_give_an_error_result_and_no_event(make_actions):
    actions, cid = setup(make_actions)
    result = actions.execute(cid, {"txt": 1})
    assert result.status == "error"
    assert result.retry is False
    assert result.error_source == "user"
    assert result.message == (
        "error validating action params: [text]: expected value of type [string] but got "
        "[undefined]; [txt]: definition for this key is missing"
    )
    assert actions.recent_events(cid) == []


def test_a_custom_params_validator_runs_after_the_schema(make_actions):
    def no_shouting(params, ctx):
        if params["text"].isupper():
            raise ValueError("[text]: please do not shout")

    actions, cid = setup(make_actions, validate_params=no_shouting)
    result = actions.execute(cid, {"text": "HEY"})
    assert result.message == "error validating action params: [text]: please do not shout"


def test_an_executor_that_raises_gives_kibanas_error_result(make_actions):
    def boom(ctx):
        raise ConnectionError("connection refused by upstream")

    actions, cid = setup(make_actions, boom)
    result = actions.execute(cid, {"text": "x"})
    assert result.status == "error"
    assert result.message == "an error occurred while running the action"
    assert result.service_message == "ConnectionError: connection refused by upstream"
    assert result.retry is True
    assert result.error_source == "framework"
    [event] = executions(actions)
    assert event.outcome == "failure"
    assert event.message == f"action execution failure: .echo:{cid}: echo"
    assert event.error_message == (
        "an error occurred while running the action: "
        "ConnectionError: connection refused by upstream; retry: true"
    )


def test_execution_error_chooses_retry_and_source(make_actions):
    when = datetime(2030, 1, 1, tzinfo=UTC)

    def limited(ctx):
        raise ExecutionError("rate limited", retry=when, error_source="user")

    actions, cid = setup(make_actions, limited)
    result = actions.execute(cid, {"text": "x"})
    assert (result.retry, result.error_source) == (when, "user")
    assert result.to_api()["retry"] == "2030-01-01T00:00:00+00:00"
    assert executions(actions)[0].error_message.endswith("; retry at 2030-01-01T00:00:00+00:00")


def test_an_executor_may_return_a_full_result(make_actions):
    def custom(ctx):
        return ActionResult(status="error", connector_id="ignored", message="service said no")

    actions, cid = setup(make_actions, custom)
    result = actions.execute(cid, {"text": "x"})
    assert (result.connector_id, result.message, result.error_source) == (
        cid,
        "service said no",
        "user",
    )


def test_unknown_connector_raises_not_found(make_actions):
    actions, _ = setup(make_actions)
    with pytest.raises(NotFoundError) as err:
        actions.execute("missing", {"text": "x"})
    assert err.value.message == "Saved object [action/missing] not found"


def test_connectors_of_unregistered_types_raise(make_actions, tmp_path):
    actions, cid = setup(make_actions)
    actions.close()
    again = make_actions(data_dir=tmp_path / "data")  # same store, .echo plugin not loaded
    with pytest.raises(ValidationError, match=r'Action type "\.echo" is not registered\.'):
        again.execute(cid, {"text": "x"})


def test_disabled_types_are_refused_with_a_403(make_actions, tmp_path):
    setup(make_actions)[0].close()
    actions = make_actions(
        echo_type(".echo"),
        config={"actions": {"encryptionKey": KEY, "enabledActionTypes": [".server-log"]}},
    )
    with pytest.raises(ActionTypeDisabledError) as err:
        actions.execute("c1", {"text": "x"})
    assert err.value.status_code == 403
    assert actions.recent_events() == []


def test_the_context_hides_secrets_in_its_repr(make_actions):
    seen = []

    def spy(ctx):
        seen.append(repr(ctx))
        return None

    actions, cid = setup(make_actions, spy)
    assert actions.execute(cid, {"text": "x"}).data is None
    assert "tok" not in seen[0].replace("token", "")
    assert "secrets=<hidden>" in seen[0]


def test_reported_token_usage_lands_in_the_event(make_actions):
    def llm(ctx):
        ctx.report_usage(prompt_tokens=12, completion_tokens=30, model="tiny")
        ctx.add_request_body_bytes(120)
        return {"message": "ok"}

    actions, cid = setup(make_actions, llm)
    actions.execute(cid, {"text": "x"})
    [event] = executions(actions)
    assert (event.prompt_tokens, event.completion_tokens, event.total_tokens) == (12, 30, 42)
    assert event.usage_estimated is False
    assert (event.model, event.request_body_bytes) == ("tiny", 120)


def streaming(chunks, fail_after=None):
    def run(ctx):
        def generate():
            for index, chunk in enumerate(chunks):
                if fail_after is not None and index == fail_after:
                    raise ConnectionError("upstream dropped the connection")
                yield chunk
            ctx.report_usage(prompt_tokens=1, completion_tokens=len(chunks), estimated=True)

        return generate()

    return run


def test_streaming_data_is_an_iterator_and_the_event_waits_for_its_end(make_actions):
    actions, cid = setup(make_actions, streaming([b"a", b"b", b"c"]))
    result = actions.execute(cid, {"text": "x"})
    assert result.status == "ok"
    assert next(result.data) == b"a"
    assert executions(actions) == []  # not finished yet
    assert list(result.data) == [b"b", b"c"]
    [event] = executions(actions)
    assert event.outcome == "success"
    assert (event.completion_tokens, event.usage_estimated) == (3, True)


def test_a_stream_failing_midway_raises_to_the_caller_and_records_a_failure(make_actions):
    actions, cid = setup(make_actions, streaming([b"a", b"b"], fail_after=1))
    result = actions.execute(cid, {"text": "x"})
    got = []
    with pytest.raises(ConnectionError, match="dropped"):
        for chunk in result.data:
            got.append(chunk)
    assert got == [b"a"]
    [event] = executions(actions)
    assert event.outcome == "failure"
    assert "upstream dropped the connection" in event.error_message


def test_closing_a_stream_early_releases_it_and_records_the_event(make_actions):
    closed = threading.Event()

    def run(ctx):
        def generate():
            try:
                yield from (b"1", b"2", b"3")
            finally:
                closed.set()

        return generate()

    actions, cid = setup(make_actions, run)
    result = actions.execute(cid, {"text": "x"})
    with result.data as stream:
        assert next(stream) == b"1"
    assert closed.is_set()
    [event] = executions(actions)
    assert event.outcome == "success"
    assert "stream closed by the caller after 1 chunks" in event.message


def test_eight_threads_execute_concurrently_without_losing_events(make_actions):
    actions, cid = setup(make_actions)
    per_thread = 25

    def work(thread_index):
        results = []
        for i in range(per_thread):
            results.append(actions.execute(cid, {"text": f"{thread_index}-{i}"}))
        return results

    with ThreadPoolExecutor(max_workers=8) as pool:
        all_results = [r for batch in pool.map(work, range(8)) for r in batch]
    assert len(all_results) == 8 * per_thread
    assert all(r.status == "ok" for r in all_results)
    texts = {r.data["params"]["text"] for r in all_results}
    assert len(texts) == 8 * per_thread
    events = actions.recent_events(cid, limit=10_000)
    assert sum(e.action == "execute" for e in events) == 8 * per_thread
    assert sum(e.action == "execute-start" for e in events) == 8 * per_thread
    assert len({e.execution_id for e in events}) == 8 * per_thread


def test_events_survive_closing_and_reopening(make_actions, tmp_path):
    actions, cid = setup(make_actions)
    for _ in range(5):
        actions.execute(cid, {"text": "x"})
    actions.close()
    reopened = make_actions(echo_type(".echo"), data_dir=tmp_path / "data")
    assert len(reopened.recent_events(cid, action="execute")) == 5


def test_result_to_api_uses_kibanas_field_names():
    result = ActionResult(
        status="error",
        connector_id="c",
        message="m",
        service_message="s",
        retry=True,
        error_source="user",
    )
    assert result.to_api() == {
        "connector_id": "c",
        "status": "error",
        "message": "m",
        "service_message": "s",
        "retry": True,
        "errorSource": "user",
    }


def test_a_client_side_framework_error_in_the_executor_is_not_retried(make_actions):
    def refused(ctx):
        ctx.http.request("GET", "https://not-allowed.example/x")

    actions, cid = setup(
        make_actions,
        refused,
        config={"actions": {"encryptionKey": KEY, "allowedHosts": ["example.com"]}},
    )
    result = actions.execute(cid, {"text": "x"})
    assert result.status == "error"
    assert result.service_message == (
        'target url "https://not-allowed.example/x" is not added to the configuration '
        "actions.allowedHosts"
    )
    assert (result.retry, result.error_source) == (False, "user")


def test_executors_see_the_dashboard_url_once_the_service_tells_it(make_actions):
    """The core does not know the service's routes: whoever does sets ``dashboard_url``."""
    seen = []

    def spy(ctx):
        seen.append(ctx.dashboard_url)

    actions, cid = setup(make_actions, spy)
    actions.execute(cid, {"text": "x"})
    actions.dashboard_url = lambda connector_id, space_id: f"http://svc/{space_id}/{connector_id}"
    actions.execute(cid, {"text": "x"})
    actions.connectors.create(
        connector_type_id=".echo",
        name="e",
        id="c2",
        space_id="team",
        config={"url": "u"},
        secrets={"token": "t"},
    )
    actions.execute("c2", {"text": "x"}, space_id="team")
    assert seen == [
        None,
        f"http://svc/default/{cid}",
        "http://svc/team/c2",
    ]
