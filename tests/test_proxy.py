"""Requests through a real forward proxy (proxy.py, started by these tests on 127.0.0.1).

The proxy's access log is the witness: it lists every request it forwarded (``GET host:port/path``)
and every tunnel it opened (``CONNECT host:port``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from actions_core import AddressNotAllowedError, HttpClient, NetworkPolicy
from actions_core.settings import load_settings
from tests._net.transports import both_transports
from tests.servers import ForwardProxy, Pki, Upstream

transport = both_transports(__name__)

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

LOOPBACK = ["127.0.0.1", "localhost"]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[ForwardProxy]:
    with ForwardProxy(tmp_path_factory.mktemp("proxy")) as running:
        yield running


@pytest.fixture(scope="module")
def auth_proxy(tmp_path_factory) -> Iterator[ForwardProxy]:
    with ForwardProxy(tmp_path_factory.mktemp("auth-proxy"), basic_auth="agent:s3cret") as running:
        yield running


@pytest.fixture(scope="module")
def tls_proxy(tmp_path_factory, pki) -> Iterator[ForwardProxy]:
    directory = tmp_path_factory.mktemp("tls-proxy")
    with ForwardProxy(directory, leaf=pki.server, pki=pki) as running:
        yield running


@pytest.fixture(scope="module")
def web() -> Iterator[Upstream]:
    with Upstream() as server:
        server.expect_request("/hello").respond_with_data("plain hello")
        yield server


@pytest.fixture(scope="module")
def secure_web(pki) -> Iterator[Upstream]:
    with Upstream(pki.server_context()) as server:
        server.expect_request("/hello").respond_with_data("secure hello")
        yield server


def settings(**actions: Any):
    return load_settings({"actions": {"allowedHosts": LOOPBACK, **actions}}, env={})


def client(**actions: Any) -> HttpClient:
    return HttpClient(NetworkPolicy.from_settings(settings(**actions).actions))


def fetch(http: HttpClient, url: str, **kwargs: Any) -> requests.Response:
    """One request, then close the pools so the proxy logs the (finished) tunnel."""
    try:
        return http.request("GET", url, **kwargs)
    finally:
        http.close()


def test_an_http_target_is_forwarded_by_the_proxy(proxy, web):
    before = proxy.mark()
    response = fetch(client(proxyUrl=proxy.url), web.url("/hello"))
    assert response.text == "plain hello"
    assert proxy.wait_seen("GET", f"127.0.0.1:{web.port}/hello", since=before)


def test_an_https_target_goes_through_a_connect_tunnel(proxy, pki, secure_web):
    before = proxy.mark()
    tls_entry = {"url": secure_web.url("/"), "ssl": {"certificateAuthoritiesData": pki.ca_pem}}
    http = client(proxyUrl=proxy.url, customHostSettings=[tls_entry])
    assert fetch(http, secure_web.url("/hello")).text == "secure hello"
    assert proxy.wait_seen("CONNECT", f"127.0.0.1:{secure_web.port}", since=before)


def test_bypass_hosts_connect_directly(proxy, web):
    before = proxy.mark()
    http = client(proxyUrl=proxy.url, proxyBypassHosts=["localhost"])
    assert fetch(http, web.url("/hello", host="localhost")).ok
    assert fetch(http, web.url("/hello")).ok
    proxy.wait_seen("GET", f"127.0.0.1:{web.port}/hello", since=before)
    assert [seen[1] for seen in proxy.seen()[before:]] == [f"127.0.0.1:{web.port}/hello"]


def test_only_hosts_are_the_only_ones_proxied(proxy, web):
    before = proxy.mark()
    http = client(proxyUrl=proxy.url, proxyOnlyHosts=["localhost"])
    assert fetch(http, web.url("/hello")).ok  # 127.0.0.1: direct
    assert fetch(http, web.url("/hello", host="localhost")).ok
    proxy.wait_seen("GET", f"localhost:{web.port}/hello", since=before)
    assert [seen[1] for seen in proxy.seen()[before:]] == [f"localhost:{web.port}/hello"]


def test_both_lists_warn_and_the_only_list_is_ignored(proxy, web):
    loaded = settings(proxyUrl=proxy.url, proxyBypassHosts=["localhost"], proxyOnlyHosts=["x"])
    assert any("proxyOnlyHosts will be ignored" in warning for warning in loaded.warnings)
    policy = NetworkPolicy.from_settings(loaded.actions)
    assert policy.proxy_for(web.url("/")) == proxy.url  # not in the (ignored) only-list
    assert policy.proxy_for(web.url("/", host="localhost")) is None


def test_proxy_headers_reach_the_proxy(auth_proxy, web, pki, secure_web):
    before = auth_proxy.mark()
    token = "Basic " + base64.b64encode(b"agent:s3cret").decode()
    # Without the header the proxy refuses: a 407 for a forwarded request...
    refused = fetch(client(proxyUrl=auth_proxy.url), web.url("/hello"))
    assert refused.status_code == 407
    # ...and a failed tunnel for an https target.
    tls_entry = {"url": secure_web.url("/"), "ssl": {"certificateAuthoritiesData": pki.ca_pem}}
    with pytest.raises(requests.exceptions.ProxyError, match="407"):
        fetch(
            client(proxyUrl=auth_proxy.url, customHostSettings=[tls_entry]),
            secure_web.url("/hello"),
        )
    # With proxyHeaders both go through.
    headers = {"Proxy-Authorization": token}
    http = client(proxyUrl=auth_proxy.url, proxyHeaders=headers, customHostSettings=[tls_entry])
    assert fetch(http, web.url("/hello")).text == "plain hello"
    assert fetch(http, secure_web.url("/hello")).text == "secure hello"
    assert auth_proxy.wait_seen("CONNECT", f"127.0.0.1:{secure_web.port}", since=before)


def test_credentials_in_the_proxy_url_authenticate(auth_proxy, web):
    url = auth_proxy.url.replace("://", "://agent:s3cret@")
    assert fetch(client(proxyUrl=url), web.url("/hello")).text == "plain hello"


def test_an_invalid_proxy_url_warns_at_start_and_requests_go_direct(proxy, web):
    before = proxy.mark()
    loaded = settings(proxyUrl="ftp://user:hunter2@127.0.0.1:1")
    assert "The configuration actions.proxyUrl: ftp://user:***@127.0.0.1:1 is invalid." in (
        loaded.warnings
    )
    assert not any("hunter2" in warning for warning in loaded.warnings)
    http = HttpClient(NetworkPolicy.from_settings(loaded.actions))
    assert fetch(http, web.url("/hello")).text == "plain hello"
    assert proxy.seen()[before:] == []


@pytest.mark.parametrize(
    "proxy_url",
    [
        "http://agent:hunt/er2@127.0.0.1:1",  # an unescaped "/" makes the URL invalid
        "http://agent:hunt@er2@127.0.0.1:x",
        "agent:hunter2@127.0.0.1:3128",  # no scheme
    ],
)
def test_the_invalid_proxy_url_warning_never_shows_the_password(proxy_url):
    warnings = settings(proxyUrl=proxy_url).warnings
    assert any("actions.proxyUrl" in warning and "agent:***@" in warning for warning in warnings)
    assert not any(("hunt" in warning or "er2" in warning) for warning in warnings)


@pytest.mark.parametrize(
    "proxy_url", ["not a url", "http://", "socks5://127.0.0.1:1080", "http://127.0.0.1:99999"]
)
def test_what_counts_as_an_invalid_proxy_url(proxy_url):
    loaded = settings(proxyUrl=proxy_url)
    assert any(
        "actions.proxyUrl" in warning and "is invalid" in warning for warning in loaded.warnings
    )
    assert NetworkPolicy.from_settings(loaded.actions).proxy_url is None


def test_an_https_proxy_is_verified_with_proxy_verification_mode(tls_proxy, pki, web):
    before = tls_proxy.mark()
    # The proxy's certificate comes from the test CA, unknown to the default roots.
    with pytest.raises(requests.exceptions.ProxyError):
        fetch(client(proxyUrl=tls_proxy.url), web.url("/hello"))
    relaxed = client(proxyUrl=tls_proxy.url, ssl={"proxyVerificationMode": "none"})
    assert fetch(relaxed, web.url("/hello")).text == "plain hello"
    # The proxy's own customHostSettings entry supplies its CA.
    entry = {"url": tls_proxy.url, "ssl": {"certificateAuthoritiesData": pki.ca_pem}}
    trusted = client(proxyUrl=tls_proxy.url, customHostSettings=[entry])
    assert fetch(trusted, web.url("/hello")).text == "plain hello"
    assert len(tls_proxy.wait_seen("GET", f"127.0.0.1:{web.port}/hello", since=before)) >= 1


def test_the_ssrf_guard_checks_proxied_targets_before_the_proxy_sees_them(proxy, web):
    before = proxy.mark()
    http = client(proxyUrl=proxy.url, allowedHosts=["*", "127.0.0.1"])
    with pytest.raises(AddressNotAllowedError, match='"localhost"'):
        fetch(http, web.url("/hello", host="localhost"))
    with pytest.raises(AddressNotAllowedError, match=r'"127\.0\.0\.2"'):
        fetch(http, web.url("/hello", host="127.0.0.2"))
    assert fetch(http, web.url("/hello")).ok  # listed by name: allowed, through the proxy
    proxy.wait_seen("GET", f"127.0.0.1:{web.port}/hello", since=before)
    assert [seen[1] for seen in proxy.seen()[before:]] == [f"127.0.0.1:{web.port}/hello"]
