"""The SSRF guard: non-public addresses are refused unless the host is listed by name.

Classification is tested on literal addresses (no connection is ever attempted); the guard end
to end only against loopback servers, which must see no connection at all when refused.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator

import pytest
from werkzeug import Response

from actions_core import HostNotAllowedError, HttpClient, NetworkPolicy
from actions_core._net.ssrf import (
    AddressGuard,
    AddressNotAllowedError,
    non_public_reason,
    parse_ip,
)
from actions_core.settings import load_settings
from tests._net.transports import both_transports
from tests.servers import ForwardProxy, TcpServer, Upstream, read_request_head

transport = both_transports(__name__)

# --- classification, on literals only ---


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local (cloud metadata service)"),
        ("169.254.0.1", "link-local (cloud metadata service)"),
        ("100.64.0.1", "shared address space (carrier-grade NAT)"),
        ("0.0.0.0", "'this network' (unspecified)"),
        ("192.0.2.10", "documentation (TEST-NET-1)"),
        ("198.18.0.1", "benchmarking"),
        ("224.0.0.251", "multicast"),
        ("255.255.255.255", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "unique local (private)"),
        ("fd12:3456:789a::1", "unique local (private)"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("::ffff:127.0.0.1", "loopback, as IPv4 127.0.0.1 inside IPv6"),
        (
            "::ffff:169.254.169.254",
            "link-local (cloud metadata service), as IPv4 169.254.169.254 inside IPv6",
        ),
        ("::ffff:10.1.2.3", "private, as IPv4 10.1.2.3 inside IPv6"),
        (
            "64:ff9b::a9fe:a9fe",
            "link-local (cloud metadata service), as IPv4 169.254.169.254 inside IPv6",
        ),
        ("2002:c0a8:0101::1", "private, as IPv4 192.168.1.1 inside IPv6"),
        ("::127.0.0.1", "IPv4-compatible (deprecated)"),
        ("[::1]", "loopback"),
        ("fe80::1%eth0", "link-local"),
    ],
)
def test_non_public_addresses_are_classified_with_their_reason(address, reason):
    assert non_public_reason(address) == reason


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "172.15.255.255",
        "100.128.0.1",
        "192.169.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_pass(address):
    assert non_public_reason(address) is None


def test_classifying_a_name_is_a_programming_error():
    with pytest.raises(ValueError, match="not an IP address"):
        non_public_reason("example.com")


# --- literal checks: refused before any lookup ---


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://[::1]:9/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:9/",
        "http://api.localhost/",
    ],
)
def test_allowing_every_host_does_not_open_non_public_literals(url):
    policy = NetworkPolicy()  # allowedHosts ["*"], ssrfProtection on
    with pytest.raises(AddressNotAllowedError, match=r"actions\.ssrfProtection refuses") as err:
        policy.ensure_uri_allowed(url)
    # A kind of HostNotAllowedError: whoever handles allowedHosts refusals handles it too.
    assert isinstance(err.value, HostNotAllowedError)
    assert err.value.status_code == 403


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0X7F.0.1", "127.0.0.1"),
        ("169.254.43518", "169.254.169.254"),
        ("10.1", "10.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
    ],
)
def test_non_canonical_ipv4_literals_are_judged_by_the_address_they_mean(host, address):
    assert parse_ip(host) == ipaddress.ip_address(address)
    pattern = re.compile(rf'"{re.escape(host)}" is a non-public', re.IGNORECASE)
    with pytest.raises(AddressNotAllowedError, match=pattern):
        NetworkPolicy().ensure_uri_allowed(f"http://{host}/")


@pytest.mark.parametrize("host", ["example.com", "1.2.3.4.5", "256.1.1.1", "08.1", "1.0y", "a.1"])
def test_names_that_only_look_numeric_are_names(host):
    assert parse_ip(host) is None


def test_a_host_listed_by_name_is_exempt():
    policy = NetworkPolicy(allowed_hosts=("*", "127.0.0.1", "localhost"))
    policy.ensure_uri_allowed("http://127.0.0.1:9/")
    policy.ensure_uri_allowed("http://LOCALHOST:9/")
    with pytest.raises(AddressNotAllowedError):
        policy.ensure_uri_allowed("http://127.0.0.2:9/")


def test_the_guard_can_be_switched_off():
    NetworkPolicy(ssrf_protection=False).ensure_uri_allowed("http://169.254.169.254/")


def test_the_message_says_what_and_how_to_allow_it():
    with pytest.raises(AddressNotAllowedError) as err:
        NetworkPolicy().ensure_uri_allowed("http://169.254.169.254/latest")
    assert err.value.message == (
        'target host "169.254.169.254" is a non-public address (link-local (cloud metadata '
        "service)), which actions.ssrfProtection refuses; list the host by name in "
        "actions.allowedHosts to allow it"
    )


# --- end to end, loopback only: refused before any connection ---


def _ok(conn: socket.socket, stopping) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_a_loopback_target_is_refused_before_connecting(host):
    with TcpServer(_ok, host=host) as server:
        refused = HttpClient(NetworkPolicy(allowed_hosts=("*",)))
        with pytest.raises(AddressNotAllowedError):
            refused.request("GET", server.url("/"))
        allowed = HttpClient(NetworkPolicy(allowed_hosts=("*", host)))
        assert allowed.request("GET", server.url("/")).text == "ok"
        # Connections are accepted in order: the allowed request's is the only one.
        assert server.connections == 1


def test_localhost_is_refused_before_connecting_unless_listed():
    with TcpServer(_ok, host="127.0.0.1") as server:
        url = server.url("/", host="localhost")
        with pytest.raises(AddressNotAllowedError, match='"localhost"'):
            HttpClient(NetworkPolicy()).request("GET", url)
        assert HttpClient(NetworkPolicy(allowed_hosts=("localhost",))).request("GET", url).ok
        assert server.connections == 1


class _RebindingResolver:
    """getaddrinfo that answers a public address first, loopback afterwards (the rebinding
    trick). The public answer must never be connected to: it is only ever classified."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls = 0

    def __call__(self, host, port, *args, **kwargs):
        self.calls += 1
        address = "8.8.8.8" if self.calls == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def test_the_address_checked_is_the_address_connected_to(monkeypatch):
    with TcpServer(_ok) as server:
        resolver = _RebindingResolver(server.port)
        guard = AddressGuard(exempt_hosts=())
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        # First lookup: public, so checking it passes; the second lookup (the one a naive
        # "check, then connect by name" would make) is loopback. The guard resolves once per
        # connection and connects to the address it checked, so it never sees loopback here...
        monkeypatch.setattr(socket.socket, "connect", _record_only)
        with pytest.raises(_Connected) as connected:
            guard.connect("rebind.test", server.port, timeout=1)
        assert connected.value.address == ("8.8.8.8", server.port)
        assert resolver.calls == 1
        # ...and when the answer is loopback at connect time, it is refused.
        with pytest.raises(AddressNotAllowedError, match=r"resolves to 127\.0\.0\.1"):
            guard.connect("rebind.test", server.port, timeout=1)
        assert server.connections == 0


class _Connected(Exception):
    def __init__(self, address) -> None:
        super().__init__(address)
        self.address = address


def _record_only(self, address):
    """Stand-in for connect that records the address and never opens a connection."""
    raise _Connected(address)


def test_a_name_resolving_to_public_and_private_addresses_uses_only_the_public_ones(
    monkeypatch,
):
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    monkeypatch.setattr(socket.socket, "connect", _record_only)
    with pytest.raises(_Connected) as connected:
        AddressGuard(()).connect("mixed.test", 80, timeout=1)
    assert connected.value.address == ("93.184.216.34", 80)


def test_the_proxy_precheck_refuses_names_that_resolve_to_non_public_addresses(monkeypatch):
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(AddressNotAllowedError, match=r"resolves to 169\.254\.169\.254"):
        AddressGuard(()).check_resolved("metadata.test", 80)
    AddressGuard(("metadata.test",)).check_resolved("metadata.test", 80)


def test_the_proxy_precheck_leaves_unresolvable_names_to_the_proxy(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    AddressGuard(()).check_resolved("only-the-proxy-knows.test", 80)


# --- redirects to a name that resolves to a non-public address: direct and proxied ---

INTERNAL = "internal.test"


@pytest.fixture(scope="module")
def web() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[ForwardProxy]:
    with ForwardProxy(tmp_path_factory.mktemp("proxy")) as running:
        yield running


def resolve_internal_to(monkeypatch, address: str) -> None:
    """A patched resolver: ``internal.test`` has the A record ``address``; the rest is real."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if str(host).rstrip(".").lower() == INTERNAL:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def redirect_to_internal(web: Upstream) -> str:
    web.clear()
    web.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": web.url("/secret", host=INTERNAL)})
    )
    web.expect_request("/secret").respond_with_data("internal secret")
    return web.url("/start")


# 127.0.0.1 is where /secret really is: a guard that let the hop through would fetch it.
@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7"])
def test_a_redirect_to_a_name_resolving_to_a_non_public_address_is_refused(
    monkeypatch, web, address
):
    resolve_internal_to(monkeypatch, address)
    start = redirect_to_internal(web)
    http = HttpClient(NetworkPolicy(allowed_hosts=("*", "127.0.0.1")))
    try:
        with pytest.raises(AddressNotAllowedError) as err:
            http.request("GET", start)
    finally:
        http.close()
    assert f'target host "{INTERNAL}" resolves to {address}, a non-public address' in (
        err.value.message
    )
    assert [request.path for request, _ in web.log] == ["/start"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7"])
def test_a_proxied_redirect_to_a_name_resolving_to_a_non_public_address_is_refused(
    monkeypatch, web, proxy, address
):
    resolve_internal_to(monkeypatch, address)
    start = redirect_to_internal(web)
    before = proxy.mark()
    policy = NetworkPolicy.from_settings(
        load_settings(
            {"actions": {"allowedHosts": ["*", "127.0.0.1"], "proxyUrl": proxy.url}}, env={}
        ).actions
    )
    http = HttpClient(policy)
    try:
        with pytest.raises(AddressNotAllowedError) as err:
            http.request("GET", start)
    finally:
        http.close()
    assert f'target host "{INTERNAL}" resolves to {address}, a non-public address' in (
        err.value.message
    )
    # the first hop went through the proxy; the refused one never reached it
    proxy.wait_seen("GET", f"127.0.0.1:{web.port}/start", since=before)
    assert [seen[1] for seen in proxy.seen()[before:]] == [f"127.0.0.1:{web.port}/start"]
    assert [request.path for request, _ in web.log] == ["/start"]
