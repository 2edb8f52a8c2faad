"""End to end against a real OpenAI-compatible model server: llama-cpp-python serving SmolLM2-135M.

The server and the model are installed by ``scripts/llama-server-setup`` (``scripts/test`` runs
it and sets ``LLAMA_SERVER_REQUIRED=1``, so a missing install fails there instead of skipping).
Marked slow: ``scripts/test --fast`` leaves them out.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator

import pytest
from actions_core_plugins.openai import aiter_stream

from tests.model_server import MODEL_ALIAS, ModelServer, ModelServerError, missing

pytestmark = pytest.mark.slow

PROMPT = [{"role": "user", "content": "Say hello to Ada in one short sentence."}]


@pytest.fixture(scope="module")
def llama(tmp_path_factory) -> Iterator[ModelServer]:
    """The model server on a free loopback port; stopped after the module."""
    problem = missing()
    if problem:
        if os.environ.get("LLAMA_SERVER_REQUIRED") == "1":
            pytest.fail(f"{problem}: run scripts/llama-server-setup")
        pytest.skip(f"{problem}: run scripts/llama-server-setup")
    server = ModelServer(tmp_path_factory.mktemp("llama") / "server.log")
    try:
        server.start()
    except ModelServerError as err:
        server.stop()
        pytest.fail(str(err))
    yield server
    server.stop()


@pytest.fixture
def local(gen_ai_factory, llama):
    """A ``.gen-ai`` connector of provider Other on the local model server.

    A server that crashed is reported as a crash (exit status and log tail), before and after
    each test, instead of surfacing as the connector's connection error.
    """
    llama.raise_if_dead("before the test")
    gen_ai = gen_ai_factory(responseTimeout="60s")
    cid = gen_ai.create(
        "Other",
        f"{llama.url}/v1/chat/completions",
        secrets={"apiKey": "not-needed-locally"},
        defaultModel=MODEL_ALIAS,
    )
    yield gen_ai, cid
    crashed = llama.died()
    if crashed:
        pytest.fail(f"during the test, {crashed}")


def _timed(stream) -> list[tuple[float, object]]:
    return [(time.monotonic(), item) for item in stream]


def _sse_text(data: bytes) -> str:
    text = []
    for line in data.decode().splitlines():
        if line.startswith("data: ") and not line.endswith("[DONE]"):
            delta = json.loads(line[6:])["choices"][0]["delta"]
            text.append(delta.get("content") or "")
    return "".join(text)


def test_run_returns_real_text_and_records_the_reported_usage(local):
    gen_ai, cid = local
    body = json.dumps({"messages": PROMPT, "max_tokens": 24, "temperature": 0})
    result = gen_ai.run(cid, "run", body=body)
    assert result.status == "ok", result
    text = result.data["choices"][0]["message"]["content"]
    assert isinstance(text, str) and text.strip()
    usage = result.data["usage"]
    event = gen_ai.last_event(cid)
    assert event.outcome == "success"
    assert (event.prompt_tokens, event.completion_tokens, event.total_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
        usage["total_tokens"],
    )
    assert event.usage_estimated is False
    assert event.prompt_tokens > 0 and event.completion_tokens > 0


def test_invoke_ai_returns_a_message(local):
    gen_ai, cid = local
    result = gen_ai.run(cid, "invokeAI", messages=PROMPT, temperature=0, stop=["\n"])
    assert result.status == "ok", result
    assert result.data["message"].strip()
    assert result.data["usage"]["completion_tokens"] > 0
    assert gen_ai.last_event(cid).usage_estimated is False


def test_stream_arrives_incrementally_with_estimated_usage(local):
    gen_ai, cid = local
    body = json.dumps({"messages": PROMPT, "max_tokens": 24, "temperature": 0})
    result = gen_ai.run(cid, "stream", body=body, stream=True)
    assert result.status == "ok", result
    pieces = _timed(result.data)
    assert len(pieces) > 2, "the SSE body came in one piece: it was buffered"
    assert pieces[-1][0] > pieces[0][0]
    text = _sse_text(b"".join(piece for _, piece in pieces))  # type: ignore[misc]
    assert text.strip()
    event = gen_ai.last_event(cid)
    assert event.outcome == "success"
    assert event.usage_estimated is True  # this server sends no usage chunk
    assert event.prompt_tokens > 0 and event.completion_tokens > 0


def test_invoke_stream_arrives_incrementally_with_estimated_usage(local):
    gen_ai, cid = local
    result = gen_ai.run(cid, "invokeStream", messages=PROMPT, temperature=0, stop=["\n"])
    pieces = _timed(result.data)
    assert len(pieces) > 2
    assert _sse_text(b"".join(piece for _, piece in pieces)).strip()  # type: ignore[misc]
    event = gen_ai.last_event(cid)
    assert event.usage_estimated is True
    assert event.completion_tokens > 0


def test_invoke_async_iterator_yields_chunks_with_estimated_usage(local):
    gen_ai, cid = local
    result = gen_ai.run(cid, "invokeAsyncIterator", messages=PROMPT, temperature=0, stop=["\n"])
    chunks = [c for _, c in _timed(result.data)]
    assert len(chunks) > 2
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text.strip()
    event = gen_ai.last_event(cid)
    assert event.usage_estimated is True
    assert event.completion_tokens > 0


def test_invoke_async_iterator_from_asyncio(local):
    gen_ai, cid = local
    result = gen_ai.run(cid, "invokeAsyncIterator", messages=PROMPT, temperature=0, stop=["\n"])

    async def collect() -> str:
        parts = []
        async for chunk in aiter_stream(result.data):
            if chunk["choices"]:
                parts.append(chunk["choices"][0]["delta"].get("content") or "")
        return "".join(parts)

    assert asyncio.run(collect()).strip()
    assert gen_ai.last_event(cid).outcome == "success"
