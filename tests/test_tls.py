"""TLS of outbound requests against real HTTPS servers on 127.0.0.1 (trustme certificates).

Each verification mode meets a valid certificate, one for another hostname and one from an
unknown CA; the CA reaches the client through ``customHostSettings`` or the connector's own
``TlsOptions``; a server demands a client certificate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from actions_core import HttpClient, NetworkPolicy, TlsOptions, ValidationError
from actions_core._net.tls import TlsSettings, ssl_context
from actions_core.settings import load_settings
from tests._net.transports import both_transports, requests_only
from tests.servers import Pki, Upstream

transport = both_transports(__name__)

# The tests that switch verification off on purpose need not be told it is insecure.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def _upstream(context) -> Iterator[Upstream]:
    with Upstream(context) as server:
        server.expect_request("/").respond_with_data("hello over TLS")
        yield server


@pytest.fixture(scope="module")
def valid(pki) -> Iterator[Upstream]:
    yield from _upstream(pki.server_context())


@pytest.fixture(scope="module")
def wrong_host(pki) -> Iterator[Upstream]:
    yield from _upstream(pki.server_context(pki.wrong_host))


@pytest.fixture(scope="module")
def unknown_ca(pki) -> Iterator[Upstream]:
    yield from _upstream(pki.server_context(pki.untrusted))


@pytest.fixture(scope="module")
def mtls(pki) -> Iterator[Upstream]:
    yield from _upstream(pki.server_context(require_client_cert=True))


def client(**actions: Any) -> HttpClient:
    """An HttpClient for the given ``actions:`` settings (127.0.0.1 allowed by name)."""
    settings = load_settings({"actions": {"allowedHosts": ["127.0.0.1"], **actions}}, env={})
    return HttpClient(NetworkPolicy.from_settings(settings.actions))


def trusting(pki: Pki, *servers: Upstream, **actions: Any) -> HttpClient:
    """A client whose customHostSettings trust the test CA for ``servers``."""
    entries = [
        {"url": server.url("/"), "ssl": {"certificateAuthoritiesData": pki.ca_pem}}
        for server in servers
    ]
    return client(customHostSettings=entries, **actions)


# --- the global verification mode, each kind of certificate ---

OK = "ok"
FAILS = "fails"


@pytest.mark.parametrize(
    ("server", "mode", "outcome"),
    [
        ("valid", "full", OK),
        ("valid", "certificate", OK),
        ("valid", "none", OK),
        ("wrong_host", "full", FAILS),
        ("wrong_host", "certificate", OK),
        ("wrong_host", "none", OK),
        ("unknown_ca", "full", FAILS),
        ("unknown_ca", "certificate", FAILS),
        ("unknown_ca", "none", OK),
    ],
)
def test_verification_modes(request, pki, server, mode, outcome):
    upstream = request.getfixturevalue(server)
    http = trusting(pki, upstream, ssl={"verificationMode": mode})
    if outcome == OK:
        assert http.request("GET", upstream.url("/")).text == "hello over TLS"
    else:
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            http.request("GET", upstream.url("/"))
    http.close()


def test_hostname_mismatch_is_reported_as_such(pki, wrong_host):
    with pytest.raises(requests.exceptions.SSLError, match=r"(?i)hostname|IP address mismatch"):
        trusting(pki, wrong_host).request("GET", wrong_host.url("/"))


# --- customHostSettings ---


def test_without_the_custom_ca_the_test_ca_is_unknown(valid):
    with pytest.raises(requests.exceptions.SSLError, match="unable to get local issuer"):
        client().request("GET", valid.url("/"))


def test_a_custom_host_ca_is_used_for_that_host_only(pki, valid, wrong_host):
    http = trusting(pki, valid, ssl={"verificationMode": "certificate"})
    assert http.request("GET", valid.url("/")).ok
    with pytest.raises(requests.exceptions.SSLError):  # same CA, but not configured for it
        http.request("GET", wrong_host.url("/"))


def test_custom_host_ca_files_are_read_at_start(pki, valid, tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(pki.ca_pem)
    entry = {
        "url": valid.url("/ignored/path"),
        "ssl": {"certificateAuthoritiesFiles": [str(ca_file)]},
    }
    http = client(customHostSettings=[entry])
    ca_file.unlink()  # read once, at start-up
    assert http.request("GET", valid.url("/")).ok


def test_a_custom_host_verification_mode_overrides_the_global_one(pki, unknown_ca, valid):
    entries = [
        {"url": unknown_ca.url("/"), "ssl": {"verificationMode": "none"}},
        {"url": valid.url("/"), "ssl": {"certificateAuthoritiesData": pki.ca_pem}},
    ]
    http = client(customHostSettings=entries, ssl={"verificationMode": "full"})
    assert http.request("GET", unknown_ca.url("/")).ok
    assert http.request("GET", valid.url("/")).ok


# --- per-connector TLS options ---


def test_a_connector_ca_trusts_its_server(pki, valid):
    http = client()
    assert http.request("GET", valid.url("/"), tls=TlsOptions(ca_data=pki.ca_pem)).ok


def test_a_connector_ca_replaces_the_trusted_roots(pki, valid):
    http = trusting(pki, valid)  # the custom host trusts the right CA...
    other = TlsOptions(ca_data=pki.client_ca_pem)  # ...the connector names another one
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        http.request("GET", valid.url("/"), tls=other)
    assert http.request("GET", valid.url("/")).ok  # other requests are unaffected


def test_a_connector_verification_mode_overrides_custom_host_and_global(pki, wrong_host):
    http = trusting(pki, wrong_host, ssl={"verificationMode": "full"})
    tls = TlsOptions(verification_mode="certificate")
    assert http.request("GET", wrong_host.url("/"), tls=tls).ok
    with pytest.raises(requests.exceptions.SSLError):
        http.request("GET", wrong_host.url("/"))


def test_no_connector_mode_keeps_the_global_one(pki, unknown_ca):
    http = client(ssl={"verificationMode": "none"})
    assert http.request("GET", unknown_ca.url("/"), tls=TlsOptions(ca_data=None)).ok


# --- client certificates ---


def test_a_server_requiring_a_client_certificate_refuses_a_client_without_one(pki, mtls):
    with pytest.raises(requests.exceptions.ConnectionError):
        trusting(pki, mtls).request("GET", mtls.url("/"))


def test_a_client_certificate_from_the_connector_is_presented(pki, mtls):
    cert, key = pki.client_cert_pem()
    tls = TlsOptions(ca_data=pki.ca_pem, cert_data=cert, key_data=key)
    assert client().request("GET", mtls.url("/"), tls=tls).text == "hello over TLS"


def test_a_client_certificate_from_another_ca_is_refused(pki, mtls):
    import trustme

    stranger = trustme.CA().issue_cert("client.test")
    tls = TlsOptions(
        ca_data=pki.ca_pem,
        cert_data=stranger.cert_chain_pems[0].bytes().decode(),
        key_data=stranger.private_key_pem.bytes().decode(),
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        client().request("GET", mtls.url("/"), tls=tls)


# --- contexts: built once, errors that name the setting and hide the key ---


def test_contexts_are_built_once_per_distinct_setting(pki):
    first = TlsSettings(verification_mode="certificate", ca_data=pki.ca_pem)
    same = TlsSettings(verification_mode="certificate", ca_data=pki.ca_pem)
    other = TlsSettings(verification_mode="full", ca_data=pki.ca_pem)
    assert ssl_context(first) is ssl_context(same)
    assert ssl_context(first) is not ssl_context(other)


def test_requests_share_one_context_and_one_connection(pki, valid, transport):
    requests_only(transport)
    http = trusting(pki, valid)
    for _ in range(5):
        assert http.request("GET", valid.url("/")).ok
    pools = http.session().get_adapter(valid.url("/")).poolmanager.pools
    assert len(pools) == 1
    pool = pools[next(iter(pools.keys()))]
    assert pool.num_connections == 1


def test_an_invalid_connector_ca_is_a_clear_error(valid):
    with pytest.raises(ValidationError, match=r"TlsOptions\.ca_data holds no valid PEM"):
        client().request("GET", valid.url("/"), tls=TlsOptions(ca_data="not a certificate"))


def test_an_invalid_client_key_is_a_clear_error_that_does_not_show_the_key(pki, valid):
    cert, _ = pki.client_cert_pem()
    secret_key = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-MATERIAL\n-----END PRIVATE KEY-----\n"
    tls = TlsOptions(ca_data=pki.ca_pem, cert_data=cert, key_data=secret_key)
    with pytest.raises(ValidationError, match=r"TlsOptions\.cert_data/key_data") as err:
        client().request("GET", valid.url("/"), tls=tls)
    assert "TOP-SECRET" not in str(err.value)


def test_tls_options_never_show_the_key():
    options = TlsOptions(cert_data="CERT", key_data="SECRET-KEY", ca_data="CA")
    assert "SECRET-KEY" not in repr(options)
    assert "key_data=<hidden>" in repr(options)
    assert "SECRET-KEY" not in repr(TlsSettings(cert_data="C", key_data="SECRET-KEY"))


def test_tls_options_are_checked_when_made():
    with pytest.raises(ValueError, match="verification_mode must be one of"):
        TlsOptions(verification_mode="strict")
    with pytest.raises(ValueError, match="given together"):
        TlsOptions(cert_data="CERT")
