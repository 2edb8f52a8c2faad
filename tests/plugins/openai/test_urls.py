"""URL checks (Kibana's assertURL), the framework's normalisation and the SDK endpoint."""

from __future__ import annotations

import pytest
from actions_core_plugins.openai.urls import (
    UrlError,
    assert_url,
    chat_completions_url,
    normalize_url,
    remove_endpoint,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/chat/completions",
        "http://localhost:8080/v1/chat/completions",
        "http://127.0.0.1:1234",
        "https://[::1]:8443/x",
        "https://user:pw@example.com/x?y=1#z",
        "HTTPS://EXAMPLE.COM",
        "https:///path",  # WHATWG: special schemes skip extra slashes (host "path")
    ],
)
def test_valid_urls_pass(url):
    assert_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("example.com/do-something", "Invalid URL: example.com/do-something"),
        ("//example.com/x", "Invalid URL: //example.com/x"),
        ("http://", "Invalid URL: http://"),
        ("http://exa mple.com", "Invalid URL: http://exa mple.com"),
        ("http://example.com:99999", "Invalid URL: http://example.com:99999"),
        ("", "Invalid URL: "),
        ("mailto:x@y", "URL must contain hostname"),
        ("file:///etc/passwd", "URL must contain hostname"),
        ("ftp://h", "Invalid protocol"),
        ("ws://example.com", "Invalid protocol"),
    ],
)
def test_invalid_urls_are_reported_as_kibana_does(url, message):
    with pytest.raises(UrlError) as info:
        assert_url(url)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://example.com//api///x", "https://example.com/api/x"),
        ("https://example.com/v1/chat/completions/", "https://example.com/v1/chat/completions"),
        ("https://example.com/v1//", "https://example.com/v1/"),
        ("http://h/a?u=http://x//y", "http://h/a?u=http://x/y"),
    ],
)
def test_request_urls_are_normalised(url, normalised):
    assert normalize_url(url) == normalised


def test_remove_endpoint_strips_only_a_trailing_chat_completions():
    assert (
        remove_endpoint("https://api.openai.com/v1/chat/completions/")
        == "https://api.openai.com/v1"
    )
    assert (
        remove_endpoint("https://api.openai.com/v1/chat/completions") == "https://api.openai.com/v1"
    )
    assert remove_endpoint("https://h/v1/completions") == "https://h/v1/completions"


@pytest.mark.parametrize(
    ("provider", "api_url", "expected"),
    [
        (
            "OpenAI",
            "https://api.openai.com/v1/chat/completions",
            "https://api.openai.com/v1/chat/completions",
        ),
        ("Other", "http://localhost:8080/v1", "http://localhost:8080/v1/chat/completions"),
        ("Other", "http://localhost:8080/v1/", "http://localhost:8080/v1/chat/completions"),
        ("Other", "http://h/v1/chat/completions?x=1", "http://h/v1/chat/completions?x=1"),
        (
            "Azure OpenAI",
            "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-02-01",
            "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-02-01",
        ),
    ],
)
def test_the_sdk_path_posts_to_the_chat_completions_endpoint(provider, api_url, expected):
    assert chat_completions_url(api_url, provider) == expected
