"""Streams: untouched pass-through, no buffering, early close, drops, stalls and usage (§9, §11)."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from actions_core_plugins.openai import aiter_stream
from actions_core_plugins.openai.tokens import (
    completion_tokens_from_message,
    count_tokens,
    messages_prompt_tokens,
    stream_messages_prompt_tokens,
)
from werkzeug import Response

from tests.plugins.openai.support import (
    WAIT,
    RawServer,
    chunk,
    chunked_head,
    http_chunk,
    sse,
)

PATH = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Tell me a story"}]
BODY = json.dumps({"messages": MESSAGES})
USAGE = {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23}


def serve_sse(upstream, body: bytes, path: str = PATH) -> None:
    upstream.expect_request(path).respond_with_data(body, content_type="text/event-stream")


def usage_of(event):
    return (event.prompt_tokens, event.completion_tokens, event.total_tokens, event.usage_estimated)


def test_stream_passes_sse_through_untouched_and_uses_the_usage_chunk(gen_ai, upstream):
    body = sse(chunk("Once"), chunk(" upon"), chunk(usage=USAGE)) + b": keep-alive comment\n\n"
    serve_sse(upstream, body)
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    result = gen_ai.run(cid, "stream", body=BODY, stream=True)
    assert result.status == "ok"
    assert b"".join(result.data) == body
    assert usage_of(gen_ai.last_event(cid)) == (20, 3, 23, False)


def test_stream_without_usage_estimates_from_the_original_body(gen_ai, upstream):
    serve_sse(upstream, sse(chunk("Single")))
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    b"".join(gen_ai.run(cid, "stream", body=BODY, stream=True).data)
    prompt = messages_prompt_tokens(MESSAGES)
    completion = completion_tokens_from_message("Single", "", "")
    assert completion == 5
    assert usage_of(gen_ai.last_event(cid)) == (prompt, completion, prompt + completion, True)


def test_stream_counts_function_calls(gen_ai, upstream):
    serve_sse(
        upstream,
        sse(
            chunk(function_call={"name": "get_", "arguments": ""}),
            chunk(function_call={"name": "weather", "arguments": "{}"}),
        ),
    )
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    functions = [{"name": "get_weather", "description": "d", "parameters": {}}]
    body = json.dumps({"messages": MESSAGES, "functions": functions})
    b"".join(gen_ai.run(cid, "stream", body=body, stream=True).data)
    event = gen_ai.last_event(cid)
    assert event.completion_tokens == completion_tokens_from_message("", "get_weather", "{}")
    assert event.prompt_tokens > messages_prompt_tokens(MESSAGES)


def test_invoke_stream_estimates_with_its_own_formula(gen_ai, upstream):
    serve_sse(upstream, sse(chunk("Hello"), chunk(" world")))
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    b"".join(gen_ai.run(cid, "invokeStream", messages=MESSAGES).data)
    prompt, completion = stream_messages_prompt_tokens(MESSAGES), count_tokens("Hello world")
    assert usage_of(gen_ai.last_event(cid)) == (prompt, completion, prompt + completion, True)


def test_invoke_stream_uses_a_usage_chunk_when_the_provider_sends_one(gen_ai, upstream):
    serve_sse(upstream, sse(chunk("Hi"), chunk(usage=USAGE)))
    cid = gen_ai.create("OpenAI", upstream.url_for(PATH))
    b"".join(gen_ai.run(cid, "invokeStream", messages=MESSAGES).data)
    assert usage_of(gen_ai.last_event(cid)) == (20, 3, 23, False)


def test_invoke_async_iterator_yields_chunk_dicts_and_estimates(gen_ai, upstream):
    serve_sse(
        upstream, sse(chunk(role="assistant"), chunk("Hel"), chunk("lo")) + b"data: ignored\n\n"
    )
    cid = gen_ai.create("Other", upstream.url_for("/v1"))
    chunks = list(gen_ai.run(cid, "invokeAsyncIterator", messages=MESSAGES).data)
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant"},
        {"content": "Hel"},
        {"content": "lo"},
    ]  # nothing after [DONE]
    prompt, completion = messages_prompt_tokens(MESSAGES), count_tokens("Hello")
    assert usage_of(gen_ai.last_event(cid)) == (prompt, completion, prompt + completion, True)


def test_invoke_async_iterator_reads_multi_line_and_crlf_events(gen_ai, upstream):
    first = json.dumps(chunk("a"), indent=1).replace("\n", "\ndata: ")
    body = ("data: " + first + "\r\n\r\n").encode() + b"data: " + json.dumps(chunk("b")).encode()
    serve_sse(upstream, body)
    cid = gen_ai.create("Other", upstream.url_for("/v1"))
    chunks = list(gen_ai.run(cid, "invokeAsyncIterator", messages=MESSAGES).data)
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["a", "b"]


def test_an_error_event_in_the_stream_fails_the_execution(gen_ai, upstream):
    serve_sse(upstream, sse(chunk("a"), {"error": {"message": "overloaded"}}))
    cid = gen_ai.create("Other", upstream.url_for("/v1"))
    stream = gen_ai.run(cid, "invokeAsyncIterator", messages=MESSAGES).data
    assert next(stream)["choices"][0]["delta"] == {"content": "a"}
    with pytest.raises(Exception, match="API Error: overloaded"):
        next(stream)
    assert gen_ai.last_event(cid).outcome == "failure"


def test_async_iteration(gen_ai, upstream):
    serve_sse(upstream, sse(chunk("x"), chunk("y")))
    cid = gen_ai.create("Other", upstream.url_for("/v1"))
    stream = gen_ai.run(cid, "invokeAsyncIterator", messages=MESSAGES).data

    async def collect():
        return [c["choices"][0]["delta"]["content"] async for c in aiter_stream(stream)]

    assert asyncio.run(collect()) == ["x", "y"]
    assert gen_ai.last_event(cid).outcome == "success"


# --- no buffering, early close, drops, stalls ----------------------------------------------


def test_the_first_bytes_reach_the_caller_before_the_upstream_finishes(gen_ai, upstream):
    first_seen = threading.Event()

    def handler(request):
        def generate():
            yield sse(chunk("first"), done=False)
            # the rest is only sent once the caller has the first chunk: buffering would hang
            if not first_seen.wait(WAIT):
                yield b"data: too late\n\n"
            yield sse(chunk("second"))

        return Response(generate(), content_type="text/event-stream")

    upstream.expect_request(PATH).respond_with_handler(handler)
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    for sub_action, params in (
        ("invokeStream", {"messages": MESSAGES}),
        ("stream", {"body": BODY, "stream": True}),
    ):
        first_seen.clear()
        upstream.clear_log()
        started = time.monotonic()
        stream = gen_ai.run(cid, sub_action, **params).data
        received = next(stream)
        assert b"first" in received and b"second" not in received
        first_seen.set()
        rest = b"".join(stream)
        assert b"second" in rest and b"too late" not in rest
        assert time.monotonic() - started < WAIT


def test_closing_the_stream_early_releases_the_upstream_connection(gen_ai):
    released = threading.Event()

    def script(conn, request):
        conn.sendall(chunked_head() + http_chunk(sse(chunk("one"), done=False)))
        conn.settimeout(WAIT)
        while conn.recv(1024):  # until the client closes its end
            pass
        released.set()

    with RawServer(script) as server:
        cid = gen_ai.create("Other", server.url())
        stream = gen_ai.run(cid, "invokeStream", messages=MESSAGES).data
        assert b"one" in next(stream)
        stream.close()
        assert released.wait(WAIT)
    event = gen_ai.last_event(cid)
    assert event.outcome == "success"
    assert "stream closed by the caller after 1 chunks" in event.message
    assert event.usage_estimated is True
    assert event.completion_tokens == count_tokens("one")


@pytest.mark.parametrize("sub_action", ["invokeStream", "invokeAsyncIterator"])
def test_closing_before_the_first_read_releases_the_connection_too(gen_ai, sub_action):
    released = threading.Event()

    def script(conn, request):
        conn.sendall(chunked_head() + http_chunk(sse(chunk("one"), done=False)))
        conn.settimeout(WAIT)
        while conn.recv(1024):
            pass
        released.set()

    with RawServer(script) as server:
        path = "/v1/chat/completions" if sub_action == "invokeStream" else "/v1"
        cid = gen_ai.create("Other", server.url(path))
        result = gen_ai.run(cid, sub_action, messages=MESSAGES)
        result.data.close()
        assert released.wait(WAIT)
    event = gen_ai.last_event(cid)
    assert "stream closed by the caller after 0 chunks" in event.message
    assert event.usage_estimated is True and event.completion_tokens == 0


def test_an_upstream_that_drops_mid_stream_ends_with_a_clear_error(gen_ai):
    def script(conn, request):
        conn.sendall(chunked_head() + http_chunk(sse(chunk("partial"), done=False)))
        # and close without the terminating chunk

    with RawServer(script) as server:
        for sub_action in ("invokeStream", "invokeAsyncIterator"):
            url = server.url() if sub_action == "invokeStream" else server.url("/v1")
            cid = gen_ai.create("Other", url)
            stream = gen_ai.run(cid, sub_action, messages=MESSAGES).data
            with pytest.raises(Exception) as info:
                list(stream)
            assert "Stream interrupted after" in str(info.value)
            assert "closed the connection before the response was complete" in str(info.value)
            event = gen_ai.last_event(cid)
            assert event.outcome == "failure"
            assert "Stream interrupted" in event.error_message
            assert event.completion_tokens == count_tokens("partial")


def test_an_upstream_that_stalls_mid_stream_times_out(gen_ai_factory):
    gen_ai = gen_ai_factory(responseTimeout="1s")
    stopping = threading.Event()

    def script(conn, request):
        conn.sendall(chunked_head() + http_chunk(sse(chunk("slow"), done=False)))
        stopping.wait(WAIT)

    with RawServer(script) as server:
        cid = gen_ai.create("Other", server.url())
        stream = gen_ai.run(cid, "invokeStream", messages=MESSAGES).data
        assert b"slow" in next(stream)
        started = time.monotonic()
        with pytest.raises(
            Exception,
            match=r"sent nothing for longer than the timeout \(timeout of 1000ms exceeded\)",
        ):
            next(stream)
        assert 0.9 <= time.monotonic() - started < WAIT
        stopping.set()
    assert gen_ai.last_event(cid).outcome == "failure"


def test_max_content_length_limits_a_stream(gen_ai, upstream):
    body = sse(*(chunk("x" * 100) for _ in range(50)))
    # chunked, no Content-Length: the limit is hit while streaming
    upstream.expect_request(PATH).respond_with_handler(
        lambda request: Response(iter([body[:600], body[600:]]), content_type="text/event-stream")
    )
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    stream = gen_ai.run(cid, "invokeStream", messages=MESSAGES, maxContentLength=1000).data
    with pytest.raises(Exception, match="maxContentLength size of 1000 exceeded") as info:
        b"".join(stream)
    assert str(info.value).startswith("Stream interrupted after 600 bytes: ")
    assert gen_ai.last_event(cid).outcome == "failure"


def test_max_content_length_refuses_a_declared_larger_stream_up_front(gen_ai, upstream):
    serve_sse(upstream, sse(*(chunk("x" * 100) for _ in range(50))))  # with Content-Length
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    result = gen_ai.run(cid, "invokeStream", messages=MESSAGES, maxContentLength=1000)
    assert result.status == "error"
    assert result.service_message.startswith(
        "Status code: undefined. Message: Unexpected API Error: ERR_BAD_RESPONSE - "
        "maxContentLength size of 1000 exceeded"
    )


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps({"id": "x", "choices": []}).encode()),
        ("text/html; charset=utf-8", b"<html><body>Sign in to the proxy</body></html>"),
    ],
)
def test_invoke_stream_refuses_a_200_body_that_is_not_an_event_stream(
    gen_ai, upstream, content_type, body
):
    upstream.expect_request(PATH).respond_with_data(body, content_type=content_type)
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    result = gen_ai.run(cid, "invokeStream", messages=MESSAGES)
    assert result.status == "error"
    media = content_type.split(";")[0]
    assert result.service_message == (
        f"Response validation failed (Error: expected a text/event-stream response but got "
        f"[{media}])"
    )
    event = gen_ai.last_event(cid)
    assert event.outcome == "failure"
    assert body.decode() not in str(result) + str(event.error_message)


def test_invoke_stream_accepts_an_event_stream_with_parameters(gen_ai, upstream):
    body = sse(chunk("Hi"))
    upstream.expect_request(PATH).respond_with_data(
        body, content_type="text/event-stream; charset=utf-8"
    )
    cid = gen_ai.create("Other", upstream.url_for(PATH))
    result = gen_ai.run(cid, "invokeStream", messages=MESSAGES)
    assert result.status == "ok"
    assert b"".join(result.data) == body
