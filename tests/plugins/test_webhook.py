"""The built-in ``.webhook`` type, against real HTTP(S) servers on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from werkzeug import Response

from actions_core import ValidationError
from tests.servers import Pki, Upstream
from tests.support import KEY

# The tests that switch verification off on purpose need not be told it is insecure.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

SECRET = "hunter2-very-secret"


@pytest.fixture(autouse=True)
def _webhook_plugin(monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log,webhook")
    yield


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def web() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(web) -> None:
    web.clear()


@pytest.fixture
def actions(make_actions):
    return make_actions(
        config={
            "actions": {
                "encryptionKey": KEY,
                "allowedHosts": ["127.0.0.1", "localhost"],
                "responseTimeout": "1s",
            }
        }
    )


def webhook(actions, url, secrets=None, **config):
    return actions.connectors.create(
        connector_type_id=".webhook",
        name="hook",
        config={"url": url, **config},
        secrets=secrets or {},
    ).id


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- the type ---


def test_it_is_discovered_through_its_entry_point_with_kibanas_fields(actions):
    info = next(t for t in actions.types() if t.id == ".webhook")
    assert (info.name, info.plugin) == ("Webhook", "webhook")
    assert set(info.config_schema["properties"]) == {
        "url",
        "method",
        "headers",
        "hasAuth",
        "authType",
        "certType",
        "ca",
        "verificationMode",
    }
    assert set(info.secrets_schema["properties"]) == {"user", "password", "crt", "key", "pfx"}
    assert set(info.params_schema["properties"]) == {"body"}
    assert info.config_schema["properties"]["method"]["enum"] == [
        "post",
        "put",
        "patch",
        "get",
        "delete",
    ]


# --- creating a connector: the URL and the authentication are checked ---


def test_a_url_not_allowed_is_refused_at_create(make_actions):
    actions = make_actions(config={"actions": {"encryptionKey": KEY, "allowedHosts": ["a.test"]}})
    with pytest.raises(ValidationError) as err:
        webhook(actions, "https://b.test/hook")
    assert err.value.message == (
        "error validating connector type config: error validation webhook action config: "
        'target url "https://b.test/hook" is not added to the configuration actions.allowedHosts'
    )


def test_a_non_public_address_is_refused_at_create_even_with_every_host_allowed(make_actions):
    actions = make_actions(config={"actions": {"encryptionKey": KEY}})
    with pytest.raises(ValidationError, match=r"actions\.ssrfProtection refuses"):
        webhook(actions, "http://169.254.169.254/latest/meta-data/")


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"url": "http://127.0.0.1/a\r\nX-Injected: 1"}, "url"),
        ({"url": "http://127.0.0.1/a\nb"}, "url"),
        ({"url": "http://127.0.0.1/\rb"}, "url"),
        ({"url": "http://127.0.0.1/", "headers": {"X-A": "v\r\nX-Injected: 1"}}, "headers.X-A"),
        ({"url": "http://127.0.0.1/", "headers": {"X-A": "v\nw"}}, "headers.X-A"),
        ({"url": "http://127.0.0.1/", "headers": {"X-A\r\nX-B": "v"}}, "headers"),
        ({"url": "http://127.0.0.1/", "headers": {"X A": "v"}}, "headers"),
    ],
)
def test_cr_or_lf_in_the_url_or_a_header_is_refused_at_create(actions, config, path):
    with pytest.raises(ValidationError) as err:
        actions.connectors.create(connector_type_id=".webhook", name="h", config=config, secrets={})
    assert err.value.message.startswith(
        f"error validating connector type config: error validation webhook action config: [{path}"
    ), err.value.message
    assert [p for p, _ in err.value.problems] == [path]
    assert actions.connectors.list() == []


@pytest.mark.parametrize(
    "host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "169.254.43518"]
)
def test_non_canonical_ipv4_literals_are_refused_at_create(make_actions, host):
    actions = make_actions(config={"actions": {"encryptionKey": KEY}})
    with pytest.raises(ValidationError, match=r"actions\.ssrfProtection refuses"):
        webhook(actions, f"http://{host}/hook")
    assert actions.connectors.list() == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"url": "not a url"}, "unable to parse url"),
        ({"url": "ftp://127.0.0.1/x"}, "unable to parse url"),
        ({"url": "http://127.0.0.1:99999/"}, "unable to parse url"),
        (
            {
                "url": "http://127.0.0.1/",
                "hasAuth": False,
                "authType": "webhook-authentication-basic",
            },
            "authType must be null or undefined if hasAuth is false",
        ),
        (
            {"url": "http://127.0.0.1/", "certType": "ssl-pfx"},
            'certType "ssl-pfx" is not supported',
        ),
        ({"url": "http://127.0.0.1/", "ca": "bm90IGEgY2VydA=="}, "config.ca must be a PEM"),
        ({"url": "http://127.0.0.1/", "method": "head"}, "[method]"),
    ],
)
def test_bad_config_names_the_problem(actions, config, message):
    with pytest.raises(ValidationError) as err:
        actions.connectors.create(connector_type_id=".webhook", name="h", config=config, secrets={})
    assert message in err.value.message


def test_basic_auth_needs_both_user_and_password_and_never_echoes_them(actions):
    with pytest.raises(ValidationError) as err:
        webhook(
            actions,
            "http://127.0.0.1/",
            secrets={"password": SECRET},
            hasAuth=True,
            authType="webhook-authentication-basic",
        )
    assert "needs both secrets.user and secrets.password" in err.value.message
    assert SECRET not in err.value.message


def test_ssl_auth_needs_a_certificate_and_key(actions):
    with pytest.raises(ValidationError, match=r"needs secrets\.crt and secrets\.key"):
        webhook(actions, "https://127.0.0.1/", authType="webhook-authentication-ssl")


# --- executing ---


def test_it_posts_the_body_with_headers_and_basic_auth(actions, web):
    web.expect_request("/hook", method="POST").respond_with_data("thanks", status=201)
    cid = webhook(
        actions,
        web.url("/hook"),
        secrets={"user": "elastic", "password": SECRET},
        headers={"X-Team": "ops"},
        hasAuth=True,
        authType="webhook-authentication-basic",
    )
    result = actions.execute(cid, {"body": '{"alert": "disk"}'})
    assert (result.status, result.data) == ("ok", "thanks")
    [(request, _)] = web.log
    assert request.get_data() == b'{"alert": "disk"}'
    assert request.headers["X-Team"] == "ops"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.authorization.username == "elastic"
    assert request.authorization.password == SECRET


def test_a_configured_content_type_is_kept(actions, web):
    web.expect_request("/hook").respond_with_data("")
    cid = webhook(actions, web.url("/hook"), headers={"content-type": "text/plain"})
    assert actions.execute(cid, {"body": "plain words"}).status == "ok"
    assert web.log[0][0].headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize(
    ("method", "sends_body"), [("put", True), ("patch", True), ("get", False), ("delete", False)]
)
def test_each_method_and_whether_it_sends_the_body(actions, web, method, sends_body):
    web.expect_request("/hook", method=method.upper()).respond_with_data("done")
    cid = webhook(actions, web.url("/hook"), method=method)
    assert actions.execute(cid, {"body": "payload"}).data == "done"
    assert web.log[0][0].get_data() == (b"payload" if sends_body else b"")


def test_the_body_is_rendered_with_json_escaping(actions, web):
    web.expect_request("/hook").respond_with_data("ok")
    cid = webhook(actions, web.url("/hook"))
    params = actions.render_parameter_templates(
        ".webhook",
        {"body": '{"text": "{{context.message}}", "raw": {{{context.count}}}}'},
        {"context": {"message": 'He said "stop"\nnow', "count": 3}},
        cid,
    )
    actions.execute(cid, params)
    assert json.loads(web.log[0][0].get_data()) == {"text": 'He said "stop"\nnow', "raw": 3}


def test_a_server_error_is_worth_a_retry(actions, web):
    web.expect_request("/hook").respond_with_json({"message": "database down"}, status=503)
    result = actions.execute(webhook(actions, web.url("/hook")), {"body": "{}"})
    assert result.status == "error"
    assert result.message == "error calling webhook, retry later"
    assert result.service_message == "[503] SERVICE UNAVAILABLE: database down"
    assert result.retry is True


def test_too_many_requests_with_retry_after_says_when(actions, web):
    web.expect_request("/hook").respond_with_data("", status=429, headers={"Retry-After": "30"})
    before = datetime.now(UTC)
    result = actions.execute(webhook(actions, web.url("/hook")), {"body": "{}"})
    assert isinstance(result.retry, datetime)
    assert (
        before + timedelta(seconds=29) <= result.retry <= datetime.now(UTC) + timedelta(seconds=31)
    )
    stamp = result.retry.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert result.message == f"error calling webhook, retry at {stamp}"
    assert result.service_message == "[429] TOO MANY REQUESTS"


def test_too_many_requests_without_retry_after_retries_later(actions, web):
    web.expect_request("/hook").respond_with_data("", status=429)
    result = actions.execute(webhook(actions, web.url("/hook")), {"body": "{}"})
    assert (result.message, result.retry) == ("error calling webhook, retry later", True)


def test_a_client_error_is_not_retried(actions, web):
    web.expect_request("/hook").respond_with_data("nope", status=404)
    result = actions.execute(webhook(actions, web.url("/hook")), {"body": "{}"})
    assert result.message == "error calling webhook, invalid response"
    assert result.service_message == "[404] NOT FOUND"
    assert result.retry is False
    assert result.error_source == "user"


def test_an_unreachable_service_is_a_failed_request_worth_a_retry(actions):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = actions.execute(webhook(actions, f"http://127.0.0.1:{port}/hook"), {"body": "{}"})
    assert result.message == "error calling webhook, request failed"
    assert result.service_message == f"[ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:{port}"
    assert result.retry is True


def test_a_timeout_reports_the_effective_timeout(actions, web):
    import time

    web.expect_request("/slow").respond_with_handler(
        lambda request: time.sleep(2) or Response("late")
    )
    result = actions.execute(webhook(actions, web.url("/slow")), {"body": "{}"})
    assert result.service_message == "[ECONNABORTED] timeout of 1000ms exceeded"
    assert result.retry is True


def test_an_oversized_response_fails_clearly(make_actions, web):
    actions = make_actions(
        config={
            "actions": {
                "encryptionKey": KEY,
                "allowedHosts": ["127.0.0.1"],
                "maxResponseContentLength": "1kb",
            }
        }
    )
    web.expect_request("/big").respond_with_data("x" * 5000)
    result = actions.execute(webhook(actions, web.url("/big")), {"body": "{}"})
    assert result.message == "error calling webhook, request failed"
    assert "maxContentLength size of 1024 exceeded" in result.service_message
    assert result.retry is False


def test_secrets_never_appear_in_results_events_or_logs(actions, web, caplog):
    web.expect_request("/hook").respond_with_json({"message": "bad credentials"}, status=401)
    cid = webhook(
        actions,
        web.url("/hook"),
        secrets={"user": "elastic", "password": SECRET},
        authType="webhook-authentication-basic",
    )
    with caplog.at_level(logging.DEBUG):
        result = actions.execute(cid, {"body": "{}"})
    assert result.service_message == "[401] UNAUTHORIZED: bad credentials"
    events = actions.recent_events(cid)
    assert events[0].outcome == "failure"
    visible = [
        json.dumps(result.to_api()),
        caplog.text,
        repr(events),
        repr(actions.connectors.get(cid)),
    ]
    assert not [text for text in visible if SECRET in text]


# --- TLS: CA, verification mode and client certificate from the connector ---


@pytest.fixture(scope="module")
def secure_web(pki) -> Iterator[Upstream]:
    with Upstream(pki.server_context()) as server:
        server.expect_request("/hook").respond_with_data("secure")
        yield server


@pytest.fixture(scope="module")
def mtls_web(pki) -> Iterator[Upstream]:
    with Upstream(pki.server_context(require_client_cert=True)) as server:
        server.expect_request("/hook").respond_with_data("mutual")
        yield server


def test_an_untrusted_certificate_fails_without_retry(actions, secure_web):
    result = actions.execute(webhook(actions, secure_web.url("/hook")), {"body": "{}"})
    assert result.message == "error calling webhook, request failed"
    assert result.service_message.startswith("[UNABLE_TO_GET_ISSUER_CERT_LOCALLY]")
    assert result.retry is False


def test_the_connector_ca_is_trusted_base64_or_pem(actions, secure_web, pki):
    for ca in (b64(pki.ca_pem), pki.ca_pem):
        cid = webhook(actions, secure_web.url("/hook"), ca=ca)
        assert actions.execute(cid, {"body": "{}"}).data == "secure"


def test_the_connector_verification_mode(actions, secure_web):
    cid = webhook(actions, secure_web.url("/hook"), verificationMode="none")
    assert actions.execute(cid, {"body": "{}"}).data == "secure"


def test_a_client_certificate_from_the_secrets(actions, mtls_web, pki):
    cert, key = pki.client_cert_pem()
    cid = webhook(
        actions,
        mtls_web.url("/hook"),
        secrets={"crt": b64(cert), "key": b64(key)},
        authType="webhook-authentication-ssl",
        certType="ssl-crt-key",
        ca=b64(pki.ca_pem),
    )
    assert actions.execute(cid, {"body": "{}"}).data == "mutual"


def test_an_encrypted_client_key_is_opened_with_the_password(actions, mtls_web, pki):
    cert, key = pki.client_cert_pem()
    encrypted = (
        serialization.load_pem_private_key(key.encode(), password=None)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(SECRET.encode()),
        )
        .decode()
    )
    config = {"authType": "webhook-authentication-ssl", "ca": b64(pki.ca_pem)}
    with pytest.raises(ValidationError, match=r"secrets\.key is encrypted") as err:
        webhook(actions, mtls_web.url("/hook"), secrets={"crt": cert, "key": encrypted}, **config)
    assert SECRET not in err.value.message
    cid = webhook(
        actions,
        mtls_web.url("/hook"),
        secrets={"crt": cert, "key": encrypted, "password": SECRET},
        **config,
    )
    assert actions.execute(cid, {"body": "{}"}).data == "mutual"


def test_without_the_client_certificate_the_mtls_server_refuses(actions, mtls_web, pki):
    result = actions.execute(
        webhook(actions, mtls_web.url("/hook"), ca=b64(pki.ca_pem)), {"body": "{}"}
    )
    assert result.message == "error calling webhook, request failed"


def test_the_client_key_is_converted_once_not_on_every_execution(actions, mtls_web, pki):
    # loading an RSA key validates it (~100 ms): not a cost to pay per execution
    from actions_core_plugins.webhook import auth

    auth._unencrypted_key.cache_clear()
    cert, key = pki.client_cert_pem()
    cid = webhook(
        actions,
        mtls_web.url("/hook"),
        secrets={"crt": cert, "key": key},
        authType="webhook-authentication-ssl",
        ca=b64(pki.ca_pem),
    )
    for _ in range(3):
        assert actions.execute(cid, {"body": "{}"}).data == "mutual"
    assert auth._unencrypted_key.cache_info().misses == 1
