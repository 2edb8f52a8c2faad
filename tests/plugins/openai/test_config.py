"""The type, its config and secrets: schemas, defaults and Kibana's validation messages (§0-§3)."""

from __future__ import annotations

import base64

import pytest
import trustme
from actions_core_plugins.openai import DEFAULT_MODEL

import actions_core

OPENAI_URL = "https://api.openai.com/v1/chat/completions"
AZURE_URL = (
    "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-02-01"
)


def create(gen_ai, config, secrets=None):
    return gen_ai.actions.connectors.create(
        connector_type_id=".gen-ai",
        name="gpt",
        config=config,
        secrets={"apiKey": "sk"} if secrets is None else secrets,
    )


def error_of(gen_ai, config, secrets=None) -> str:
    with pytest.raises(actions_core.ValidationError) as info:
        create(gen_ai, config, secrets)
    return info.value.message


def test_the_type_is_discovered_through_its_entry_point(gen_ai):
    [info] = gen_ai.actions.types()
    assert (info.id, info.name, info.plugin) == (".gen-ai", "OpenAI", "openai")
    assert info.minimum_license_required == "enterprise"
    assert set(info.supported_feature_ids) == {
        "generativeAIForSecurity",
        "generativeAIForObservability",
        "generativeAIForSearchPlayground",
    }
    assert list(info.sub_actions) == [
        "run",
        "test",
        "stream",
        "invokeAI",
        "invokeStream",
        "invokeAsyncIterator",
        "getDashboard",
    ]


def test_the_default_model_is_one_constant_stored_for_openai(gen_ai):
    assert DEFAULT_MODEL == "gpt-4.1"
    connector = create(gen_ai, {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL})
    assert connector.config == {
        "apiProvider": "OpenAI",
        "apiUrl": OPENAI_URL,
        "defaultModel": "gpt-4.1",
    }


def test_each_provider_accepts_its_own_keys(gen_ai):
    create(
        gen_ai,
        {
            "apiProvider": "OpenAI",
            "apiUrl": OPENAI_URL,
            "organizationId": "org",
            "projectId": "proj",
            "headers": {"X-A": "b"},
            "contextWindowLength": 128000,
            "temperature": 0.2,
            "defaultModel": "gpt-4o",
        },
    )
    azure = create(gen_ai, {"apiProvider": "Azure OpenAI", "apiUrl": AZURE_URL})
    assert "defaultModel" not in azure.config  # optional, no default
    create(gen_ai, {"apiProvider": "Azure OpenAI", "apiUrl": AZURE_URL, "defaultModel": "gpt-4o"})
    other = create(
        gen_ai,
        {
            "apiProvider": "Other",
            "apiUrl": "http://localhost:8080/v1/chat/completions",
            "defaultModel": "llama",
            "enableNativeFunctionCalling": True,
        },
    )
    assert "verificationMode" not in other.config  # kept absent when not given


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"apiProvider": "Azure OpenAI", "apiUrl": AZURE_URL, "organizationId": "o"},
            "[organizationId]: definition for this key is missing",
        ),
        (
            {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL, "verificationMode": "full"},
            "[verificationMode]: definition for this key is missing",
        ),
        (
            {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL, "certificateData": "x"},
            "[certificateData]: definition for this key is missing",
        ),
        (
            {"apiProvider": "Other", "apiUrl": "http://localhost/v1"},
            "[defaultModel]: expected value of type [string] but got [undefined]",
        ),
        (
            {"apiProvider": "OpenAI"},
            "[apiUrl]: expected value of type [string] but got [undefined]",
        ),
        (
            {"apiUrl": OPENAI_URL},
            "[apiProvider]: expected value of type [string] but got [undefined]",
        ),
        (
            {"apiProvider": "openai", "apiUrl": OPENAI_URL},
            "[apiProvider]: expected one of [OpenAI, Azure OpenAI, Other] but got [openai]",
        ),
        (
            {
                "apiProvider": "Other",
                "apiUrl": "http://x",
                "defaultModel": "m",
                "verificationMode": "yes",
            },
            "[verificationMode]: expected one of [full, certificate, none] but got [yes]",
        ),
        (
            {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL, "headers": {"X-A": 1}},
            "[headers.X-A]: expected value of type [string] but got [number]",
        ),
    ],
)
def test_schema_errors_name_the_field(gen_ai, config, message):
    assert error_of(gen_ai, config) == f"error validating connector type config: {message}"


@pytest.mark.parametrize(
    ("url", "inner"),
    [
        ("example.com/do-something", "URL Error: Invalid URL: example.com/do-something"),
        ("http://", "URL Error: Invalid URL: http://"),
        ("mailto:x@y", "URL Error: URL must contain hostname"),
        ("ftp://h/x", "URL Error: Invalid protocol"),
    ],
)
def test_url_errors_are_kibanas(gen_ai, url, inner):
    assert error_of(gen_ai, {"apiProvider": "OpenAI", "apiUrl": url}) == (
        f"error validating connector type config: Error configuring OpenAI action: Error: {inner}"
    )


def test_hosts_outside_allowed_hosts_are_refused_at_create_time(gen_ai):
    message = error_of(
        gen_ai,
        {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL.replace("api.openai.com", "evil.example")},
    )
    assert message == (
        "error validating connector type config: Error configuring OpenAI action: Error: "
        'error validating url: target url "https://evil.example/v1/chat/completions" is not '
        "added to the configuration actions.allowedHosts"
    )


def test_the_default_allow_list_accepts_public_hosts(gen_ai_factory):
    gen_ai = gen_ai_factory(allowedHosts=["*"])
    create(gen_ai, {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL})


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1"])
def test_non_canonical_loopback_literals_are_refused_at_create_time(gen_ai_factory, host):
    gen_ai = gen_ai_factory(allowedHosts=["*"])
    message = error_of(
        gen_ai, {"apiProvider": "OpenAI", "apiUrl": f"http://{host}:8080/v1/chat/completions"}
    )
    assert f'target host "{host}" is a non-public address (loopback)' in message


def test_numeric_strings_are_coerced_as_zod_does(gen_ai):
    connector = create(
        gen_ai,
        {
            "apiProvider": "Other",
            "apiUrl": "http://localhost/v1",
            "defaultModel": "m",
            "contextWindowLength": "128000",
            "temperature": "0.7",
        },
    )
    assert connector.config["contextWindowLength"] == 128000
    assert connector.config["temperature"] == 0.7
    message = error_of(
        gen_ai, {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL, "temperature": "warm"}
    )
    assert message.endswith("[temperature]: expected value of type [number] but got [string]")


# --- secrets ------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def client_pki() -> dict[str, str]:
    ca = trustme.CA()
    leaf = ca.issue_cert("client", key_type=trustme.KeyType.RSA)
    return {
        "certificateData": b64(leaf.cert_chain_pems[0].bytes()),
        "privateKeyData": b64(leaf.private_key_pem.bytes()),
        "caData": b64(ca.cert_pem.bytes()),
    }


OTHER = {"apiProvider": "Other", "apiUrl": "https://localhost/v1", "defaultModel": "m"}


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({}, "[apiKey]: expected value of type [string] but got [undefined]"),
        ({"apiKey": ""}, "[apiKey]: expected value of type [string] but got [undefined]"),
        ({"caData": "x", "apiKey": "k2"}, None),
        ({"caData": "eA=="}, "[apiKey]: expected value of type [string] but got [undefined]"),
        ({"apiKey": "k", "token": "x"}, "[token]: definition for this key is missing"),
        (
            {"apiKey": "k", "certificateData": ""},
            "[certificateData]: value has length [0] but it must have a minimum length of [1].",
        ),
        ({"certificateData": "x"}, "Private key data must be provided for PKI"),
        ({"privateKeyData": "x"}, "Certificate data must be provided for PKI"),
        (
            {"apiKey": "", "caData": "x"},
            "[apiKey]: value has length [0] but it must have a minimum length of [1].",
        ),
    ],
)
def test_secrets_errors_are_kibanas(gen_ai, secrets, message):
    if message is None:
        create(gen_ai, OTHER, secrets)
        return
    assert error_of(gen_ai, OTHER, secrets) == f"error validating connector type secrets: {message}"


def test_pki_secrets_need_no_api_key(gen_ai, client_pki):
    create(gen_ai, OTHER, dict(client_pki))
    create(gen_ai, {**OTHER, "verificationMode": "certificate"}, dict(client_pki))


def test_a_pem_that_is_not_base64_is_refused(gen_ai, client_pki):
    secrets = {**client_pki, "caData": base64.b64decode(client_pki["caData"]).decode()}
    assert error_of(gen_ai, OTHER, secrets).endswith(
        "Invalid CA certificate data file format: The file must be a PEM-encoded certificate "
        'beginning with "-----BEGIN CERTIFICATE-----".'
    )


def test_pki_secrets_on_openai_are_accepted_but_unused(gen_ai, client_pki):
    create(gen_ai, {"apiProvider": "OpenAI", "apiUrl": OPENAI_URL}, {"apiKey": "k", **client_pki})


@pytest.mark.parametrize(
    ("provider", "message"),
    [("Foo", "API Provider is not supported: Foo"), ("", "API Provider is not supported")],
)
def test_the_provider_check_of_the_validator_itself(provider, message):
    # the schema refuses these first; the validator still checks when called on its own
    from actions_core_plugins.openai.validators import validate_config

    ctx = actions_core.ValidationContext(".gen-ai", actions_core.NetworkPolicy())
    with pytest.raises(actions_core.ValidationError) as info:
        validate_config({"apiProvider": provider, "apiUrl": OPENAI_URL}, ctx)
    assert info.value.message == f"Error configuring OpenAI action: Error: {message}"
