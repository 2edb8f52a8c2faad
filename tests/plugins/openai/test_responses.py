"""Responses and failures: validation, Kibana's error texts, retry flags, usage (§4, §9, §10)."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from actions_core_plugins.openai.errors import AZURE_FUNCTIONS_HINT

from tests.plugins.openai.support import USAGE, completion

PATH = "/v1/chat/completions"


@pytest.fixture
def other(gen_ai, upstream):
    return gen_ai.create("Other", upstream.url_for(PATH))


def respond(upstream, body, status=200, headers=None):
    """Answer with ``body``; the status line carries the standard reason phrase, as OpenAI's."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    upstream.expect_request(PATH).respond_with_data(
        data,
        status=f"{status} {HTTPStatus(status).phrase}",  # type: ignore[arg-type]
        headers=headers,
        content_type="application/json",
    )


def fail(gen_ai, cid, sub_action="run", **params):
    params = params or {"body": '{"messages":[]}'}
    result = gen_ai.run(cid, sub_action, **params)
    assert result.status == "error", result
    assert result.message == "an error occurred while running the action"
    return result


def test_run_returns_the_raw_response_with_unknown_fields(gen_ai, upstream, other):
    respond(upstream, completion(usage=USAGE, system_fingerprint="fp_1"))
    result = gen_ai.run(other, "run", body="{}")
    assert result.data["system_fingerprint"] == "fp_1"
    event = gen_ai.last_event(other)
    assert (event.prompt_tokens, event.completion_tokens, event.total_tokens) == (11, 7, 18)
    assert event.usage_estimated is False
    assert event.model == "gpt-4.1-2025-04-14"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"usage": USAGE}, "[choices]: expected value of type [array] but got [undefined]"),
        (
            {"choices": [{"message": {}}]},
            "[choices.0.message.role]: expected value of type [string] but got [undefined]",
        ),
        (
            {"choices": [], "usage": {"prompt_tokens": 1}},
            "[usage.completion_tokens]: expected value of type [number] but got [undefined]",
        ),
        (
            {"choices": [], "created": "yesterday"},
            "[created]: expected value of type [number] but got [string]",
        ),
        ("<html>oops</html>", "expected value of type [object] but got [string]"),
    ],
)
def test_malformed_responses_fail_validation(gen_ai, upstream, other, body, problem):
    respond(upstream, body)
    result = fail(gen_ai, other)
    assert result.service_message == f"Response validation failed (Error: {problem})"


def test_a_response_without_usage_gets_estimated_usage(gen_ai, upstream, other):
    respond(upstream, completion("Single"))
    result = gen_ai.run(other, "run", body='{"messages":[{"role":"user","content":"Hi"}]}')
    assert result.status == "ok"
    event = gen_ai.last_event(other)
    assert event.usage_estimated is True
    assert event.completion_tokens == 5  # {"content":"Single"}
    assert event.prompt_tokens > 0
    assert event.total_tokens == event.prompt_tokens + event.completion_tokens


def test_invoke_ai_trims_and_reports_usage(gen_ai, upstream, other):
    respond(upstream, completion("\n  Hello!  \n", usage=USAGE))
    result = gen_ai.run(other, "invokeAI", messages=[{"role": "user", "content": "Hi"}])
    assert result.data == {"message": "Hello!", "usage": USAGE}


@pytest.mark.parametrize("content", [None, ""])
def test_invoke_ai_with_no_content_says_so(gen_ai, upstream, other, content):
    respond(upstream, completion(content, usage=USAGE))
    result = gen_ai.run(other, "invokeAI", messages=[{"role": "user", "content": "Hi"}])
    assert result.data == {
        "message": "An error occurred sending your message. \n\nAPI Error: The response from "
        "OpenAI was in an unrecognized format.",
        "usage": USAGE,
    }


def test_invoke_ai_without_usage_returns_the_estimate(gen_ai, upstream, other):
    respond(upstream, completion("Single"))
    result = gen_ai.run(other, "invokeAI", messages=[{"role": "user", "content": "Hi"}])
    event = gen_ai.last_event(other)
    assert result.data["usage"] == {
        "prompt_tokens": event.prompt_tokens,
        "completion_tokens": 5,
        "total_tokens": event.total_tokens,
    }


def test_get_dashboard_records_no_usage_and_needs_no_upstream(gen_ai, other, upstream):
    result = gen_ai.run(
        other, "getDashboard", dashboardId="generative-ai-token-usage-openai-default"
    )
    assert result.data == {"available": False, "url": None}
    assert gen_ai.last_event(other).total_tokens is None
    assert upstream.requests() == []


# --- HTTP errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "message", "retry", "source"),
    [
        (
            422,
            {"error": {"message": "The model `bad model` does not exist"}},
            "Status code: 422. Message: API Error: Unprocessable Entity - "
            "The model `bad model` does not exist",
            False,
            "user",
        ),
        (
            401,
            {"error": {"message": "Incorrect API key provided"}},
            "Status code: 401. Message: Unauthorized API Error - Incorrect API key provided",
            False,
            "user",
        ),
        (401, "", "Status code: 401. Message: Unauthorized API Error", False, "user"),
        (
            400,
            {"error": "model not loaded"},  # LM Studio: error is a string
            "Status code: 400. Message: API Error: Bad Request - model not loaded",
            False,
            "user",
        ),
        (
            400,
            {"error": {"code": "x"}},  # an object without message
            "Status code: 400. Message: API Error: Bad Request - [object Object]",
            False,
            "user",
        ),
        (
            404,
            "<html>not found</html>",
            "Status code: 404. Message: API Error: Not Found",
            False,
            "user",
        ),
        (
            500,
            {"error": {"message": "boom"}},
            "Status code: 500. Message: API Error: Internal Server Error - boom",
            True,
            "framework",
        ),
        (503, "", "Status code: 503. Message: API Error: Service Unavailable", True, "framework"),
        (
            429,
            {"error": {"message": "Rate limit reached"}},
            "Status code: 429. Message: API Error: Too Many Requests - Rate limit reached",
            True,
            "user",
        ),
    ],
)
def test_http_errors(gen_ai, upstream, other, status, body, message, retry, source):
    respond(upstream, body, status=status)
    result = fail(gen_ai, other)
    assert result.service_message == message
    assert result.retry is retry
    assert result.error_source == source
    event = gen_ai.last_event(other)
    assert event.outcome == "failure"
    assert event.error_message == (
        f"an error occurred while running the action: {message}; retry: {str(retry).lower()}"
    )


def test_the_servers_own_reason_phrase_is_quoted(gen_ai, upstream, other):
    upstream.expect_request(PATH).respond_with_data("{}", status="400 Model Not Loaded")
    assert fail(gen_ai, other).service_message == (
        "Status code: 400. Message: API Error: Model Not Loaded"
    )


def test_azure_functions_404_explains_the_api_version(gen_ai, upstream, other):
    respond(
        upstream, {"error": {"message": "Unrecognized request argument supplied: functions"}}, 404
    )
    result = fail(gen_ai, other)
    assert result.service_message == (
        "Status code: 404. Message: API Error: 404 Unrecognized request argument supplied: "
        "functions" + AZURE_FUNCTIONS_HINT
    )
    assert AZURE_FUNCTIONS_HINT == (
        "\n        \n\nFunction support with Azure OpenAI API was added in 2023-07-01-preview. "
        "Update the API version of the Azure OpenAI connector in use\n      "
    )


def test_retry_after_seconds_becomes_a_retry_date(gen_ai, upstream, other):
    respond(upstream, {"error": {"message": "slow down"}}, 429, headers={"Retry-After": "30"})
    before = datetime.now(UTC)
    result = fail(gen_ai, other)
    assert isinstance(result.retry, datetime)
    assert (
        before + timedelta(seconds=29) <= result.retry <= datetime.now(UTC) + timedelta(seconds=31)
    )
    assert "; retry at " in gen_ai.last_event(other).error_message


def test_errors_on_streamed_requests_read_the_error_body(gen_ai, upstream, other):
    respond(upstream, {"error": {"message": "context length exceeded"}}, 400)
    result = fail(gen_ai, other, "invokeStream", messages=[{"role": "user", "content": "Hi"}])
    assert result.service_message == (
        "Status code: 400. Message: API Error: Bad Request - context length exceeded"
    )
    result = fail(gen_ai, other, "stream", body="{}", stream=True)
    assert result.service_message.startswith("Status code: 400.")


def test_invoke_async_iterator_errors_read_like_the_others(gen_ai, upstream, gen_ai_factory):
    respond(upstream, {"error": {"message": "nope"}}, 429)
    cid = gen_ai.create("Other", upstream.url_for("/v1"))
    result = fail(gen_ai, cid, "invokeAsyncIterator", messages=[{"role": "user", "content": "Hi"}])
    assert (
        result.service_message == "Status code: 429. Message: API Error: Too Many Requests - nope"
    )
    assert (result.retry, result.error_source) == (True, "user")


def test_a_refused_connection_is_retryable(gen_ai):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cid = gen_ai.create("Other", f"http://127.0.0.1:{port}{PATH}")
    result = fail(gen_ai, cid)
    assert result.service_message == (
        f"Status code: undefined. Message: Unexpected API Error: ECONNREFUSED - "
        f"connect ECONNREFUSED 127.0.0.1:{port}"
    )
    assert (result.retry, result.error_source) == (True, "framework")


def test_a_host_outside_allowed_hosts_is_refused_at_request_time(gen_ai_factory, upstream):
    permissive = gen_ai_factory()
    cid = permissive.create("Other", upstream.url_for(PATH))
    # the same store, now with a policy that no longer lists the host
    strict = gen_ai_factory(allowedHosts=["example.com"])
    result = strict.run(cid, "run", body="{}")
    assert result.status == "error"
    assert "is not added to the configuration actions.allowedHosts" in result.message
    assert upstream.requests() == []


def test_a_response_larger_than_max_content_length_fails(gen_ai, upstream, other):
    respond(upstream, completion("x" * 5000, usage=USAGE))
    result = fail(gen_ai, other, "run", body="{}", maxContentLength=1000)
    assert result.service_message.startswith(
        "Status code: undefined. Message: Unexpected API Error: ERR_BAD_RESPONSE - "
        "maxContentLength size of 1000 exceeded"
    )
    assert result.retry is False
