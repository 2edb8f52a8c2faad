"""``ctx.http`` fails with one family: every transport failure is a ``RequestError`` carrying
Kibana's error code, whether to retry, and the error source (real sockets on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
import requests

import actions_core
from actions_core import (
    ActionsError,
    HostNotAllowedError,
    HttpClient,
    InvalidRequestError,
    NetworkPolicy,
    RequestConnectionError,
    RequestError,
    RequestTimeoutError,
    RequestTlsError,
    ResponseTooLargeError,
)
from actions_core._net import errors
from tests._net.transports import both_transports
from tests.servers import Pki, TcpServer, Upstream, read_request_head
from tests.support import TypesPlugin

transport = both_transports(__name__)

LOOPBACK = ("127.0.0.1", "localhost")


def client(**policy) -> HttpClient:
    policy.setdefault("allowed_hosts", LOOPBACK)
    return HttpClient(NetworkPolicy(**policy))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def failure(call) -> RequestError:
    with pytest.raises(RequestError) as info:
        call()
    return info.value


def _silent(conn: socket.socket, stopping: threading.Event) -> None:
    read_request_head(conn)
    stopping.wait(5)


def _big(conn: socket.socket, stopping: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" + b"x" * 100
    )


def test_the_family_lives_in_one_module_and_is_public():
    for name in set(errors.__all__) - {"error_causes"}:  # error_causes is a private helper
        assert getattr(actions_core, name) is getattr(errors, name)
        assert name in actions_core.__all__
    assert issubclass(RequestError, ActionsError)
    for kind in (
        RequestTimeoutError,
        RequestConnectionError,
        RequestTlsError,
        InvalidRequestError,
        ResponseTooLargeError,
        HostNotAllowedError,
    ):
        assert issubclass(kind, RequestError)
    assert issubclass(HostNotAllowedError, actions_core.ForbiddenError)  # still a 403


def test_a_refused_connection(transport):
    port = closed_port()
    err = failure(lambda: client().request("GET", f"http://127.0.0.1:{port}/"))
    assert isinstance(err, RequestConnectionError)
    assert isinstance(err, requests.ConnectionError)  # code written against requests still works
    assert (err.code, err.message) == ("ECONNREFUSED", f"connect ECONNREFUSED 127.0.0.1:{port}")
    assert err.service_message == f"[ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:{port}"
    assert (err.retry, err.error_source) == (True, "framework")
    underneath = requests.ConnectionError if transport == "requests" else httpx.ConnectError
    assert isinstance(err.__cause__, underneath)


def test_a_timeout_reports_the_effective_timeout():
    with TcpServer(_silent) as server:
        # the request asks for less than responseTimeout: the floor wins, and is reported
        err = failure(
            lambda: client(response_timeout=0.3).request("GET", server.url(), timeout=0.1)
        )
    assert isinstance(err, RequestTimeoutError)
    assert isinstance(err, requests.Timeout)
    assert err.service_message == "[ECONNABORTED] timeout of 300ms exceeded"
    assert (err.retry, err.error_source) == (True, "framework")


def test_a_certificate_failure_is_not_worth_a_retry():
    pki = Pki()
    with Upstream(ssl_context=pki.server_context(pki.untrusted)) as web:
        web.expect_request("/").respond_with_data("never")
        err = failure(lambda: client().request("GET", web.url_for("/")))
    assert isinstance(err, RequestTlsError)
    assert err.code in ("SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY")
    assert (err.retry, err.error_source) == (False, "user")


def test_policy_and_size_refusals_and_bad_urls_are_members_too():
    refused = failure(
        lambda: client(allowed_hosts=("api.example",)).request("GET", "http://127.0.0.1:9/")
    )
    assert isinstance(refused, HostNotAllowedError)
    assert (refused.code, refused.retry, refused.error_source) == ("", False, "user")
    assert refused.service_message == refused.message  # Kibana's allowedHosts text, as it is

    with TcpServer(_big) as server:
        large = failure(lambda: client().request("GET", server.url(), max_content_length=10))
    assert isinstance(large, ResponseTooLargeError)
    assert large.service_message.startswith("[ERR_BAD_RESPONSE] maxContentLength size of 10")
    assert large.retry is False

    bad = failure(lambda: client().request("GET", "ftp://127.0.0.1/x"))
    assert isinstance(bad, InvalidRequestError)
    assert isinstance(bad, requests.exceptions.InvalidSchema)
    assert (bad.retry, bad.error_source) == (False, "user")
    assert "connectors use http or https" in bad.message


def test_an_executor_that_lets_a_request_error_through_gets_its_code_and_retry(make_actions):
    port = closed_port()

    def call(ctx: actions_core.ExecutionContext) -> str:
        return ctx.http.request("GET", f"http://127.0.0.1:{port}/").text

    actions = make_actions(
        plugins=[TypesPlugin(actions_core.ActionType(id=".call", name="call", executor=call))],
        config={"actions": {"encryptionKey": "k" * 32, "allowedHosts": list(LOOPBACK)}},
    )
    actions.connectors.create(id="c", connector_type_id=".call", name="c", config={}, secrets={})
    result = actions.execute("c", {})
    assert (result.status, result.service_message) == (
        "error",
        f"[ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:{port}",
    )
    assert (result.retry, result.error_source) == (True, "framework")
