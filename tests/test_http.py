"""The outbound request factory: allowed hosts and redirects, timeouts, size limits, streams,
connection reuse — against real servers on 127.0.0.1, through both transports (requests and
httpx on asyncio: see tests/_net/transports.py)."""

from __future__ import annotations

import gzip
import select
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug import Response

from actions_core import (
    AddressNotAllowedError,
    HostNotAllowedError,
    HttpClient,
    NetworkPolicy,
    ResponseTooLargeError,
    TlsOptions,
)
from tests._net.transports import both_transports, requests_only
from tests.servers import TcpServer, Upstream, read_request_head, wait_until

transport = both_transports(__name__)

LOOPBACK = ("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def web() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_handlers(web) -> None:
    web.clear()


def client(**policy) -> HttpClient:
    policy.setdefault("allowed_hosts", LOOPBACK)
    return HttpClient(NetworkPolicy(**policy))


# --- allowed hosts, before any connection ---


def _ok(conn: socket.socket, stopping: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


def test_a_host_not_allowed_is_refused_with_kibanas_message_and_never_contacted():
    with TcpServer(_ok) as server:
        url = server.url("/x")
        with pytest.raises(HostNotAllowedError) as err:
            client(allowed_hosts=("api.example.com",)).request("POST", url)
        assert err.value.message == (
            f'target url "{url}" is not added to the configuration actions.allowedHosts'
        )
        assert client().request("GET", url).text == "ok"
        assert server.connections == 1  # only the allowed request's


def test_only_http_and_https_urls_are_accepted():
    with pytest.raises(requests.exceptions.InvalidSchema, match="connectors use http or https"):
        client().request("GET", "file:///etc/passwd")


# --- redirects: every hop is checked before it is followed ---


def test_a_redirect_chain_between_allowed_hosts_is_followed(web):
    web.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": web.url("/middle", host="localhost")})
    )
    web.expect_request("/middle").respond_with_response(
        Response(status=307, headers={"Location": "/end"})
    )
    web.expect_request("/end").respond_with_data("arrived")
    response = client().request("GET", web.url("/start"))
    assert response.text == "arrived"
    assert [r.status_code for r in response.history] == [302, 307]
    assert response.url == web.url("/end", host="localhost")


def test_a_redirect_to_a_host_not_allowed_is_refused_not_followed(web):
    web.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": "http://evil.test/steal"})
    )
    with pytest.raises(HostNotAllowedError) as err:
        client().request("GET", web.url("/start"))
    assert err.value.message == (
        'target url "http://evil.test/steal" is not added to the configuration actions.allowedHosts'
    )  # and the loopback guard proves evil.test was never even looked up


def test_a_redirect_to_the_metadata_service_is_refused_even_when_every_host_is_allowed(web):
    web.expect_request("/start").respond_with_response(
        Response(status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    with pytest.raises(AddressNotAllowedError, match="cloud metadata service"):
        client(allowed_hosts=("*", "127.0.0.1")).request("GET", web.url("/start"))


def test_credentials_are_not_forwarded_to_another_host(web):
    web.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": web.url("/end", host="localhost")})
    )
    web.expect_request("/end").respond_with_data("ok")
    client().request("GET", web.url("/start"), auth=("user", "password"))
    first, second = (request for request, _ in web.log)
    assert "Authorization" in first.headers
    assert "Authorization" not in second.headers


def test_a_redirect_loop_ends(web):
    web.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": "/loop"})
    )
    with pytest.raises(requests.TooManyRedirects):
        client().request("GET", web.url("/loop"))


def test_redirects_need_not_be_followed(web):
    web.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": "http://evil.test/"})
    )
    response = client().request("GET", web.url("/start"), allow_redirects=False)
    assert response.status_code == 302


# --- timeouts ---


def _slow(delay: float):
    def handler(conn: socket.socket, stopping: threading.Event) -> None:
        read_request_head(conn)
        if stopping.wait(delay):
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow")

    return handler


def test_a_slow_server_hits_the_read_timeout():
    # The server would answer after 30 s; the 0.3 s timeout must end the wait long before.
    # The margin (10 s) is for a loaded 2-core machine, still a third of what a client that
    # waited for the server would take.
    with TcpServer(_slow(30.0)) as server:
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ReadTimeout):
            client(response_timeout=0.3).request("GET", server.url("/"))
        elapsed = time.monotonic() - started
        assert 0.3 <= elapsed < 10


def test_a_longer_request_timeout_raises_the_floor_and_a_shorter_one_does_not_lower_it():
    with TcpServer(_slow(0.5)) as server:
        # Kibana: max(responseTimeout, timeout)
        assert client(response_timeout=0.2).request("GET", server.url("/"), timeout=3).ok
        assert client(response_timeout=3).request("GET", server.url("/"), timeout=0.1).ok


def _trickle(conn: socket.socket, stopping: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\nConnection: close\r\n\r\n")
    for _ in range(30):
        if stopping.wait(0.05):
            return
        conn.sendall(b"x")


def test_a_body_that_trickles_in_must_complete_within_the_timeout():
    with (
        TcpServer(_trickle) as server,
        pytest.raises(requests.exceptions.ReadTimeout, match=r"actions\.responseTimeout"),
    ):
        client(response_timeout=0.5).request("GET", server.url("/"))


def test_a_stream_has_no_total_deadline_only_a_read_timeout():
    with TcpServer(_trickle) as server:
        response = client(response_timeout=0.5).request("GET", server.url("/"), stream=True)
        with response:
            assert b"".join(response.iter_content(1)) == b"x" * 30


def _fill_accept_queue(port: int, held: list[socket.socket]) -> bool:
    """Connect to ``port`` (never accepting) until a SYN goes unanswered: the accept queue is
    full and the kernel drops further SYNs. Bounded; False if it never happens (a kernel set to
    answer an overflow with a reset, ``net.ipv4.tcp_abort_on_overflow=1``)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(held) < 64:
        probe = socket.socket()
        probe.setblocking(False)
        held.append(probe)
        probe.connect_ex(("127.0.0.1", port))
        # Loaded or not, a loopback handshake the kernel accepts completes well within 1 s.
        _, writable, _ = select.select([], [probe], [], 1.0)
        if not writable:
            return True
        if probe.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            return False  # refused or reset
    return False


def test_connecting_times_out_when_the_server_never_accepts():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        held: list[socket.socket] = []
        try:
            if not _fill_accept_queue(port, held):
                pytest.skip("this kernel does not drop SYNs when the accept queue is full")
            started = time.monotonic()
            with pytest.raises(requests.exceptions.ConnectTimeout):
                client(response_timeout=0.3).request("GET", f"http://127.0.0.1:{port}/")
            assert time.monotonic() - started < 10  # the timeout ended it, not a retry
        finally:
            for sock in held:
                sock.close()


# --- the response size limit ---


def _announce(size: int):
    def handler(conn: socket.socket, stopping: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        stopping.wait(30)  # never sends the body: the client must not wait for it

    return handler


def test_a_declared_length_over_the_limit_is_refused_without_reading():
    with TcpServer(_announce(10 * 1024 * 1024)) as server:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError) as err:
            client(max_response_content_length=1024 * 1024).request("GET", server.url("/"))
        assert time.monotonic() - started < 10  # the body would take 30 s: it was not awaited
    assert err.value.limit == 1024 * 1024
    assert err.value.message == (
        f"maxContentLength size of 1048576 exceeded: the response from "
        f"http://127.0.0.1:{server.port} is larger than 1048576 bytes "
        "(actions.maxResponseContentLength)"
    )


class _Endless:
    """A chunked response that never ends; records how much it managed to send."""

    def __init__(self) -> None:
        self.sent = 0
        self.stopped_by_client = threading.Event()

    def __call__(self, conn: socket.socket, stopping: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"y" * 16384
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        try:
            while not stopping.is_set() and self.sent < 64 * 1024 * 1024:
                conn.sendall(frame)
                self.sent += len(chunk)
        except OSError:
            self.stopped_by_client.set()


def test_an_endless_chunked_response_stops_at_the_limit():
    endless = _Endless()
    with TcpServer(endless) as server:
        with pytest.raises(ResponseTooLargeError, match="maxContentLength size of 262144"):
            client(max_response_content_length=256 * 1024).request("GET", server.url("/"))
        wait_until(endless.stopped_by_client.is_set, what="the client to hang up")
        assert endless.sent < 16 * 1024 * 1024  # far from everything it would have sent


def test_the_limit_counts_decoded_bytes_so_a_compression_bomb_fails(web):
    bomb = gzip.compress(b"0" * (8 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    web.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(ResponseTooLargeError):
        client().request("GET", web.url("/bomb"))


def test_a_body_within_the_limit_is_read_whole(web):
    web.expect_request("/big").respond_with_data(b"z" * (1024 * 1024))
    assert len(client().request("GET", web.url("/big")).content) == 1024 * 1024


def test_a_head_request_is_not_judged_by_the_length_of_a_body_it_does_not_get(web):
    web.expect_request("/big", method="HEAD").respond_with_data(b"z" * (2 * 1024 * 1024))
    response = client().request("HEAD", web.url("/big"))
    assert int(response.headers["Content-Length"]) == 2 * 1024 * 1024
    assert response.content == b""


def test_a_caller_may_set_a_tighter_limit(web):
    web.expect_request("/small").respond_with_data(b"z" * 2000)
    with pytest.raises(ResponseTooLargeError, match="the limit the connector set"):
        client().request("GET", web.url("/small"), max_content_length=1000)


def test_streams_are_not_limited_unless_asked(web):
    web.expect_request("/stream").respond_with_data(b"s" * (3 * 1024 * 1024))
    with client().request("GET", web.url("/stream"), stream=True) as response:
        assert sum(len(c) for c in response.iter_content(65536)) == 3 * 1024 * 1024


def test_a_stream_with_a_limit_fails_when_reading_past_it(web):
    chunks = [b"c" * 50_000 for _ in range(10)]  # no Content-Length: chunked
    web.expect_request("/chunks").respond_with_handler(lambda request: Response(iter(chunks)))
    response = client().request("GET", web.url("/chunks"), stream=True, max_content_length=120_000)
    received = 0
    with response, pytest.raises(ResponseTooLargeError, match="the limit the connector set"):
        for chunk in response.iter_content(10_000):
            received += len(chunk)
    assert 100_000 <= received <= 120_000


def test_a_stream_with_a_limit_is_refused_at_once_when_its_length_is_too_large(web):
    web.expect_request("/stream").respond_with_data(b"s" * 200_000)
    with pytest.raises(ResponseTooLargeError):
        client().request("GET", web.url("/stream"), stream=True, max_content_length=100_000)


def _headers_then_wait(release: threading.Event):
    def handler(conn: socket.socket, stopping: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        conn.sendall(b"b\r\nfirst line\n\r\n")
        if release.wait(5):
            conn.sendall(b"c\r\nsecond line\n\r\n0\r\n\r\n")

    return handler


def test_a_stream_is_returned_before_its_body_is_complete():
    release = threading.Event()
    with TcpServer(_headers_then_wait(release)) as server:
        response = client().request("GET", server.url("/"), stream=True)
        with response:
            lines = response.iter_lines()
            assert next(lines) == b"first line"
            release.set()
            assert next(lines) == b"second line"


# --- servers that misbehave: requests' own errors, unchanged ---


def _close_at_once(conn: socket.socket, stopping: threading.Event) -> None:
    read_request_head(conn)


def _truncate(conn: socket.socket, stopping: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")


def test_a_server_closing_without_a_response_is_a_connection_error():
    with TcpServer(_close_at_once) as server, pytest.raises(requests.ConnectionError):
        client().request("GET", server.url("/"))


def test_a_server_closing_in_the_middle_of_the_body_is_reported():
    with TcpServer(_truncate) as server, pytest.raises(requests.exceptions.ChunkedEncodingError):
        client().request("GET", server.url("/"))


def test_a_refused_connection_is_a_connection_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(requests.ConnectionError):
        client().request("GET", f"http://127.0.0.1:{port}/")


# --- sessions: shared, stateless, safe under concurrency ---


def test_sessions_are_cached_per_policy_and_tls_options(transport):
    requests_only(transport)
    http = client()
    assert http.session() is http.session()
    assert http.session(tls=TlsOptions(verification_mode="none")) is http.session(
        tls=TlsOptions(verification_mode="none")
    )
    assert http.session(tls=TlsOptions(verification_mode="none")) is not http.session()


def test_cookies_never_carry_over_between_requests(web):
    web.expect_request("/set").respond_with_response(
        Response("set", headers={"Set-Cookie": "session=abc; Path=/"})
    )
    web.expect_request("/echo").respond_with_data("echo")
    http = client()
    http.request("GET", web.url("/set"))
    http.request("GET", web.url("/echo"))
    assert "Cookie" not in web.log[-1][0].headers


def test_tls_and_proxies_cannot_be_overridden_per_request(web):
    http = client()
    for name, value in (("verify", False), ("proxies", {"http": "http://127.0.0.1:1"})):
        with pytest.raises(TypeError, match="the network policy decides TLS and proxies"):
            http.request("GET", web.url("/"), **{name: value})


def test_concurrent_requests_share_the_pool_safely(web, transport):
    web.expect_request("/n").respond_with_handler(
        lambda request: Response(request.args["i"], status=200)
    )
    http = client()

    def call(i: int) -> str:
        return http.request("GET", web.url(f"/n?i={i}")).text

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(80)))
    assert results == [str(i) for i in range(80)]
    if transport != "requests":
        return
    pools = http.session().get_adapter(web.url("/")).poolmanager.pools
    pool = pools[next(iter(pools.keys()))]
    assert 1 <= pool.num_connections <= 20
