"""The public test kit (``actions_core.testing``): what a plugin author's tests can rely on.

These tests use the kit's fixtures exactly as a third-party package does: pytest loads them
through the ``pytest11`` entry point of the installed actions-core.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import actions_core_plugins.server_log
import httpx
import pytest

import actions_core
from actions_core.testing import (
    TEST_ENCRYPTION_KEY,
    USAGE,
    FakeOpenAI,
    api_client,
    chunk,
    completion,
    make_actions,
)
from tests.support import TypesPlugin, echo_type

ROOT = Path(__file__).resolve().parents[1]
BUILTIN_TYPES = {".server-log", ".webhook", ".gen-ai"}


# --- importing the kit ----------------------------------------------------------------------

NO_TEST_PACKAGES = """
import importlib.abc, json, sys

BLOCKED = {"pytest", "_pytest", "pytest_httpserver", "werkzeug", "trustme", "httpx"}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed here")

sys.meta_path.insert(0, Block())
import actions_core.testing as kit
from actions_core.testing import make_actions

with make_actions(sys.argv[1]) as actions:
    log = actions.connectors.create(connector_type_id=".server-log", name="log")
    result = actions.execute(log.id, {"message": "hi"})
try:
    kit.FakeOpenAI
    servers = "imported"
except ImportError as err:
    servers = str(err)
print(json.dumps({"status": result.status, "servers": servers}))
"""


def test_the_kit_imports_and_makes_actions_without_pytest_or_the_testing_extra(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", NO_TEST_PACKAGES, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "ok"
    # the servers need the testing extra, and say so when it is missing
    assert "needs the testing extra (pip install 'actions-core[testing]')" in out["servers"]
    assert "is not installed here" in out["servers"]


def test_public_names_are_exported():
    import actions_core.testing as kit

    for name in kit.__all__:
        assert getattr(kit, name) is not None, name
    assert "make_actions" not in actions_core.__all__  # the kit is not part of actions_core


# --- make_actions ---------------------------------------------------------------------------


def test_make_actions_loads_every_installed_plugin_whatever_ACTIONS_PLUGINS_says(tmp_path):
    assert os.environ["ACTIONS_PLUGINS"] == "server-log"  # set by this project's conftest
    with make_actions(tmp_path) as actions:
        plugins = {t.id: t.plugin for t in actions.types()}
    assert set(plugins) >= BUILTIN_TYPES
    assert plugins[".webhook"] == "webhook"
    assert os.environ["ACTIONS_PLUGINS"] == "server-log"  # and the variable is left as it was


def test_make_actions_without_builtins_loads_only_the_given_plugins(tmp_path):
    with make_actions(tmp_path, plugins=[TypesPlugin(echo_type())], builtins=False) as actions:
        assert [(t.id, t.plugin) for t in actions.types()] == [(".echo", "test-plugin")]
    with make_actions(tmp_path / "none", builtins=False) as actions:
        assert actions.types() == []


def test_an_installed_plugin_also_given_in_plugins_is_registered_once_under_its_own_name(
    tmp_path,
):
    with make_actions(tmp_path, plugins=[actions_core_plugins.server_log]) as actions:
        plugins = {t.id: t.plugin for t in actions.types()}
    assert plugins[".server-log"] == "actions_core_plugins.server_log"
    assert plugins[".webhook"] == "webhook"


def test_make_actions_ignores_ACTIONS_settings_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", "an-environment-key-that-must-be-ignored")
    monkeypatch.setenv("ACTIONS_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ACTIONS_ALLOWED_HOSTS", "nowhere.test")
    with make_actions(tmp_path) as actions:
        assert actions.data_dir == tmp_path / "actions-data"
        assert actions.settings.actions.encryptionKey.get_secret_value() == TEST_ENCRYPTION_KEY
        assert actions.settings.actions.allowedHosts == ["*"]
    assert not (tmp_path / "elsewhere").exists()


def test_config_is_the_actions_mapping_and_the_store_survives_a_restart(tmp_path):
    config = {
        "allowedHosts": ["127.0.0.1"],
        "preconfigured": {"pre": {"name": "Pre", "actionTypeId": ".server-log"}},
    }
    with make_actions(tmp_path, config=config) as actions:
        assert actions.settings.actions.allowedHosts == ["127.0.0.1"]
        created = actions.connectors.create(
            connector_type_id=".webhook",
            name="hook",
            config={"url": "http://127.0.0.1:9/", "hasAuth": True},
            secrets={"user": "u", "password": "p4ss"},
        )
    with make_actions(tmp_path, config=config) as actions:  # the same store, the same key
        names = sorted(c.name for c in actions.connectors.list())
        assert names == ["Pre", "hook"]
        assert actions.connectors.get(created.id).name == "hook"


def test_the_encryption_key_can_be_overridden(tmp_path):
    key = "another-test-key-of-at-least-32-characters"
    with make_actions(tmp_path, config={"encryptionKey": key}) as actions:
        assert actions.settings.actions.encryptionKey.get_secret_value() == key


# --- the fixtures ---------------------------------------------------------------------------


def test_the_actions_fixture_has_every_installed_plugin(actions):
    assert {t.id for t in actions.types()} >= BUILTIN_TYPES
    assert actions.data_dir.name == "actions-data"


def test_actions_http_has_the_all_role_and_actions_http_read_the_read_role(
    actions, actions_http, actions_http_read
):
    body = {"name": "log", "connector_type_id": ".server-log"}
    created = actions_http.post("/api/actions/connector", json=body)
    assert created.status_code == 200, created.text
    connector_id = created.json()["id"]
    assert actions.connectors.get(connector_id).name == "log"  # the same store

    listed = actions_http_read.get("/api/actions/connectors")
    assert listed.status_code == 200
    assert connector_id in {c["id"] for c in listed.json()}
    refused = actions_http_read.post("/api/actions/connector", json=body)
    assert refused.status_code == 403

    executed = actions_http.post(
        f"/api/actions/connector/{connector_id}/_execute", json={"params": {"message": "hi"}}
    )
    assert executed.json()["status"] == "ok"
    [event] = actions.recent_events(connector_id, action="execute")
    assert event.user == f"api_key:{actions_http.api_key.key.id}"
    assert actions_http.api_key.key.name == "testing-all"
    assert actions_http.base_url.host == "127.0.0.1"


def test_api_client_without_a_key_is_refused(actions):
    with api_client(actions) as http:
        assert http.get("/api/actions/connectors").status_code == 200
        anonymous = http.get("/api/actions/connectors", headers={"Authorization": ""})
        assert anonymous.status_code == 401


# --- fake_openai ----------------------------------------------------------------------------

MESSAGES = [{"role": "user", "content": "Hi"}]


def post(fake: FakeOpenAI, body: dict, **kwargs) -> httpx.Response:
    return httpx.post(fake.url, json=body, headers={"Authorization": "Bearer k"}, **kwargs)


def events(response: httpx.Response) -> list:
    text = response.text
    assert text.endswith("data: [DONE]\n\n")
    parts = [p.removeprefix("data: ") for p in text.split("\n\n") if p]
    return [json.loads(p) for p in parts[:-1]]


def test_fake_openai_starts_clean_and_answers_with_a_completion_by_default(fake_openai):
    assert fake_openai.requests == [] and fake_openai.pending == 0
    assert fake_openai.url == fake_openai.base_url + "/chat/completions"
    assert fake_openai.url.startswith("http://127.0.0.1:")

    response = post(fake_openai, {"model": "gpt-x", "messages": MESSAGES}, timeout=5)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == completion("Hello there!", usage=USAGE, model="gpt-x")
    [request] = fake_openai.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer k"
    assert request.json == {"model": "gpt-x", "messages": MESSAGES}


def test_fake_openai_streams_by_default_when_asked_to(fake_openai):
    plain = post(fake_openai, {"messages": MESSAGES, "stream": True}, timeout=5)
    assert plain.headers["content-type"] == "text/event-stream"
    assert [c["choices"][0]["delta"]["content"] for c in events(plain)] == [
        "Hello",
        " there",
        "!",
    ]

    with_usage = post(
        fake_openai,
        {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}},
        timeout=5,
    )
    assert events(with_usage)[-1] == chunk(usage=USAGE)


def test_fake_openai_plays_scripted_answers_in_order(fake_openai):
    fake_openai.reply("first", usage=None, model="m1")
    fake_openai.fail(429, headers={"retry-after": "3"})
    fake_openai.stream(["a", {"id": "raw", "choices": []}, b"data: {broken\n\n"], usage=None)
    fake_openai.reply(body="not json", status=200)
    assert fake_openai.pending == 4

    first = post(fake_openai, {"messages": MESSAGES}, timeout=5)
    assert first.json() == completion("first", model="m1")
    limited = post(fake_openai, {"messages": MESSAGES}, timeout=5)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert limited.json()["error"]["type"] == "invalid_request_error"
    streamed = post(fake_openai, {"messages": MESSAGES}, timeout=5)  # scripted: streams anyway
    assert streamed.text == (
        'data: {"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": '
        '[{"index": 0, "delta": {"content": "a"}, "finish_reason": null}]}\n\n'
        'data: {"id": "raw", "choices": []}\n\n'
        "data: {broken\n\n"
        "data: [DONE]\n\n"
    )
    assert post(fake_openai, {"messages": MESSAGES}, timeout=5).text == "not json"
    assert fake_openai.pending == 0
    # the script is used up: the default answer again
    assert post(fake_openai, {"messages": MESSAGES}, timeout=5).json()["choices"]
    assert len(fake_openai.requests) == 5


def test_fake_openai_delays(fake_openai):
    fake_openai.reply("late", delay=0.4)
    started = time.monotonic()
    assert post(fake_openai, {"messages": MESSAGES}, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.4

    fake_openai.reply("never seen", delay=0.4)
    with pytest.raises(httpx.ReadTimeout):
        post(fake_openai, {"messages": MESSAGES}, timeout=0.1)

    fake_openai.stream(["x", "y", "z"], interval=0.2)
    with httpx.stream("POST", fake_openai.url, json={"stream": True}, timeout=5) as response:
        started = time.monotonic()
        arrivals = []
        for line in response.iter_lines():
            if line.startswith("data: {"):
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 4  # three deltas and the usage chunk
    assert arrivals[-1] - arrivals[0] >= 0.5  # each event after the first waited 0.2 s


def test_fake_openai_answers_other_paths_with_404_and_refuses_long_delays(fake_openai):
    response = httpx.get(fake_openai.base_url + "/models", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert [r.path for r in fake_openai.requests] == ["/v1/models"]
    with pytest.raises(ValueError, match="delays must be between"):
        fake_openai.reply(delay=3600)


def test_a_gen_ai_connector_talks_to_fake_openai(tmp_path, fake_openai):
    fake_openai.reply("Hi from the fake")
    with make_actions(tmp_path, config={"allowedHosts": ["127.0.0.1"]}) as actions:
        connector = actions.connectors.create(
            connector_type_id=".gen-ai",
            name="fake",
            config={"apiProvider": "Other", "apiUrl": fake_openai.url, "defaultModel": "local"},
            secrets={"apiKey": "sk-test"},
        )
        result = actions.execute(
            connector.id, {"subAction": "invokeAI", "subActionParams": {"messages": MESSAGES}}
        )
        assert result.status == "ok", result
        assert result.data["message"] == "Hi from the fake"
        streamed = actions.execute(
            connector.id,
            {"subAction": "invokeStream", "subActionParams": {"messages": MESSAGES}},
        )
        assert b"Hello" in b"".join(streamed.data)
        [_, invoked] = actions.recent_events(connector.id, action="execute")
    [first, second] = fake_openai.requests
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.json["model"] == "local"
    assert second.json["stream"] is True
    assert invoked.total_tokens == USAGE["total_tokens"]
    assert invoked.usage_estimated is False


def test_fake_openai_stops_within_bounds_even_mid_delay():
    with FakeOpenAI() as fake:
        fake.reply(delay=30)
        started = time.monotonic()
        with contextlib.suppress(httpx.ReadTimeout):
            httpx.post(fake.url, json={}, timeout=0.2)
    assert time.monotonic() - started < 5
