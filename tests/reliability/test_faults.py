"""The fault matrix: an upstream that fails in each way a network peer can, behind a ``.gen-ai``
connector run through the HTTP ``_execute``. Each answers an error result (never a 500), its
``execute`` record says ``failure`` with the reason, and the service stays healthy (its status
answers and the next good execution succeeds)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from actions_core.testing import api_client, completion
from tests.servers import TcpServer, read_request_head
from tests.support import KEY

pytestmark = pytest.mark.reliability

LIMIT = 4096  # maxResponseContentLength of the service under test
# timeout: the request's own limit (ms); the connector's default (2 minutes) would win otherwise
RUN = {
    "subAction": "run",
    "subActionParams": {"body": json.dumps({"messages": []}), "timeout": 1000},
}


def respond(status: str, body: bytes, content_type: str = "application/json", **headers: str):
    def handler(conn: socket.socket, stopping: threading.Event) -> None:
        read_request_head(conn)
        head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
        head += [f"Content-Length: {len(body)}", "Connection: close"]
        head += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    return handler


def cut(conn: socket.socket, stopping: threading.Event) -> None:
    """Promises 2000 bytes, sends 20, and closes: the body is cut mid-way."""
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    conn.sendall(b"Content-Length: 2000\r\n\r\n" + b'{"id": "chatcmpl-1",')


def stall(conn: socket.socket, stopping: threading.Event) -> None:
    """Reads the request and never answers (until the test stops the server)."""
    read_request_head(conn)
    stopping.wait(10)


FAULTS: dict[str, tuple[Callable | None, str]] = {
    # name: (handler, what the failure's text must say)
    "cut body": (cut, ""),
    "stall": (stall, "timeout"),
    "oversize": (respond("200 OK", b'{"x": "' + b"a" * (LIMIT * 4) + b'"}'), "maxResponse"),
    "429": (respond("429 Too Many Requests", b'{"error": {"message": "slow down"}}'), "429"),
    "HTML 500": (respond("500 Oops", b"<html><body>boom</body></html>", "text/html"), "500"),
    "invalid JSON": (respond("200 OK", b"{not json"), ""),
    "refused port": (None, "ECONNREFUSED"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def service(make_actions, monkeypatch) -> Iterator:
    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log,openai")
    actions = make_actions(
        config={
            "actions": {
                "encryptionKey": KEY,
                "allowedHosts": ["127.0.0.1"],
                "responseTimeout": "1s",
                "maxResponseContentLength": LIMIT,
            }
        }
    )
    with api_client(actions) as http:
        yield actions, http


def gen_ai(http, url: str) -> str:
    body = {
        "name": "gpt",
        "connector_type_id": ".gen-ai",
        "config": {"apiProvider": "Other", "apiUrl": url, "defaultModel": "m"},
        "secrets": {"apiKey": "sk-fault-matrix"},
    }
    answer = http.post("/api/actions/connector", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_upstream_fault_is_an_error_result_a_failure_record_and_a_healthy_service(
    service, fault
):
    actions, http = service
    handler, says = FAULTS[fault]
    server = TcpServer(handler) if handler else None
    url = (
        server.url("/v1/chat/completions")
        if server
        else f"http://127.0.0.1:{free_port()}/v1/chat/completions"
    )
    try:
        if server:
            server.__enter__()
        cid = gen_ai(http, url)
        answer = http.post(f"/api/actions/connector/{cid}/_execute", json={"params": RUN})
    finally:
        if server:
            server.__exit__(None, None, None)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "error", result
    assert says.lower() in json.dumps(result).lower()
    actions.events.flush()
    [record] = actions.recent_events(cid, action="execute")
    assert record.outcome == "failure"
    assert record.error_message
    # healthy: the service answers and a good execution still succeeds
    assert http.get("/api/status").status_code == 200
    log = http.post(
        "/api/actions/connector", json={"name": "l", "connector_type_id": ".server-log"}
    )
    done = http.post(
        f"/api/actions/connector/{log.json()['id']}/_execute",
        json={"params": {"message": "still here"}},
    )
    assert done.json()["status"] == "ok"


def test_a_sound_upstream_succeeds_through_the_same_path(service):
    """The control: the matrix's failures come from the faults, not from the setup."""
    _, http = service
    body = json.dumps(completion("hello")).encode()
    with TcpServer(respond("200 OK", body)) as server:
        cid = gen_ai(http, server.url("/v1/chat/completions"))
        answer = http.post(f"/api/actions/connector/{cid}/_execute", json={"params": RUN})
    assert answer.json()["status"] == "ok", answer.text
