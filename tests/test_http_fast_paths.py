"""The per-call shortcuts of PolicySession: a prepared request identical to requests' own, and
response cookies parsed only when the server sent some."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from werkzeug import Response

from actions_core import HttpClient, NetworkPolicy
from tests.servers import Upstream


@pytest.fixture(scope="module")
def web() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def _session() -> requests.Session:
    return HttpClient(NetworkPolicy(allowed_hosts=("127.0.0.1",))).session()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/v1/chat", "http://127.0.0.1:9/a b?x=1&y=é", "HTTP://127.0.0.1:9"],
)
@pytest.mark.parametrize(
    "headers",
    [None, {}, {"Content-Type": "application/json", "Accept": None, "X-Key": "v"}],
)
def test_the_fast_prepared_request_is_the_one_requests_builds(url, headers):
    session = _session()
    slow = session.prepare_request(
        requests.Request("post", url, headers=headers, data=b'{"a":1}', params={})
    )
    for _ in range(2):  # the second time from the URL cache
        fast = session._prepare_fast("post", url, headers, b'{"a":1}')
        assert fast is not None
        assert (fast.method, fast.url, fast.body) == (slow.method, slow.url, slow.body)
        assert list(fast.headers.items()) == list(slow.headers.items())
        assert fast.hooks == slow.hooks
        assert len(fast._cookies) == 0


def test_credentials_in_the_url_or_session_auth_take_requests_own_path():
    session = _session()
    assert session._prepare_fast("POST", "http://u:p@127.0.0.1:9/", None, b"x") is None
    session.auth = ("u", "p")
    assert session._prepare_fast("POST", "http://127.0.0.1:9/", None, b"x") is None


def test_response_cookies_are_kept_only_when_the_server_sets_some(web):
    web.expect_request("/plain").respond_with_data("ok")
    web.expect_request("/cookie").respond_with_response(
        Response("ok", headers={"Set-Cookie": "session=abc; Path=/"})
    )
    client = HttpClient(NetworkPolicy(allowed_hosts=("127.0.0.1", "localhost")))
    plain = client.request("POST", web.url("/plain"), data=b"{}")
    assert (plain.status_code, plain.text, len(plain.cookies)) == (200, "ok", 0)
    assert plain.encoding == requests.utils.get_encoding_from_headers(plain.headers)
    cookie = client.request("POST", web.url("/cookie"), data=b"{}")
    assert cookie.cookies.get("session") == "abc"
    # the shared session still stores nothing
    assert len(client.session().cookies) == 0
