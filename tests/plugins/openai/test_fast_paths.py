"""Shortcuts that must not change a byte: the SSE tally that reads what it is fed later, in one
go (the JSON fast paths are tested in tests/_js/test_json.py)."""

from __future__ import annotations

import json

import pytest
from actions_core_plugins.openai.streaming import SseTally


def _sse(*chunks: dict) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]"


def test_the_tally_reads_what_it_was_fed_when_asked():
    body = _sse(
        {"model": "m1", "choices": [{"delta": {"content": "Hel"}}]},
        {"model": "m2", "choices": [{"delta": {"content": "lo"}}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
    )
    tally = SseTally()
    for i in range(0, len(body), 7):  # split anywhere, even inside a line
        tally.feed(body[i : i + 7])
    assert tally.bytes == len(body)
    assert tally.content == "Hello"
    assert tally.model == "m2"
    assert tally.usage == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    tally.finish()
    assert tally.content == "Hello"


def test_the_tally_reads_long_streams_as_they_go(monkeypatch):
    from actions_core_plugins.openai import streaming

    monkeypatch.setattr(streaming, "_MAX_UNREAD", 100)
    tally = SseTally()
    line = _sse({"choices": [{"delta": {"content": "x"}}]}).removesuffix(b"data: [DONE]")
    for _ in range(20):
        tally.feed(line)
    assert tally._unread_size <= 100 + len(line)
    assert tally.content == "x" * 20


def _sse(*chunks, done=True, terminated=True):
    lines = [f"data: {json.dumps(c)}" for c in chunks] + (["data: [DONE]"] if done else [])
    text = "\n\n".join(lines) + ("\n\n" if terminated else "")
    return text.encode()


def _chunk(content=None, model="m1", usage=None, **extra):
    chunk = {"object": "chat.completion.chunk", **extra}
    if model is not None:
        chunk["model"] = model
    chunk["choices"] = [{"delta": {"content": content}}] if content is not None else []
    if usage is not None:
        chunk["usage"] = usage
    return chunk


USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def _read_everything_first(data: bytes) -> tuple:
    tally = SseTally()
    tally.feed(data)
    tally.finish()
    content = tally.content  # forces reading every line
    return tally.usage, tally.model, content


def _usage_first(data: bytes, pieces: int = 3) -> tuple:
    tally = SseTally()
    step = max(1, len(data) // pieces)
    for start in range(0, len(data), step):
        tally.feed(data[start : start + step])
    tally.finish()
    usage, model = tally.usage, tally.model
    return usage, model, tally.content


@pytest.mark.parametrize(
    "data",
    [
        _sse(_chunk("Hel"), _chunk("lo"), _chunk(model="m2", usage=USAGE)),
        _sse(_chunk("a"), _chunk(model="m2", usage=USAGE), _chunk("b", model="m3")),
        _sse(_chunk("a", model="m9"), _chunk(model=None, usage=USAGE)),
        _sse(_chunk('"usage": {}'), _chunk("x", usage=USAGE), done=False, terminated=False),
        _sse(_chunk("a", usage={"total_tokens": 1}), _chunk("b", usage=USAGE)),
        _sse(_chunk("no usage at all"), _chunk("!")),
        _sse({"object": "other", "usage": USAGE, "model": "zz"}, _chunk("a", model="m1")),
    ],
    ids=["last", "model-after-usage", "model-before", "unterminated", "two", "none", "other"],
)
def test_finding_usage_from_the_end_gives_what_reading_everything_gives(data):
    assert _usage_first(data) == _read_everything_first(data)


def test_with_usage_in_the_last_chunk_the_content_chunks_are_not_parsed(monkeypatch):
    from actions_core_plugins.openai import streaming

    parsed = []
    real_loads = streaming.json.loads

    def counting_loads(text, *args, **kwargs):
        parsed.append(text)
        return real_loads(text, *args, **kwargs)

    monkeypatch.setattr(streaming.json, "loads", counting_loads)
    tally = SseTally()
    tally.feed(_sse(*[_chunk(f"w{i} ") for i in range(200)], _chunk(usage=USAGE)))
    tally.finish()
    assert tally.usage == USAGE
    assert len(parsed) == 1
