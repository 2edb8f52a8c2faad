"""Request bodies per provider, byte for byte as Kibana's helpers write them (spec §8)."""

from __future__ import annotations

import pytest
from actions_core_plugins.openai.sanitize import request_with_stream_option, sanitize_request

OPENAI_URL = "https://api.openai.com/v1/chat/completions"
AZURE_URL = (
    "https://r.openai.azure.com/openai/deployments/gpt4/chat/completions?api-version=2024-02-01"
)
MESSAGES = '"messages":[{"role":"user","content":"Hi"}]'


def test_openai_at_its_own_url_gets_the_stream_flag_and_the_default_model():
    body = '{ "messages": [ {"role":"user","content":"Hi"} ] }'
    assert sanitize_request("OpenAI", OPENAI_URL, body, "gpt-4.1") == (
        "{" + MESSAGES + ',"stream":false,"model":"gpt-4.1"}'
    )
    assert request_with_stream_option("OpenAI", OPENAI_URL, body, True, "gpt-4.1") == (
        "{" + MESSAGES + ',"stream":true,"stream_options":{"include_usage":true},"model":"gpt-4.1"}'
    )


def test_existing_keys_keep_their_position():
    body = '{"stream":true,"model":"gpt-4o",' + MESSAGES + "}"
    assert sanitize_request("OpenAI", OPENAI_URL, body, "gpt-4.1") == (
        '{"stream":false,"model":"gpt-4o",' + MESSAGES + "}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/chat/completions/",  # exact string equality, as Kibana
        "https://my-proxy.example.com/v1/chat/completions",
    ],
)
def test_openai_at_another_url_keeps_the_stream_flag_untouched(url):
    body = '{"stream":true,' + MESSAGES + "}"
    assert request_with_stream_option("OpenAI", url, body, False, "gpt-4.1") == (
        '{"stream":true,' + MESSAGES + ',"model":"gpt-4.1"}'
    )


def test_openai_legacy_completions_url_counts_as_openai():
    assert sanitize_request("OpenAI", "https://api.openai.com/v1/completions", "{}", "m") == (
        '{"stream":false,"model":"m"}'
    )


@pytest.mark.parametrize(
    ("model", "expected"),
    [('""', '"gpt-4.1"'), ("null", '"gpt-4.1"'), ('"gpt-4o"', '"gpt-4o"')],
)
def test_a_falsy_model_is_replaced(model, expected):
    body = '{"model":' + model + "}"
    assert (
        sanitize_request("OpenAI", "https://p/x", body, "gpt-4.1") == '{"model":' + expected + "}"
    )


def test_without_a_default_model_key_a_falsy_model_disappears():
    # Kibana: model = model || undefined, and JSON.stringify drops undefined
    assert sanitize_request("OpenAI", "https://p/x", '{"model":"","a":1}') == '{"a":1}'


def test_unused_tool_params_are_stripped_for_openai_and_other():
    body = (
        '{"tools":[],"tool_choice":"auto","parallel_tool_calls":true,"function_call":"auto","n":1}'
    )
    assert sanitize_request("OpenAI", "https://p/x", body, "m") == '{"tools":[],"n":1,"model":"m"}'
    assert sanitize_request("Other", "https://p/x", body, "m") == (
        '{"tools":[],"n":1,"stream":false,"model":"m"}'
    )
    used = (
        '{"tools":[{"type":"function"}],"tool_choice":"auto",'
        '"functions":[{}],"function_call":"auto"}'
    )
    assert sanitize_request("Other", "https://p/x", used) == used[:-1] + ',"stream":false}'


def test_bodies_that_are_not_json_objects_are_sent_as_given():
    assert sanitize_request("OpenAI", OPENAI_URL, "not json", "m") == "not json"
    assert sanitize_request("OpenAI", OPENAI_URL, '"a string"', "m") == '"a string"'
    assert sanitize_request("Other", "https://p/x", " 42 ", "m") == " 42 "
    assert sanitize_request("OpenAI", OPENAI_URL, " null ", "m") == "null"
    assert (
        sanitize_request("Other", "https://p/x", " null ", "m") == " null "
    )  # reading null.model throws
    assert sanitize_request("OpenAI", OPENAI_URL, "[1, 2]", "m") == "[1,2]"
    assert sanitize_request("OpenAI", OPENAI_URL, "", "m") == ""


def test_numbers_and_text_are_rewritten_as_javascript_would():
    body = (
        '{"temperature": 1.0, "max_tokens": 1e3,'
        ' "messages":[{"role":"user","content":"日本 \\u00e9"}]}'
    )
    assert sanitize_request("Other", "https://p/x", body, "m") == (
        '{"temperature":1,"max_tokens":1000,"messages":[{"role":"user","content":"日本 é"}],'
        '"stream":false,"model":"m"}'
    )


def test_azure_urls_get_the_stream_flag_and_usage_and_fill_only_a_missing_model():
    body = "{" + MESSAGES + "}"
    assert request_with_stream_option("Azure OpenAI", AZURE_URL, body, True) == (
        "{" + MESSAGES + ',"stream":true,"stream_options":{"include_usage":true}}'
    )
    assert sanitize_request("Azure OpenAI", AZURE_URL, body, "gpt-4o") == (
        "{" + MESSAGES + ',"stream":false,"model":"gpt-4o"}'
    )
    with_model = '{"model":"mine",' + MESSAGES + "}"
    assert sanitize_request("Azure OpenAI", AZURE_URL, with_model, "gpt-4o") == (
        '{"model":"mine",' + MESSAGES + ',"stream":false}'
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://r/openai/deployments/d/completions?api-version=1",
        "https://r/openai/deployments/d/extensions/chat/completions?api-version=1",
        "https://apim.example.com/prefix/openai/deployments/d/chat/completions",
    ],
)
def test_every_azure_url_pattern_is_recognised(url):
    assert sanitize_request("Azure OpenAI", url, "{}") == '{"stream":false}'


@pytest.mark.parametrize(
    "url",
    [
        "https://r/openai/deployments/d/embeddings?api-version=1",
        "https://r/openai/deployments/d/chat/not-completions",
        "https://r/openai/deployments//chat/completions",
        "https://r/openai/chat/completions",
    ],
)
def test_other_azure_urls_leave_the_body_untouched(url):
    body = '{ "messages" : [] }'
    assert request_with_stream_option("Azure OpenAI", url, body, True, "m") == body


def test_other_sets_the_stream_flag_everywhere_but_never_stream_options():
    assert request_with_stream_option("Other", "http://h/v1/chat/completions", "{}", True, "m") == (
        '{"stream":true,"model":"m"}'
    )


def test_an_unknown_provider_leaves_the_body_alone():
    assert sanitize_request("Nope", OPENAI_URL, '{ "a": 1 }', "m") == '{ "a": 1 }'
