"""PKI for Other over real HTTPS (trustme): client certificates, CA, verification modes (§6)."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterator

import pytest
import trustme

from tests import servers
from tests.plugins.openai.support import USAGE, Upstream, completion, header_map

PATH = "/v1/chat/completions"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Pki(servers.Pki):
    """The shared certificates, with server contexts and ``.gen-ai`` PKI secrets."""

    def __init__(self) -> None:
        super().__init__()
        # an RSA key: the secrets validator refuses trustme's default "EC PRIVATE KEY" PEM
        self.client = self.client_ca.issue_cert("client", key_type=trustme.KeyType.RSA)

    def context(
        self, leaf: trustme.LeafCert, *, require_client_cert: bool = False
    ) -> ssl.SSLContext:
        context = self.server_context(leaf, require_client_cert=require_client_cert)
        if require_client_cert:
            # TLS 1.2: a missing client certificate fails the handshake itself
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        return context

    def secrets(self, *, client: bool = True, ca: bool = True) -> dict[str, str]:
        secrets = {}
        if client:
            secrets["certificateData"] = b64(self.client.cert_chain_pems[0].bytes())
            secrets["privateKeyData"] = b64(self.client.private_key_pem.bytes())
        if ca:
            secrets["caData"] = b64(self.ca.cert_pem.bytes())
        return secrets


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def https_upstream(context: ssl.SSLContext) -> Iterator[Upstream]:
    with Upstream(ssl_context=context) as server:
        server.expect_request(PATH).respond_with_json(completion(usage=USAGE))
        yield server


@pytest.fixture(autouse=True)
def fresh_logs(request) -> None:
    for name in ("mtls", "tls", "wrong_host"):
        if name in request.fixturenames:
            request.getfixturevalue(name).clear_log()


@pytest.fixture(scope="module")
def mtls(pki) -> Iterator[Upstream]:
    yield from https_upstream(pki.context(pki.server, require_client_cert=True))


@pytest.fixture(scope="module")
def tls(pki) -> Iterator[Upstream]:
    yield from https_upstream(pki.context(pki.server))


@pytest.fixture(scope="module")
def wrong_host(pki) -> Iterator[Upstream]:
    yield from https_upstream(pki.context(pki.wrong_host))


def run(gen_ai, server, secrets, provider="Other", **config):
    cid = gen_ai.create(provider, server.url_for(PATH), secrets=secrets, **config)
    return cid, gen_ai.run(cid, "run", body='{"messages":[]}')


def test_a_client_certificate_reaches_a_server_that_requires_one(gen_ai, pki, mtls):
    cid, result = run(gen_ai, mtls, pki.secrets(), verificationMode="full")
    assert result.status == "ok", result
    # PKI without an apiKey: no (empty) bearer token is sent
    assert "authorization" not in header_map(mtls.requests()[0])
    for sub_action, params in (
        ("invokeAI", {"messages": [{"role": "user", "content": "hi"}]}),
        ("stream", {"body": "{}"}),
    ):
        assert gen_ai.run(cid, sub_action, **params).status == "ok"


def test_pki_without_a_verification_mode_still_uses_the_certificate(gen_ai, pki, mtls):
    _, result = run(gen_ai, mtls, pki.secrets())
    assert result.status == "ok", result


def test_without_a_client_certificate_the_handshake_fails(gen_ai, pki, mtls):
    _, result = run(
        gen_ai, mtls, {"apiKey": "k", **pki.secrets(client=False)}, verificationMode="full"
    )
    assert result.status == "error"
    assert result.service_message.startswith(
        "TLS handshake failed: Status code: undefined. Message: Unexpected API Error: ERR_SSL_"
    )
    assert result.service_message.endswith(
        ". Verify server certificate hostname and CA configuration."
    )
    assert (result.retry, result.error_source) == (False, "user")


def test_an_unknown_server_ca_is_a_certificate_error(gen_ai, pki, tls):
    _, result = run(gen_ai, tls, {"apiKey": "k"}, verificationMode="full")
    message = result.service_message
    assert message.startswith(
        "Certificate error: Status code: undefined. Message: Unexpected API Error: "
    )
    assert "UNABLE_TO_GET_ISSUER_CERT_LOCALLY - unable to get local issuer certificate" in message
    assert message.endswith(
        ". Please check if your PKI certificates are valid or adjust SSL verification mode."
    )


def test_the_custom_ca_alone_is_trusted(gen_ai, pki, tls):
    _, result = run(gen_ai, tls, {"apiKey": "k", **pki.secrets(client=False)})
    assert result.status == "ok", result


def test_verification_mode_full_checks_the_hostname(gen_ai, pki, wrong_host):
    _, result = run(gen_ai, wrong_host, pki.secrets(), verificationMode="full")
    assert result.service_message.startswith(
        "TLS handshake failed: Status code: undefined. Message: Unexpected API Error: "
        "ERR_TLS_CERT_ALTNAME_INVALID - Hostname/IP does not match certificate's altnames"
    )


def test_verification_mode_certificate_skips_only_the_hostname(gen_ai, pki, wrong_host, tls):
    _, result = run(gen_ai, wrong_host, pki.secrets(), verificationMode="certificate")
    assert result.status == "ok", result
    _, result = run(gen_ai, tls, {"apiKey": "k"}, verificationMode="certificate")
    assert result.service_message.startswith("Certificate error: ")  # the chain is still checked


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verification_mode_none_trusts_anything(gen_ai, wrong_host):
    _, result = run(gen_ai, wrong_host, {"apiKey": "k"}, verificationMode="none")
    assert result.status == "ok", result


def test_pki_settings_apply_to_other_only(gen_ai, pki, tls):
    azure_path_server = tls
    _, result = run(gen_ai, azure_path_server, {"apiKey": "k", **pki.secrets()}, provider="OpenAI")
    assert result.service_message.startswith("Certificate error: ")


def test_an_unusable_ca_fails_the_execution_with_kibanas_message(gen_ai, tls, caplog):
    _, result = run(gen_ai, tls, {"apiKey": "k", "caData": b64(b"not a certificate")})
    assert result.service_message == (
        "Invalid or inaccessible PKI certificates: Invalid CA certificate data file format: "
        'The file must be a PEM-encoded certificate beginning with "-----BEGIN CERTIFICATE-----".'
    )
    assert (result.retry, result.error_source) == (False, "user")
    assert "Error validating PKI certificates: Invalid CA certificate data" in caplog.text
    assert tls.requests() == []


def test_pems_pasted_without_line_breaks_still_work(gen_ai, pki, mtls):
    def flatten(pem: bytes) -> bytes:
        return b" ".join(pem.split(b"\n"))

    secrets = {
        "certificateData": b64(flatten(pki.client.cert_chain_pems[0].bytes())),
        "privateKeyData": b64(flatten(pki.client.private_key_pem.bytes())),
        "caData": b64(flatten(pki.ca.cert_pem.bytes())),
    }
    _, result = run(gen_ai, mtls, secrets, verificationMode="full")
    assert result.status == "ok", result
