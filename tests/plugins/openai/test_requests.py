"""What reaches the provider: URL, headers and body bytes per provider and sub-action (§4-§9)."""

from __future__ import annotations

import json

import pytest

from tests.plugins.openai.support import USAGE, chunk, completion, header_map, sse

PATH = "/v1/chat/completions"
AZURE_PATH = "/openai/deployments/gpt4/chat/completions"
MESSAGES = [{"role": "user", "content": "Hi ☃"}]
MESSAGES_JSON = '[{"role":"user","content":"Hi ☃"}]'
# What requests adds by itself; everything else on the wire comes from the connector.
TRANSPORT_HEADERS = {
    "host",
    "user-agent",
    "accept-encoding",
    "accept",
    "connection",
    "content-length",
}


def connector_headers(request) -> dict[str, str]:
    return {k: v for k, v in header_map(request).items() if k not in TRANSPORT_HEADERS}


@pytest.fixture
def ok(upstream):
    upstream.expect_request(PATH, method="POST").respond_with_json(completion(usage=USAGE))
    upstream.expect_request(AZURE_PATH, method="POST").respond_with_json(completion(usage=USAGE))
    return upstream


def only_request(upstream):
    [request] = upstream.requests()
    return request


def test_openai_sends_bearer_org_project_and_custom_headers(gen_ai, ok):
    cid = gen_ai.create(
        "OpenAI",
        ok.url_for(PATH),
        organizationId="org-1",
        projectId="proj-1",
        headers={
            "X-Custom": "yes",
            "Authorization": "override",  # the auth header always wins
            "content-type": "text/plain",  # and so does the content type
            "OpenAI-Organization": "replaced by organizationId",
        },
    )
    result = gen_ai.run(cid, "run", body=json.dumps({"messages": MESSAGES}))
    assert result.status == "ok", result
    request = only_request(ok)
    assert request.path == PATH and request.query_string == b""
    assert connector_headers(request) == {
        "content-type": "application/json",
        "x-custom": "yes",
        "authorization": "Bearer sk-secret",
        "openai-organization": "org-1",
        "openai-project": "proj-1",
    }
    # not OpenAI's own URL: the stream flag is left alone (Kibana); the default model is added
    assert request.get_data() == ('{"messages":' + MESSAGES_JSON + ',"model":"gpt-4.1"}').encode()


def test_azure_sends_api_key_and_no_authorization(gen_ai, ok):
    url = ok.url_for(AZURE_PATH) + "?api-version=2024-02-01"
    cid = gen_ai.create("Azure OpenAI", url, headers={"X-Trace": "1"})
    assert gen_ai.run(cid, "run", body='{"messages":' + MESSAGES_JSON + "}").status == "ok"
    request = only_request(ok)
    assert (request.path, request.query_string) == (AZURE_PATH, b"api-version=2024-02-01")
    assert connector_headers(request) == {
        "content-type": "application/json",
        "x-trace": "1",
        "api-key": "sk-secret",
    }
    assert request.get_data() == ('{"messages":' + MESSAGES_JSON + ',"stream":false}').encode()


def test_azure_default_model_fills_a_missing_model(gen_ai, ok):
    url = ok.url_for(AZURE_PATH) + "?api-version=2024-02-01"
    cid = gen_ai.create("Azure OpenAI", url, defaultModel="gpt-4o")
    gen_ai.run(cid, "run", body='{"messages":[]}')
    assert only_request(ok).get_data() == b'{"messages":[],"stream":false,"model":"gpt-4o"}'


def test_other_gets_its_default_model_on_run_too(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH), defaultModel="llama-3")
    gen_ai.run(cid, "run", body='{"messages":[], "temperature": 0.0}')
    request = only_request(ok)
    assert request.get_data() == b'{"messages":[],"temperature":0,"stream":false,"model":"llama-3"}'
    assert header_map(request)["authorization"] == "Bearer sk-secret"


def test_urls_are_normalised_and_an_empty_body_becomes_an_empty_object(gen_ai, ok):
    messy = ok.url_for("//v1///chat/completions/")
    cid = gen_ai.create("OpenAI", messy)
    gen_ai.run(cid, "run", body="")
    request = only_request(ok)
    assert request.path == PATH
    assert request.get_data() == b"{}"


def test_a_body_that_is_not_json_is_sent_verbatim(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH))
    gen_ai.run(cid, "run", body="not { json")
    assert only_request(ok).get_data() == b"not { json"


def test_request_body_bytes_are_recorded(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH))
    gen_ai.run(cid, "run", body='{"messages":' + MESSAGES_JSON + "}")
    sent = only_request(ok).get_data()
    assert gen_ai.last_event(cid).request_body_bytes == len(sent)


def test_invoke_ai_sends_the_messages_and_options_in_order(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH))
    result = gen_ai.run(
        cid,
        "invokeAI",
        messages=MESSAGES,
        model="mistral",
        temperature=0.5,
        stop=["\n"],
        timeout=90000,
        telemetryMetadata={"pluginId": "security"},
        tool_choice="auto",  # no tools: stripped
    )
    assert result.status == "ok", result
    assert (
        only_request(ok).get_data()
        == (
            '{"messages":' + MESSAGES_JSON + ',"model":"mistral","temperature":0.5,'
            '"stop":["\\n"],"stream":false}'
        ).encode()
    )
    assert result.data == {"message": "Hello there!", "usage": USAGE}


def test_invoke_ai_keeps_tools_when_they_are_given(gen_ai, ok):
    cid = gen_ai.create("OpenAI", ok.url_for(PATH))
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    gen_ai.run(cid, "invokeAI", messages=MESSAGES, tools=tools, tool_choice="required")
    body = json.loads(only_request(ok).get_data())
    assert list(body) == ["messages", "tools", "tool_choice", "model"]


def test_stream_false_returns_json(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH))
    result = gen_ai.run(cid, "stream", body='{"messages":[]}')
    assert result.data["choices"][0]["message"]["content"] == "Hello there!"
    assert only_request(ok).get_data() == b'{"messages":[],"stream":false,"model":"local-model"}'


@pytest.mark.parametrize(
    ("provider", "path", "body"),
    [
        ("Other", PATH, '{"messages":' + MESSAGES_JSON + ',"stream":true,"model":"local-model"}'),
        ("OpenAI", PATH, '{"messages":' + MESSAGES_JSON + ',"model":"gpt-4.1"}'),
        (
            "Azure OpenAI",
            AZURE_PATH,
            '{"messages":'
            + MESSAGES_JSON
            + ',"stream":true,"stream_options":{"include_usage":true}}',
        ),
    ],
)
def test_invoke_stream_bodies_per_provider(gen_ai, upstream, provider, path, body):
    upstream.expect_request(path).respond_with_data(
        sse(chunk("Hi")), content_type="text/event-stream"
    )
    url = upstream.url_for(path) + ("?api-version=1" if provider == "Azure OpenAI" else "")
    cid = gen_ai.create(provider, url)
    result = gen_ai.run(cid, "invokeStream", messages=MESSAGES)
    assert b"".join(result.data).endswith(b"data: [DONE]\n\n")
    assert only_request(upstream).get_data() == body.encode()


def test_invoke_async_iterator_posts_to_the_sdk_endpoint(gen_ai, upstream):
    upstream.expect_request(PATH).respond_with_data(
        sse(chunk("Hi")), content_type="text/event-stream"
    )
    cid = gen_ai.create("Other", upstream.url_for("/v1"), headers={"X-A": "b"})
    result = gen_ai.run(cid, "invokeAsyncIterator", messages=MESSAGES, n=1, tool_choice="auto")
    assert [c["choices"][0]["delta"] for c in result.data] == [{"content": "Hi"}]
    request = only_request(upstream)
    assert request.path == PATH
    # no sanitising on this path: tool_choice stays, no stream_options; model from the config
    assert (
        request.get_data()
        == (
            '{"messages":' + MESSAGES_JSON + ',"n":1,"tool_choice":"auto","stream":true,'
            '"model":"local-model"}'
        ).encode()
    )
    assert connector_headers(request) == {
        "content-type": "application/json",
        "x-a": "b",
        "authorization": "Bearer sk-secret",
    }


def test_invoke_async_iterator_model_falls_back_to_the_constant(gen_ai, upstream):
    upstream.expect_request(AZURE_PATH).respond_with_data(sse(), content_type="text/event-stream")
    url = upstream.url_for(AZURE_PATH) + "?api-version=2024-02-01"
    cid = gen_ai.create("Azure OpenAI", url)
    assert list(gen_ai.run(cid, "invokeAsyncIterator", messages=MESSAGES, model="").data) == []
    request = only_request(upstream)
    assert request.query_string == b"api-version=2024-02-01"
    assert json.loads(request.get_data())["model"] == "gpt-4.1"
    assert header_map(request)["api-key"] == "sk-secret"


def test_unknown_sub_action_params_are_refused(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH))
    result = gen_ai.run(cid, "invokeAI", messages=MESSAGES, max_tokens=5)
    assert result.status == "error"
    assert result.service_message == (
        "Request validation failed (Error: [max_tokens]: definition for this key is missing)"
    )
    assert result.retry is False
    result = gen_ai.run(cid, "invokeAI", messages=[{"role": "user"}])
    assert result.service_message == (
        "Request validation failed (Error: [messages.0.content]: expected value of type [string] "
        "but got [undefined])"
    )
    result = gen_ai.run(cid, "getDashboard")
    assert "[dashboardId]: expected value of type [string]" in result.service_message
    result = gen_ai.run(cid, "whisper")
    assert result.service_message == (
        f'Sub action "whisper" is not registered. Connector id: {cid}. Connector name: OpenAI. '
        "Connector type: .gen-ai"
    )
    assert ok.requests() == []


def test_test_is_run(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH))
    ran = gen_ai.run(cid, "run", body='{"messages":[]}')
    tested = gen_ai.run(cid, "test", body='{"messages":[]}')
    assert tested.data == ran.data
    first, second = ok.requests()
    assert first.get_data() == second.get_data()


def test_params_without_a_sub_action_are_refused(gen_ai, ok):
    cid = gen_ai.create("Other", ok.url_for(PATH))
    result = gen_ai.actions.execute(cid, {"subActionParams": {}})
    assert result.status == "error"
    assert result.message == (
        "error validating action params: [subAction]: expected value of type [string] but got "
        "[undefined]"
    )
    assert result.retry is False
