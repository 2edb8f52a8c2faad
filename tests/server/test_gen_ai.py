"""The ``.gen-ai`` (OpenAI) connector through the HTTP service, as the curl walk-through in
docs/http-api.md uses it: ``actions serve`` with the built-in ``openai`` plugin, against a
scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import concurrent.futures
import http.server
import importlib.util
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.support import RunningServer, clean_env, execute_events
from tests.server.test_kibana_contract import actions_command
from tests.server.upstream import ScriptedUpstream
from tests.servers import wait_until

MESSAGES = [{"role": "user", "content": "Say hello to Ada."}]


@pytest.fixture(scope="module")
def gen_ai(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str, Path]]:
    if importlib.util.find_spec("actions_core_plugins.openai") is None:
        pytest.skip("the .gen-ai plugin (plugins/openai) is not installed")
    workdir = tmp_path_factory.mktemp("gen-ai")
    env = clean_env(
        ACTIONS_DATA_DIR=str(workdir / "data"),
        ACTIONS_PLUGINS="server-log,openai",
        ACTIONS_ALLOWED_HOSTS="127.0.0.1",
    )
    command = [*actions_command(), "serve", "--host", "127.0.0.1", "--port", "0"]
    with ScriptedUpstream() as upstream:
        running = RunningServer(command, workdir, env)
        try:
            key = (workdir / "data" / "api-key").read_text().strip()
            created = _create_gen_ai(
                running,
                key,
                "local-llm",
                "Local LLM",
                upstream.url,
                "scripted",
                "sk-local-secret-1f2e",
            )
            assert "sk-local-secret-1f2e" not in created.text
            yield running, key, workdir / "data"
        finally:
            running.stop()


def _create_gen_ai(
    running: RunningServer, key: str, cid: str, name: str, base: str, model: str, api_key: str
) -> httpx.Response:
    """A ``.gen-ai`` connector (provider Other) for the OpenAI-compatible server at ``base``."""
    created = httpx.post(
        f"{running.url}/api/actions/connector/{cid}",
        headers={"Authorization": f"ApiKey {key}", "kbn-xsrf": "true"},
        json={
            "name": name,
            "connector_type_id": ".gen-ai",
            "config": {
                "apiProvider": "Other",
                "apiUrl": f"{base}/v1/chat/completions",
                "defaultModel": model,
            },
            "secrets": {"apiKey": api_key},
        },
        timeout=20,
    )
    assert created.status_code == 200, created.text
    return created


def _execute(running: RunningServer, key: str, params: dict) -> httpx.Response:
    return httpx.post(
        f"{running.url}/api/actions/connector/local-llm/_execute",
        headers={"Authorization": f"ApiKey {key}", "kbn-xsrf": "true"},
        json={"params": params},
        timeout=30,
    )


def test_invoke_ai_and_invoke_stream_through_the_service(gen_ai) -> None:
    running, key, data_dir = gen_ai
    answer = _execute(
        running, key, {"subAction": "invokeAI", "subActionParams": {"messages": MESSAGES}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ok"
    assert answer.json()["data"]["message"] == "Hello, Ada!"

    streamed = _execute(
        running, key, {"subAction": "invokeStream", "subActionParams": {"messages": MESSAGES}}
    )
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = [line for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    text = "".join(json.loads(e[6:])["choices"][0]["delta"]["content"] for e in events[:-1])
    assert text == "Hello, Ada!"

    records = wait_until(
        lambda: (
            len(execute_events(data_dir / "actions.sqlite3", "local-llm")) >= 2
            and execute_events(data_dir / "actions.sqlite3", "local-llm")
        )
    )
    assert records[0]["total_tokens"] == 8 and not records[0]["usage_estimated"]
    assert records[1]["usage_estimated"]  # invokeStream is always counted locally (Kibana)
    assert all(r["user"].startswith("api_key:") for r in records)

    usage = httpx.get(
        f"{running.url}/api/actions/connector/local-llm/_usage?from=now-1h&interval=hour",
        headers={"Authorization": f"ApiKey {key}"},
        timeout=20,
    ).json()
    assert usage["totals"]["executions"] == 2
    assert usage["totals"]["reported_total_tokens"] == 8
    assert usage["by_api_key"][0]["name"] == "initial"


def test_invoke_async_iterator_over_http_ends_with_done_like_invoke_stream(gen_ai) -> None:
    """Parsed chunks become ``data: <json>`` events, then the ``[DONE]`` that ends the
    provider's own stream (``invokeStream``): one way to read both."""
    running, key, _ = gen_ai
    params = {"subAction": "invokeAsyncIterator", "subActionParams": {"messages": MESSAGES}}
    streamed = _execute(running, key, params)
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = [line for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert events.count("data: [DONE]") == 1
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hello, Ada!"


def test_get_dashboard_returns_the_usage_page(gen_ai) -> None:
    running, key, _ = gen_ai
    result = _execute(
        running, key, {"subAction": "getDashboard", "subActionParams": {"dashboardId": "x"}}
    ).json()
    assert result["status"] == "ok"
    assert result["data"]["available"] is True
    assert result["data"]["url"] == f"{running.url}/app/connectors/local-llm/usage"


class _GatedCompletions(http.server.BaseHTTPRequestHandler):
    """Answers a chat completion only once ``server.gate`` requests are open at once."""

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            self.server.gate.wait()  # type: ignore[attr-defined]
            usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
            status, body = 200, {"id": "c", "model": "gated", "choices": [], "usage": usage}
        except threading.BrokenBarrierError:  # fewer arrived before the barrier's timeout
            status, body = 503, {"error": {"message": "not enough requests in flight"}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_the_service_holds_more_completions_in_flight_than_it_has_threads(gen_ai) -> None:
    """``run`` is awaited on the service's loop: more completions wait for their upstream at
    once than the 40 worker threads per process a blocking execution would each hold."""
    from actions_core.server.serve import default_workers

    running, key, _ = gen_ai
    count = 40 * default_workers() + 20  # the fixture serves with the default worker count
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GatedCompletions)
    upstream.gate = threading.Barrier(count, timeout=20)  # type: ignore[attr-defined]
    upstream.daemon_threads = True
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    headers = {"Authorization": f"ApiKey {key}", "kbn-xsrf": "true"}
    try:
        gated = f"http://127.0.0.1:{upstream.server_port}"
        _create_gen_ai(running, key, "gated", "Gated", gated, "gated", "sk-gated")
        body = {"params": {"subAction": "run", "subActionParams": {"body": "{}"}}}
        url = f"{running.url}/api/actions/connector/gated/_execute"
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            answers = list(
                pool.map(
                    lambda _: httpx.post(url, headers=headers, json=body, timeout=60),
                    range(count),
                )
            )
    finally:
        upstream.shutdown()
        upstream.server_close()
    statuses = [answer.json()["status"] for answer in answers]
    assert statuses == ["ok"] * count, answers[0].text
