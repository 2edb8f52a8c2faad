"""Timeouts: run/test/invokeAI default to 120 s, streams to the platform's, never below it (§9)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.plugins.openai.support import USAGE, WAIT, RawServer, completion, sse

PATH = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def timeouts(gen_ai, monkeypatch):
    """The timeout each request of the connector really gets from the core's HTTP client
    (what the connector asks for, never below the platform's ``responseTimeout``)."""
    seen: list[float | None] = []
    http = gen_ai.actions.http
    real = http.request

    def spy(method, url, **kwargs):
        seen.append(http.effective_timeout(kwargs.get("timeout")))
        return real(method, url, **kwargs)

    monkeypatch.setattr(gen_ai.actions.http, "request", spy)
    return seen


def test_default_timeouts_per_sub_action(gen_ai, upstream, timeouts):
    upstream.expect_request(PATH).respond_with_json(completion(usage=USAGE))
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    gen_ai.run(cid, "run", body="{}")
    gen_ai.run(cid, "test", body="{}")
    gen_ai.run(cid, "invokeAI", messages=MESSAGES)
    gen_ai.run(cid, "stream", body="{}")
    assert timeouts == [120.0, 120.0, 120.0, 60.0]  # stream: only the platform's 60 s


def test_a_given_timeout_is_used_above_the_platform_floor(gen_ai, upstream, timeouts):
    upstream.expect_request(PATH).respond_with_json(completion(usage=USAGE))
    upstream.expect_request("/v1/x").respond_with_data(sse(), content_type="text/event-stream")
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    gen_ai.run(cid, "run", body="{}", timeout=300000)
    gen_ai.run(cid, "run", body="{}", timeout=5)
    gen_ai.run(cid, "invokeAI", messages=MESSAGES, timeout=90000)
    assert timeouts == [300.0, 60.0, 90.0]


def test_a_stalled_upstream_times_out_no_sooner_than_the_platform_timeout(gen_ai_factory):
    gen_ai = gen_ai_factory(responseTimeout="1s")
    stopping = threading.Event()
    with RawServer(lambda conn, request: stopping.wait(WAIT)) as server:
        cid = gen_ai.create("Other", server.url())
        started = time.monotonic()
        result = gen_ai.run(cid, "run", body="{}", timeout=100)
        elapsed = time.monotonic() - started
        stopping.set()
    assert 0.9 <= elapsed < WAIT
    assert result.status == "error"
    assert result.service_message == (
        "Status code: undefined. Message: Unexpected API Error: ECONNABORTED - timeout of 1000ms "
        "exceeded"
    )
    assert (result.retry, result.error_source) == (True, "framework")
    assert gen_ai.last_event(cid).outcome == "failure"


def test_a_stalled_stream_request_times_out_too(gen_ai_factory):
    gen_ai = gen_ai_factory(responseTimeout="1s")
    stopping = threading.Event()
    with RawServer(lambda conn, request: stopping.wait(WAIT)) as server:
        cid = gen_ai.create("Other", server.url())
        result = gen_ai.run(cid, "invokeStream", messages=MESSAGES, timeout=1500)
        stopping.set()
    assert result.service_message == (
        "Status code: undefined. Message: Unexpected API Error: ECONNABORTED - timeout of 1500ms "
        "exceeded"
    )


@pytest.mark.parametrize("sub_action", ["run", "invokeAI", "stream", "invokeStream"])
def test_an_infinite_timeout_is_refused_by_the_core_naming_the_field(gen_ai, upstream, sub_action):
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    body = {"body": "{}"} if sub_action in ("run", "stream") else {"messages": MESSAGES}
    result = gen_ai.run(cid, sub_action, timeout=float("inf"), **body)
    assert result.status == "error"
    assert result.error_source == "user"
    assert result.message == (
        "error validating action params: [subActionParams.timeout]: expected a finite number "
        "but got [Infinity]"
    )


@pytest.mark.parametrize("timeout", [1e300, 1e15, 2**31])
@pytest.mark.parametrize("sub_action", ["run", "invokeAI", "stream", "invokeStream"])
def test_a_timeout_beyond_nodes_timer_limit_is_a_field_error(gen_ai, upstream, sub_action, timeout):
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    body = {"body": "{}"} if sub_action in ("run", "stream") else {"messages": MESSAGES}
    result = gen_ai.run(cid, sub_action, timeout=timeout, **body)
    assert result.status == "error"
    assert "time_t" not in str(result.message) + str(result.service_message)
    assert result.error_source == "user"
    assert result.service_message == (
        "Request validation failed "
        "(Error: [timeout]: Value must be equal to or lower than [2147483647].)"
    )
