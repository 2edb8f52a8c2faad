"""The executor boundary: whatever a plugin's executor does, Python, CLI and HTTP say the same.

Each case runs through the three interfaces (``interface`` is parametrised): ``actions.execute``,
``actions execute --json`` (click's CliRunner on the real command) and ``POST …/_execute`` on the
service's app (in process, with an API key). Every case also checks the event log: an
``execute-start`` always has its ``execute``, with the outcome the caller was told.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import actions_core
import actions_core.cli as cli_module
from actions_core import Actions, ActionType
from actions_core.server import ApiKeyStore, create_app
from tests.servers import wait_until
from tests.support import KEY, TypesPlugin

SECRET = "s3cret-token-value-9d2f"
RUN_FAILED = "an error occurred while running the action"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CLOSED_PORT = _closed_port()  # nothing listens there: connections are refused
PLUGIN = "test-plugin"


class Opaque:
    """A value JSON cannot represent."""


def _set(ctx: actions_core.ExecutionContext) -> Any:
    return {"tags": {"a"}}


def _bytes(ctx: actions_core.ExecutionContext) -> Any:
    return b"raw"


def _object(ctx: actions_core.ExecutionContext) -> Any:
    return {"items": [1, Opaque()]}


def _nan(ctx: actions_core.ExecutionContext) -> Any:
    return {"score": float("nan")}


def _key_error(ctx: actions_core.ExecutionContext) -> Any:
    return {}["missing"]


def _leaky(ctx: actions_core.ExecutionContext) -> Any:
    raise RuntimeError(f"the upstream refused the token {ctx.secrets['token']}")


def _leaky_execution_error(ctx: actions_core.ExecutionContext) -> Any:
    raise actions_core.ExecutionError(f"bad token {ctx.secrets['token']}", retry=False)


async def _async_data(ctx: actions_core.ExecutionContext) -> Any:
    await asyncio.sleep(0)
    return {"answer": 42, "params": ctx.params}


async def _async_not_json(ctx: actions_core.ExecutionContext) -> Any:
    await asyncio.sleep(0)
    return {"when": Opaque()}


async def _async_raises(ctx: actions_core.ExecutionContext) -> Any:
    await asyncio.sleep(0)
    raise ValueError("bad answer")


async def _async_stream(ctx: actions_core.ExecutionContext) -> AsyncIterator[Any]:
    for n in range(3):
        await asyncio.sleep(0)
        yield {"n": n}
    ctx.report_usage(prompt_tokens=2, completion_tokens=3)


async def _async_stream_fails(ctx: actions_core.ExecutionContext) -> AsyncIterator[Any]:
    yield {"n": 0}
    raise KeyError("gone")


async def _async_returns_stream(ctx: actions_core.ExecutionContext) -> Any:
    async def chunks() -> AsyncIterator[Any]:
        yield "data: one\n\n"
        yield "data: two\n\n"

    return chunks()


def _unreachable(ctx: actions_core.ExecutionContext) -> Any:
    """Lets ``ctx.http``'s RequestError through (a closed port on 127.0.0.1)."""
    return ctx.http.request("GET", f"http://127.0.0.1:{CLOSED_PORT}/").text


def _catches_request_errors(ctx: actions_core.ExecutionContext) -> Any:
    """Catches the whole family with one class, as the built-in plugins do."""
    try:
        return ctx.http.request("GET", f"http://127.0.0.1:{CLOSED_PORT}/").text
    except actions_core.RequestError as err:
        return {"code": err.code, "retry": err.retry, "source": err.error_source}


def _bad_chunk(ctx: actions_core.ExecutionContext) -> Iterator[Any]:
    def chunks() -> Iterator[Any]:
        yield {"n": 0}
        yield b"data: bytes pass through\n\n"
        yield {"n": {1, 2}}
        yield {"n": "never sent"}

    return chunks()


def _type(type_id: str, executor: Callable[..., Any]) -> ActionType:
    return ActionType(
        id=type_id,
        name=type_id.strip("."),
        executor=executor,
        secrets_schema={
            "type": "object",
            "properties": {"token": {"type": "string"}},
            "additionalProperties": False,
        },
    )


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Twins(actions_core.SubActionConnector):
    """Sub-actions with a blocking and an asyncio implementation, or only one of them."""

    @actions_core.sub_action("where")
    def where(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ran": "def", "on_a_loop": _on_a_loop()}

    @actions_core.sub_action("where")
    async def awhere(self, params: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"ran": "async def", "on_a_loop": _on_a_loop()}

    @actions_core.sub_action("async_only")
    async def async_only(self, params: dict[str, Any]) -> None:
        await asyncio.sleep(0)  # returns nothing: data is {} as for a def sub-action

    @actions_core.sub_action("blocking_only")
    def blocking_only(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"on_a_loop": _on_a_loop()}


TYPES = [
    _type(".set", _set),
    _type(".bytes", _bytes),
    _type(".object", _object),
    _type(".nan", _nan),
    _type(".key-error", _key_error),
    _type(".leaky", _leaky),
    _type(".leaky-execution-error", _leaky_execution_error),
    _type(".async-data", _async_data),
    _type(".async-not-json", _async_not_json),
    _type(".async-raises", _async_raises),
    _type(".async-stream", _async_stream),
    _type(".async-stream-fails", _async_stream_fails),
    _type(".async-returns-stream", _async_returns_stream),
    _type(".bad-chunk", _bad_chunk),
    _type(".unreachable", _unreachable),
    _type(".catches", _catches_request_errors),
    actions_core.sub_action_type(
        id=".twins", name="twins", connector=Twins, secrets_schema={"type": "object"}
    ),
]


class Interface:
    """One way in: ``run`` gives the result body, ``stream`` the chunks and the failure text."""

    def __init__(self, name: str, actions: Actions, data_dir: Path, monkeypatch) -> None:
        self.name = name
        self.actions = actions
        self.data_dir = data_dir
        if name == "cli":
            monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
            monkeypatch.setattr(cli_module, "build_actions", self._build)
        if name == "http":
            key = ApiKeyStore(actions.engine).create("boundary", "all")
            self.app = create_app(actions)
            self.headers = {"Authorization": f"ApiKey {key.encoded}", "kbn-xsrf": "1"}

    def _post(self, cid: str, params: dict[str, Any]) -> httpx.Response:
        """``POST …/_execute`` to the app in process, on an event loop of its own (as uvicorn
        runs it); a streamed body is read to its end."""

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.post(
                    f"/api/actions/connector/{cid}/_execute",
                    json={"params": params},
                    headers=self.headers,
                )

        return asyncio.run(send())

    def _build(self, *, data_dir: Path | None, config: Path | None) -> Actions:
        return Actions(data_dir=data_dir, config=config, plugins=[TypesPlugin(*TYPES)])

    def connector(self, type_id: str) -> str:
        cid = type_id.strip(".")
        self.actions.connectors.create(
            id=cid, connector_type_id=type_id, name=cid, config={}, secrets={"token": SECRET}
        )
        return cid

    def _cli(self, cid: str, params: dict[str, Any] | None = None) -> Any:
        argv = ["--data-dir", str(self.data_dir), "execute", cid, "--json"]
        argv += ["--params", json.dumps(params or {})]
        return CliRunner().invoke(cli_module.cli, argv, catch_exceptions=False)

    def run(self, type_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        cid = self.connector(type_id)
        if self.name == "python":
            return self.actions.execute(cid, params or {}).to_api()
        if self.name == "cli":
            result = self._cli(cid, params)
            body = json.loads(result.stdout)
            assert result.exit_code == (0 if body["status"] == "ok" else 1), result.output
            return body
        response = self._post(cid, params or {})
        assert response.status_code == 200, response.text
        return response.json()

    def stream(self, type_id: str) -> tuple[list[Any], str | None]:
        """The chunks received (decoded as each interface sends them) and the failure text."""
        cid = self.connector(type_id)
        if self.name == "python":
            result = self.actions.execute(cid, {})
            assert result.ok and isinstance(result.data, actions_core.ExecutionStream)
            chunks: list[Any] = []
            try:
                for chunk in result.data:
                    chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
            except Exception:  # the executor's own exception reaches the caller ...
                final = result.data.result  # ... and the stream's result says what the others do
                assert final is not None and final.status == "error"
                return chunks, final.service_message
            return chunks, None
        if self.name == "cli":
            result = self._cli(cid)
            chunks = [json.loads(line) for line in result.stdout.splitlines()]
            if result.exit_code == 0:
                return chunks, None
            prefix = f"Error: the stream failed after {len(chunks)} chunks: "
            last = result.stderr.splitlines()[-1]  # after the log lines
            assert last.startswith(prefix), result.stderr
            return chunks, last[len(prefix) :]
        response = self._post(cid, {})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.text
        chunks, error = [], None
        for event in text.split("\n\n")[:-1]:
            if event.startswith("event: error\ndata: "):
                body = json.loads(event.split("data: ", 1)[1])
                assert body["message"] == RUN_FAILED
                error = body["service_message"]
            elif event == "data: [DONE]":  # the end marker of a finished stream, not a chunk
                assert text.endswith("data: [DONE]\n\n")
            else:
                payload = event.removeprefix("data: ")
                chunks.append(json.loads(payload) if payload.startswith("{") else payload)
        return chunks, error


@pytest.fixture(params=["python", "cli", "http"])
def interface(request, make_actions, tmp_path, monkeypatch) -> Interface:
    monkeypatch.setenv("ACTIONS_ALLOWED_HOSTS", "127.0.0.1")  # for every interface alike
    data_dir = tmp_path / "data"
    actions = make_actions(*TYPES, data_dir=data_dir)
    return Interface(request.param, actions, data_dir, monkeypatch)


def _wait_for_event(interface: Interface, cid: str) -> actions_core.Event:
    """The ``execute`` record (a stream's is written when the server finishes sending it),
    checked to be the pair of the execution's ``execute-start``."""
    wait_until(lambda: interface.actions.recent_events(cid, action="execute"), timeout=10)
    records = interface.actions.recent_events(cid)
    assert sorted(e.action for e in records) == ["execute", "execute-start"]
    return next(e for e in records if e.action == "execute")


# --- data that is not JSON ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_id", "problem"),
    [
        (".set", "set at data.tags"),
        (".bytes", "bytes at data"),
        (".object", "Opaque at data.items[1]"),
        (".nan", "nan (not JSON) at data.score"),
        (".async-not-json", "Opaque at data.when"),
    ],
)
def test_data_that_is_not_json_is_an_error_naming_the_type_and_the_plugin(
    interface: Interface, type_id: str, problem: str
) -> None:
    body = interface.run(type_id)
    cid = type_id.strip(".")
    assert body == {
        "connector_id": cid,
        "status": "error",
        "message": RUN_FAILED,
        "service_message": (
            f'the executor of action type "{type_id}" (plugin "{PLUGIN}") returned data that '
            f"is not JSON-serialisable: {problem}"
        ),
        "retry": False,
        "errorSource": "framework",
    }
    event = _wait_for_event(interface, cid)
    assert event.outcome == "failure"
    assert problem in (event.error_message or "")


# --- exceptions -----------------------------------------------------------------------------


def test_an_exception_reports_its_type_and_logs_its_traceback(interface: Interface, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="actions_core.executor"):
        body = interface.run(".key-error")
    assert body["status"] == "error"
    assert body["service_message"] == "KeyError: 'missing'"
    assert (body["retry"], body["errorSource"]) == (True, "framework")
    assert _wait_for_event(interface, "key-error").outcome == "failure"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert 'the executor of action type ".key-error" (plugin "test-plugin") raised' in logged
    assert "Traceback (most recent call last)" in logged
    assert 'return {}["missing"]' in logged


def test_an_exception_never_carries_the_connectors_secret(interface: Interface, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        body = interface.run(".leaky")
    assert body["service_message"] == "RuntimeError: the upstream refused the token [REDACTED]"
    event = _wait_for_event(interface, "leaky")
    assert SECRET not in (event.error_message or "")
    assert SECRET not in caplog.text
    assert "[REDACTED]" in caplog.text


def test_an_execution_error_never_carries_the_secret_either(interface: Interface) -> None:
    body = interface.run(".leaky-execution-error")
    assert (body["service_message"], body["retry"]) == ("bad token [REDACTED]", False)
    event = _wait_for_event(interface, "leaky-execution-error")
    assert SECRET not in (event.error_message or "")


def test_an_async_executor_exception_is_reported_like_a_sync_one(interface: Interface) -> None:
    body = interface.run(".async-raises")
    assert (body["status"], body["service_message"]) == ("error", "ValueError: bad answer")
    assert _wait_for_event(interface, "async-raises").outcome == "failure"


# --- ctx.http's request errors -------------------------------------------------------------


def test_a_request_error_let_through_keeps_its_code_and_retry(interface: Interface) -> None:
    body = interface.run(".unreachable")
    assert body == {
        "connector_id": "unreachable",
        "status": "error",
        "message": RUN_FAILED,
        "service_message": f"[ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:{CLOSED_PORT}",
        "retry": True,
        "errorSource": "framework",
    }
    assert _wait_for_event(interface, "unreachable").outcome == "failure"


def test_one_except_clause_catches_every_request_error(interface: Interface) -> None:
    body = interface.run(".catches")
    assert body["data"] == {"code": "ECONNREFUSED", "retry": True, "source": "framework"}


# --- async executors ------------------------------------------------------------------------


def test_an_async_def_executor_is_awaited(interface: Interface) -> None:
    body = interface.run(".async-data")
    assert body == {
        "connector_id": "async-data",
        "status": "ok",
        "data": {"answer": 42, "params": {}},
    }
    assert _wait_for_event(interface, "async-data").outcome == "success"


def test_a_caller_on_an_event_loop_gets_the_async_twin_others_the_blocking_one(
    interface: Interface,
) -> None:
    body = interface.run(".twins", {"subAction": "where"})
    if interface.name == "http":  # awaited on the service's own loop: no worker thread
        assert body["data"] == {"ran": "async def", "on_a_loop": True}
    else:
        assert body["data"] == {"ran": "def", "on_a_loop": False}
    assert _wait_for_event(interface, "twins").outcome == "success"


def test_an_async_def_sub_action_without_a_twin_runs_everywhere(interface: Interface) -> None:
    body = interface.run(".twins", {"subAction": "async_only"})
    assert (body["status"], body["data"]) == ("ok", {})


def test_a_blocking_sub_action_never_runs_on_the_services_loop(interface: Interface) -> None:
    body = interface.run(".twins", {"subAction": "blocking_only"})
    assert body["data"] == {"on_a_loop": False}  # over HTTP: in a worker thread


def test_an_unknown_sub_action_is_refused_the_same_way_everywhere(interface: Interface) -> None:
    body = interface.run(".twins", {"subAction": "nope"})
    assert body["status"] == "error"
    assert body["service_message"].startswith('Sub action "nope" is not registered.')


def test_an_async_generator_executor_streams(interface: Interface) -> None:
    chunks, error = interface.stream(".async-stream")
    assert (chunks, error) == ([{"n": 0}, {"n": 1}, {"n": 2}], None)
    event = _wait_for_event(interface, "async-stream")
    assert event.outcome == "success"
    assert event.total_tokens == 5


def test_an_async_executor_may_return_an_async_iterator_of_text(interface: Interface) -> None:
    chunks, error = interface.stream(".async-returns-stream")
    if interface.name == "python":
        assert chunks == ["data: one\n\n", "data: two\n\n"]
    else:  # text chunks pass through as server-sent events; the CLI prints their payloads
        assert chunks == ["one", "two"]
    assert error is None


def test_an_async_stream_that_fails_ends_with_the_error_everywhere(interface: Interface) -> None:
    chunks, error = interface.stream(".async-stream-fails")
    assert chunks == [{"n": 0}]
    assert error == "KeyError: 'gone'"
    assert _wait_for_event(interface, "async-stream-fails").outcome == "failure"


# --- streamed chunks ------------------------------------------------------------------------


def test_a_chunk_that_is_not_json_ends_the_stream_as_a_failure(interface: Interface) -> None:
    chunks, error = interface.stream(".bad-chunk")
    if interface.name == "python":
        assert chunks == [{"n": 0}, "data: bytes pass through\n\n"]
    else:
        assert chunks == [{"n": 0}, "bytes pass through"]
    assert error == (
        'the executor of action type ".bad-chunk" (plugin "test-plugin") returned data that is '
        "not JSON-serialisable: set at chunk.n"
    )
    event = _wait_for_event(interface, "bad-chunk")
    assert event.outcome == "failure"
    assert "after 2 chunks" in event.message


# --- Python only: called from inside a running event loop -----------------------------------


def test_sync_execute_works_inside_a_running_event_loop(make_actions) -> None:
    actions = make_actions(*TYPES)
    interface = Interface("python", actions, actions.data_dir, None)
    cid = interface.connector(".async-data")
    stream_id = interface.connector(".async-stream")

    async def main() -> tuple[Any, list[Any]]:
        result = actions.execute(cid, {})
        streamed = actions.execute(stream_id, {})
        return result.data, list(streamed.data)

    data, chunks = asyncio.run(main())
    assert data == {"answer": 42, "params": {}}
    assert chunks == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_closing_an_async_stream_early_runs_its_finally_and_records_the_event(
    make_actions,
) -> None:
    finished: list[str] = []

    async def endless(ctx: actions_core.ExecutionContext) -> AsyncIterator[Any]:
        try:
            n = 0
            while True:
                yield {"n": n}
                n += 1
        finally:
            finished.append("closed")

    actions = make_actions(_type(".endless", endless))
    interface = Interface("python", actions, actions.data_dir, None)
    cid = interface.connector(".endless")
    stream = actions.execute(cid, {}).data
    assert [next(stream), next(stream)] == [{"n": 0}, {"n": 1}]
    stream.close()
    assert finished == ["closed"]
    event = _wait_for_event(interface, cid)
    assert (event.outcome, "closed by the caller after 2 chunks" in event.message) == (
        "success",
        True,
    )
