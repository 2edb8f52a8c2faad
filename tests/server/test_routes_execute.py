"""``_execute``: Kibana's result bodies, and live streaming from a scripted upstream."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.server.conftest import Server
from tests.server.support import execute_events
from tests.servers import wait_until

ECHO = {
    "name": "x",
    "connector_type_id": ".echo",
    "config": {"url": "u"},
    "secrets": {"token": "t"},
}


def connector(server: Server, type_id: str, config: dict | None = None) -> str:
    cid = f"ex-{uuid.uuid4().hex[:10]}"
    body = {"name": cid, "connector_type_id": type_id, "config": config or {}, "secrets": {}}
    if type_id == ".echo":
        body = {**ECHO, "name": cid}
    response = server.request("POST", f"/api/actions/connector/{cid}", json=body)
    assert response.status_code == 200, response.text
    return cid


def execute(server: Server, cid: str, params, **kwargs) -> httpx.Response:
    return server.request(
        "POST", f"/api/actions/connector/{cid}/_execute", json={"params": params}, **kwargs
    )


def test_ok_result_body(server: Server) -> None:
    cid = connector(server, ".echo")
    response = execute(server, cid, {"text": "hello"})
    assert response.status_code == 200
    assert response.json() == {
        "connector_id": cid,
        "status": "ok",
        "data": {
            "params": {"text": "hello"},
            "config": {"url": "u", "model": "small"},
            "secret_keys": ["token"],
        },
    }


def test_an_executor_without_data_answers_just_the_status(server: Server) -> None:
    response = execute(server, "pre-log", {"message": "from the test", "level": "warn"})
    assert response.json() == {"connector_id": "pre-log", "status": "ok"}


def test_failures_are_200_with_error_status_and_camel_case_error_source(server: Server) -> None:
    cid = connector(server, ".echo")
    invalid = execute(server, cid, {"wrong": 1})
    assert invalid.status_code == 200
    body = invalid.json()
    assert body["status"] == "error"
    assert body["message"].startswith("error validating action params:")
    assert body["errorSource"] == "user"
    assert body["retry"] is False
    assert "error_source" not in body

    failing = execute(server, connector(server, ".failing"), {})
    assert failing.json() == {
        "connector_id": failing.json()["connector_id"],
        "status": "error",
        "message": "an error occurred while running the action",
        "service_message": "the service said no",
        "retry": False,
        "errorSource": "framework",
    }


def test_execute_body_problems_and_unknown_connectors(server: Server) -> None:
    response = server.request("POST", "/api/actions/connector/pre-log/_execute", json={})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "[request body.params]: expected value of type [object] but got [undefined]"
    )
    response = server.request(
        "POST", "/api/actions/connector/pre-log/_execute", json={"params": "x"}
    )
    assert response.json()["message"] == (
        "[request body.params]: expected value of type [object] but got [string]"
    )
    missing = execute(server, "missing-connector", {})
    assert missing.status_code == 404
    assert missing.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "Saved object [action/missing-connector] not found",
    }


def test_executors_see_the_dashboard_url(server: Server) -> None:
    cid = connector(server, ".tokens")
    data = execute(server, cid, {"prompt": 1, "completion": 2}).json()["data"]
    assert data["dashboard_url"] == f"{server.url}/app/connectors/{cid}/usage"
    spaced = server.request(
        "POST",
        f"/s/team-a/api/actions/connector/{cid}",
        json={"name": "t", "connector_type_id": ".tokens"},
    )
    assert spaced.status_code == 200
    run = server.request(
        "POST",
        f"/s/team-a/api/actions/connector/{cid}/_execute",
        json={"params": {"prompt": 1, "completion": 1}},
    )
    assert (
        run.json()["data"]["dashboard_url"] == f"{server.url}/s/team-a/app/connectors/{cid}/usage"
    )


#: The same streaming executor twice: blocking (``ctx.http``, pulled in worker threads) and an
#: async generator (``ctx.ahttp``, iterated on the service's event loop).
STREAMS = (".upstream-stream", ".upstream-astream")


def _stream_connector(server: Server, type_id: str = ".upstream-stream") -> str:
    return connector(server, type_id, {"url": server.upstream.url})


@contextlib.contextmanager
def _open_stream(server: Server, cid: str, path: str) -> Iterator[httpx.Response]:
    """The admin's streaming execution of upstream ``path``, read as it arrives."""
    headers = {"Authorization": server.auth(), "kbn-xsrf": "1"}
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST",
            f"{server.url}/api/actions/connector/{cid}/_execute",
            json={"params": {"path": path}},
            headers=headers,
        ) as response,
    ):
        yield response


@pytest.mark.parametrize("type_id", STREAMS)
def test_the_first_chunk_arrives_before_the_upstream_has_finished(
    server: Server, type_id: str
) -> None:
    cid = _stream_connector(server, type_id)
    tag = uuid.uuid4().hex
    record = server.upstream.record(tag)
    path = f"/stream?tag={tag}&chunks=4&hold=1"
    with _open_stream(server, cid, path) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = response.iter_raw()
        first = next(chunks)
        assert first == b'data: {"n": 0}\n\n'
        assert record.sent == 1
        assert not record.finished.is_set()  # the upstream is still holding the rest back
        record.release.set()
        rest = b"".join(chunks)
    assert rest == b"".join(f'data: {{"n": {n}}}\n\n'.encode() for n in range(1, 4))
    assert record.finished.wait(10)  # set by the upstream's thread just after its last write
    events = wait_until(lambda: execute_events(server.db, cid))
    assert events[0]["outcome"] == "success"
    assert events[0]["message"] == f"action executed: {type_id}:{cid}: {cid}"


@pytest.mark.parametrize("type_id", STREAMS)
def test_disconnecting_mid_stream_closes_the_upstream_and_records_the_event(
    server: Server, type_id: str
) -> None:
    cid = _stream_connector(server, type_id)
    tag = uuid.uuid4().hex
    record = server.upstream.record(tag)
    path = f"/stream?tag={tag}&chunks=400&interval=0.05"
    with _open_stream(server, cid, path) as response:
        received = b""
        for chunk in response.iter_raw():
            received += chunk
            if received.count(b"\n\n") >= 2:
                break
    started = time.monotonic()
    assert record.disconnected.wait(10), "the upstream connection was not closed"
    assert time.monotonic() - started < 10
    assert not record.finished.is_set()
    assert record.sent < 400
    events = wait_until(lambda: execute_events(server.db, cid))
    assert len(events) == 1
    assert events[0]["outcome"] == "success"
    assert "stream closed by the caller" in events[0]["message"]
    assert events[0]["user"] == f"api_key:{server.keys['admin'].key.id}"


@pytest.mark.parametrize("type_id", [".failing-stream", ".failing-astream"])
def test_a_stream_that_fails_midway_ends_with_an_error_event(server: Server, type_id: str) -> None:
    cid = connector(server, type_id)
    response = execute(server, cid, {})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == (
        'data: {"delta": "partial"}\n\n'
        "event: error\n"
        'data: {"message": "an error occurred while running the action", '
        '"service_message": "upstream went away"}\n\n'
    )
    events = wait_until(lambda: execute_events(server.db, cid))
    assert events[0]["outcome"] == "failure"


@pytest.mark.parametrize("who", ["reader", "bob"])
@pytest.mark.parametrize("type_id", STREAMS)
def test_streams_work_for_the_read_role(server: Server, who: str, type_id: str) -> None:
    cid = _stream_connector(server, type_id)
    tag = uuid.uuid4().hex
    response = execute(server, cid, {"path": f"/stream?tag={tag}&chunks=2"}, who=who)
    assert response.text == 'data: {"n": 0}\n\ndata: {"n": 1}\n\n'


def test_async_streams_are_iterated_on_the_event_loop_not_in_threads(server: Server) -> None:
    cid = connector(server, ".thread-names")
    response = execute(server, cid, {})
    assert response.status_code == 200
    events = [line for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"  # a stream of values ends with the marker
    chunks = [json.loads(line[len("data: ") :]) for line in events[:-1]]
    # uvicorn runs the event loop in the main thread: no worker or helper thread per chunk
    assert chunks == [{"thread": "MainThread", "async": True}] * 3
    done = wait_until(lambda: execute_events(server.db, cid))
    assert done[0]["outcome"] == "success"


def test_an_async_stream_failing_before_its_first_chunk_is_a_json_error_result(
    server: Server,
) -> None:
    cid = _stream_connector(server, ".upstream-astream")
    response = execute(server, cid, {"path": "/missing"})
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "error"
    assert "404" in body["service_message"]
    events = wait_until(lambda: execute_events(server.db, cid))
    assert events[0]["outcome"] == "failure"


def test_execute_checks_the_caller_xsrf_space_and_body_in_that_order(server: Server) -> None:
    """The ``_execute`` route resolves its parameters itself (not through FastAPI's dependency
    solving): it answers exactly as the other routes do, checks in the same order."""
    bad_space = "/s/Not%20A%20Space/api/actions/connector/pre-log/_execute"
    nobody = server.request("POST", bad_space, json=[], xsrf=False, who=None)
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"].startswith("Basic")
    no_xsrf = server.request("POST", bad_space, json=[], xsrf=False)
    assert no_xsrf.status_code == 400
    assert no_xsrf.json()["message"] == "Request must contain a kbn-xsrf header."
    space = server.request("POST", bad_space, json=[])
    assert space.status_code == 400 and "Space ID" in space.json()["message"]
    body = server.request("POST", "/s/ok-space/api/actions/connector/pre-log/_execute", json=[])
    assert body.json()["message"].startswith("[request body]: expected a plain object value")
    wrong_method = server.request("GET", "/api/actions/connector/pre-log/_execute")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {
        "statusCode": 405,
        "error": "Method Not Allowed",
        "message": "Method Not Allowed",
    }
    spaced = server.request(
        "POST",
        "/s/ok-space/api/actions/connector/pre-log/_execute",
        json={"params": {"message": "hi"}},
    )
    assert spaced.json() == {"connector_id": "pre-log", "status": "ok"}
