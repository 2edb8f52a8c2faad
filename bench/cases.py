"""The measured calls: each case is a zero-argument callable doing one complete request.

Non-streamed cases return nothing; streamed cases return ``(first_chunk_s, total_s)`` so the
runner can report time to first chunk and time to consume all 200 chunks.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import requests
from endpoint import MODEL

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France? Answer in two sentences."},
]
PAYLOAD = {"model": MODEL, "messages": MESSAGES, "temperature": 0}
PAYLOAD_TEXT = json.dumps(PAYLOAD)
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)

Call = Callable[[], Any]


def raw_socket(base: str, path: str) -> Call:
    """The floor of the floor: one keep-alive socket, a prebuilt request, a parsed length."""
    host, port = base.removeprefix("http://").split(":")
    body = PAYLOAD_TEXT.encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer sk-bench\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call() -> None:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        match = _LENGTH.search(head)
        length = int(match.group(1)) if match else 0
        while len(rest) < length:
            rest += sock.recv(65536)
        json.loads(rest)

    return call


def bare_requests(url: str) -> Call:
    session = requests.Session()

    def call() -> None:
        session.post(url, data=PAYLOAD_TEXT, headers=HEADERS).json()

    return call


def execute(actions: Any, connector_id: str, params: dict[str, Any]) -> Call:
    def call() -> None:
        result = actions.execute(connector_id, params)
        if result.status != "ok":
            raise RuntimeError(f"{result.message}: {result.service_message}")

    return call


def run_params() -> dict[str, Any]:
    return {"subAction": "run", "subActionParams": {"body": PAYLOAD_TEXT}}


def invoke_params(sub_action: str = "invokeAI") -> dict[str, Any]:
    return {"subAction": sub_action, "subActionParams": {"messages": MESSAGES, "temperature": 0}}


def openai_sdk(base_v1: str) -> Call:
    import openai

    client = openai.OpenAI(base_url=base_v1, api_key="sk-bench", max_retries=0)

    def call() -> None:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0)

    return call


def litellm_completion(base_v1: str) -> Call:
    import litellm

    def call() -> None:
        litellm.completion(
            model=f"openai/{MODEL}",
            messages=MESSAGES,
            temperature=0,
            api_base=base_v1,
            api_key="sk-bench",
        )

    return call


def http_service(base: str, connector_id: str, api_key: str) -> Call:
    session = requests.Session()
    url = f"{base}/api/actions/connector/{connector_id}/_execute"
    headers = {
        "Authorization": f"ApiKey {api_key}",
        "kbn-xsrf": "bench",
        "Content-Type": "application/json",
    }
    body = json.dumps({"params": run_params()})

    def call() -> None:
        response = session.post(url, data=body, headers=headers)
        if response.status_code != 200 or response.json()["status"] != "ok":
            raise RuntimeError(response.text[:300])

    return call


# --- streaming: each returns (time to first chunk, time to the end), in seconds ---


def _timed(iterable_factory: Callable[[], Any]) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    count = 0
    iterator = iterable_factory()
    for _ in iterator:
        if first is None:
            first = time.perf_counter() - started
        count += 1
    total = time.perf_counter() - started
    if not count:
        raise RuntimeError("the stream was empty")
    return first or total, total


def stream_requests(url: str) -> Call:
    session = requests.Session()
    body = json.dumps({**PAYLOAD, "stream": True})

    def lines() -> Any:
        response = session.post(url, data=body, headers=HEADERS, stream=True)
        yield from (line for line in response.iter_lines() if line)
        response.close()

    return lambda: _timed(lines)


def stream_execute(actions: Any, connector_id: str, params: dict[str, Any]) -> Call:
    def chunks() -> Any:
        result = actions.execute(connector_id, params)
        if result.status != "ok":
            raise RuntimeError(f"{result.message}: {result.service_message}")
        return result.data

    return lambda: _timed(chunks)


def stream_params() -> dict[str, Any]:
    body = json.dumps({**PAYLOAD, "stream": True})
    return {"subAction": "stream", "subActionParams": {"body": body, "stream": True}}


def stream_openai_sdk(base_v1: str) -> Call:
    import openai

    client = openai.OpenAI(base_url=base_v1, api_key="sk-bench", max_retries=0)

    def chunks() -> Any:
        return client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )

    return lambda: _timed(chunks)


def stream_litellm(base_v1: str) -> Call:
    import litellm

    def chunks() -> Any:
        return litellm.completion(
            model=f"openai/{MODEL}",
            messages=MESSAGES,
            temperature=0,
            api_base=base_v1,
            api_key="sk-bench",
            stream=True,
        )

    return lambda: _timed(chunks)
