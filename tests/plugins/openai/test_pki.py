"""PKI secrets: Node-lenient base64, PEM checks with Kibana's messages, re-wrapping, remaps."""

from __future__ import annotations

import base64

import pytest
import trustme
from actions_core_plugins.openai.pki import (
    CERT_REQUIRED,
    INVALID_CA,
    INVALID_CERT,
    INVALID_KEY,
    KEY_REQUIRED,
    PKI_REQUIRES_BOTH,
    check_pki_secrets,
    decode_base64,
    reformat_pem,
    remap_tls_error,
)


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


@pytest.fixture(scope="module")
def pems() -> dict[str, str]:
    ca = trustme.CA()
    leaf = ca.issue_cert("client", key_type=trustme.KeyType.RSA)
    return {
        "cert": leaf.cert_chain_pems[0].bytes().decode(),
        "key": leaf.private_key_pem.bytes().decode(),
        "ca": ca.cert_pem.bytes().decode(),
    }


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("aGVsbG8=", b"hello"),
        ("aGVsbG8", b"hello"),  # padding missing
        ("aGVs\n bG8=", b"hello"),  # whitespace skipped
        ("aGV*s#bG8", b"hello"),  # characters outside the alphabet skipped
        ("aGVs€bG8", b"hello"),  # non-ASCII characters too
        ("aGVsbG9", b"hello"),  # leftover bits that make no byte are dropped
        ("aGVsbG8=d29ybGQ=", b"hello"),  # stops at the first "="
        ("-_-_", base64.urlsafe_b64decode("-_-_")),  # URL-safe alphabet
        ("", b""),
        ("a", b""),
    ],
)
def test_base64_is_decoded_as_leniently_as_node(text, decoded):
    assert decode_base64(text) == decoded


def test_valid_pki_secrets_pass(pems):
    check_pki_secrets(
        {
            "certificateData": b64(pems["cert"]),
            "privateKeyData": b64(pems["key"]),
            "caData": b64(pems["ca"]),
        }
    )


def test_a_pkcs8_key_header_is_accepted_too():
    key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    check_pki_secrets({"certificateData": b64(cert), "privateKeyData": b64(key)})


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"apiKey": "k"}, PKI_REQUIRES_BOTH),
        ({"privateKeyData": "x"}, CERT_REQUIRED),
        ({"certificateData": "", "privateKeyData": "x"}, CERT_REQUIRED),
        ({"certificateData": "x"}, KEY_REQUIRED),
        # order: presence of both first, then the certificate's format, the key's, the CA's
        ({"certificateData": "bad", "privateKeyData": "bad"}, INVALID_CERT),
        ({"certificateData": "CERT", "privateKeyData": "bad"}, INVALID_KEY),
        ({"certificateData": "CERT", "privateKeyData": "KEY", "caData": "bad"}, INVALID_CA),
    ],
)
def test_pki_errors_are_kibanas_in_kibanas_order(pems, secrets, message):
    encoded = {"CERT": b64(pems["cert"]), "KEY": b64(pems["key"])}
    secrets = {k: encoded.get(v, v) for k, v in secrets.items()}
    with pytest.raises(ValueError) as info:
        check_pki_secrets(secrets)
    assert str(info.value) == message


def test_messages_are_exact():
    assert INVALID_CERT == (
        "Invalid Certificate data file format: The file must be a PEM-encoded certificate "
        'beginning with "-----BEGIN CERTIFICATE-----".'
    )
    assert INVALID_KEY == (
        "Invalid Private key data file format: The file must be a PEM-encoded private key "
        'beginning with "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----".'
    )
    assert INVALID_CA == (
        "Invalid CA certificate data file format: The file must be a PEM-encoded certificate "
        'beginning with "-----BEGIN CERTIFICATE-----".'
    )


def test_a_raw_pem_that_is_not_base64_fails(pems):
    with pytest.raises(ValueError, match="Invalid Certificate data"):
        check_pki_secrets({"certificateData": pems["cert"], "privateKeyData": b64(pems["key"])})


def test_an_ec_key_in_openssl_format_is_refused(pems):
    ec = trustme.CA().issue_cert("x").private_key_pem.bytes()  # -----BEGIN EC PRIVATE KEY-----
    with pytest.raises(ValueError, match="Invalid Private key"):
        check_pki_secrets({"certificateData": b64(pems["cert"]), "privateKeyData": b64(ec)})


def test_pems_pasted_on_one_line_are_rewrapped_at_64_characters(pems):
    body = "".join(pems["cert"].splitlines()[1:-1])
    one_line = f"-----BEGIN CERTIFICATE----- {body[:100]} {body[100:]} -----END CERTIFICATE-----"
    wrapped = reformat_pem(one_line)
    lines = wrapped.splitlines()
    assert lines[0] == "-----BEGIN CERTIFICATE-----" and lines[-1] == "-----END CERTIFICATE-----"
    assert all(len(line) == 64 for line in lines[1:-2]) and 0 < len(lines[-2]) <= 64
    assert "".join(lines[1:-1]) == body
    assert reformat_pem(pems["cert"]) == pems["cert"]


def test_bundles_are_rewrapped_block_by_block_and_other_text_is_kept(pems):
    bundle = pems["ca"] + pems["cert"]
    assert reformat_pem(bundle) == bundle
    assert reformat_pem("not a pem") == "not a pem"


def test_tls_errors_are_remapped_as_kibana_does():
    leaf = (
        "Status code: undefined. Message: Unexpected API Error: UNABLE_TO_VERIFY_LEAF_SIGNATURE - x"
    )
    assert remap_tls_error(leaf) == (
        f"Certificate error: {leaf}. Please check if your PKI certificates are valid or adjust "
        "SSL verification mode."
    )
    host = "Status code: undefined. Message: Unexpected API Error: ERR_TLS_CERT_ALTNAME_INVALID - y"
    assert remap_tls_error(host) == (
        f"TLS handshake failed: {host}. Verify server certificate hostname and CA configuration."
    )
    assert remap_tls_error("Status code: 500. Message: API Error: oops") is None
