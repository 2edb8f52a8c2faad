"""The network policy as a value: allowed hosts, proxy choice, TLS per host, and how the
settings (``actions.yml`` and environment) build it."""

from __future__ import annotations

import pytest

from actions_core import ConfigError, HostNotAllowedError, NetworkPolicy
from actions_core.settings import load_settings


def policy_of(**actions) -> NetworkPolicy:
    return NetworkPolicy.from_settings(load_settings({"actions": actions}, env={}).actions)


# --- allowed hosts (Kibana's semantics) ---


def test_by_default_every_host_is_allowed():
    assert NetworkPolicy().is_uri_allowed("https://api.openai.com/v1/chat")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com/x", True),
        ("https://API.Example.com:8443/x", True),  # case-insensitive, port ignored
        ("//api.example.com/x", True),  # slashes denote the host, as in Kibana
        ("https://sub.api.example.com/", False),  # no wildcard subdomains
        ("https://example.com/", False),
        ("https://api.example.com.evil.test/", False),
        ("not a url", False),
        ("https:///nohost", False),
        ("https://[::1", False),  # unparseable
    ],
)
def test_hosts_match_exactly(url, allowed):
    assert NetworkPolicy(allowed_hosts=("api.example.com",)).is_uri_allowed(url) is allowed


def test_a_star_anywhere_allows_every_host():
    assert NetworkPolicy(allowed_hosts=("a.test", "*")).is_uri_allowed("https://b.test/")


def test_refusals_keep_kibanas_message_shape():
    policy = NetworkPolicy(allowed_hosts=("a.test",))
    with pytest.raises(HostNotAllowedError) as err:
        policy.ensure_uri_allowed("https://b.test/hook")
    assert err.value.message == (
        'target url "https://b.test/hook" is not added to the configuration actions.allowedHosts'
    )
    assert err.value.status_code == 403
    with pytest.raises(HostNotAllowedError, match=r'target hostname "b\.test" is not added'):
        policy.ensure_hostname_allowed("b.test")


def test_a_url_without_a_scheme_gets_a_hint_instead_of_a_puzzle():
    # Kibana issue #68662: the allow-list error for a missing scheme misleads.
    with pytest.raises(HostNotAllowedError, match=r"did you mean https://a\.test/x\?"):
        NetworkPolicy(allowed_hosts=("a.test",)).ensure_uri_allowed("a.test/x")


def test_a_host_listed_in_unicode_matches_the_idna_form_requests_sends():
    # requests sends http://xn--bcher-kva.example/; the factory checks that form on every hop
    policy = NetworkPolicy(allowed_hosts=("Bücher.example",))
    assert policy.is_uri_allowed("http://bücher.example/")
    assert policy.is_uri_allowed("http://xn--bcher-kva.example/")
    assert not policy.is_uri_allowed("http://bucher.example/")
    proxied = NetworkPolicy(proxy_url="http://p.test:3128", proxy_bypass_hosts=["bücher.example"])
    assert proxied.proxy_for("https://xn--bcher-kva.example/") is None


# --- proxy choice ---


def test_no_proxy_url_means_direct_connections():
    assert NetworkPolicy().proxy_for("https://a.test/") is None


def test_every_host_uses_the_proxy_by_default():
    policy = NetworkPolicy(proxy_url="http://proxy.test:3128")
    assert policy.proxy_for("https://a.test/") == "http://proxy.test:3128"


def test_bypass_hosts_go_direct():
    policy = NetworkPolicy(proxy_url="http://p.test:3128", proxy_bypass_hosts=["A.test"])
    assert policy.proxy_for("https://a.test/") is None
    assert policy.proxy_for("https://b.test/") == "http://p.test:3128"


def test_only_hosts_alone_use_the_proxy():
    policy = NetworkPolicy(proxy_url="http://p.test:3128", proxy_only_hosts=["a.test"])
    assert policy.proxy_for("https://a.test/") == "http://p.test:3128"
    assert policy.proxy_for("https://b.test/") is None


def test_with_both_lists_the_only_list_is_ignored():
    policy = NetworkPolicy(
        proxy_url="http://p.test:3128", proxy_bypass_hosts=["a.test"], proxy_only_hosts=["c.test"]
    )
    assert policy.proxy_only_hosts is None
    assert policy.proxy_for("https://b.test/") == "http://p.test:3128"


# --- TLS per host ---


def test_tls_settings_merge_connector_custom_host_and_global():
    from actions_core import TlsOptions
    from actions_core._net.custom_hosts import CustomHost

    policy = NetworkPolicy(
        verification_mode="full",
        custom_hosts=(CustomHost("https://a.test:443", verification_mode="none", ca_data="CA-A"),),
    )
    assert policy.tls_for("https://a.test/x").verification_mode == "none"
    assert policy.tls_for("https://A.TEST:443/y").ca_data == "CA-A"
    assert policy.tls_for("https://a.test:8443/").verification_mode == "full"  # other port
    assert policy.tls_for("https://b.test/").ca_data is None
    override = TlsOptions(verification_mode="certificate", ca_data="CA-C")
    merged = policy.tls_for("https://a.test/", override)
    assert (merged.verification_mode, merged.ca_data) == ("certificate", "CA-C")


def test_the_policy_is_a_hashable_value():
    first = NetworkPolicy(allowed_hosts=["a.test"], proxy_headers={"X-Token": "t"})
    second = NetworkPolicy(allowed_hosts=("a.test",), proxy_headers=(("X-Token", "t"),))
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second, NetworkPolicy()}) == 2


def test_the_policy_repr_hides_the_proxy_password_and_header_values():
    policy = NetworkPolicy(
        proxy_url="http://agent:pa/ss@proxy.test:3128",
        proxy_headers={"Proxy-Authorization": "Basic c2VjcmV0"},
    )
    text = repr(policy)
    assert "pa/ss" not in text and "c2VjcmV0" not in text
    assert "proxy_url='http://agent:***@proxy.test:3128'" in text
    assert "('Proxy-Authorization', '<hidden>')" in text


def test_impossible_values_are_refused():
    with pytest.raises(ValueError, match=r"ssl\.verificationMode must be one of"):
        NetworkPolicy(verification_mode="strict")
    with pytest.raises(ValueError, match="responseTimeout must be greater than zero"):
        NetworkPolicy(response_timeout=0)


# --- from settings ---


def test_every_network_setting_reaches_the_policy(tmp_path):
    policy = policy_of(
        allowedHosts=["a.test", "localhost"],
        responseTimeout="90s",
        maxResponseContentLength="2mb",
        ssl={"verificationMode": "certificate", "proxyVerificationMode": "none"},
        proxyUrl="http://proxy.test:3128",
        proxyHeaders={"X-Proxy-Token": "t"},
        proxyBypassHosts=["localhost"],
        customHostSettings=[{"url": "https://a.test", "ssl": {"verificationMode": "none"}}],
        ssrfProtection=False,
    )
    assert policy.allowed_hosts == ("a.test", "localhost")
    assert policy.response_timeout == 90
    assert policy.max_response_content_length == 2 * 1024 * 1024
    assert policy.verification_mode == "certificate"
    assert policy.proxy_verification_mode == "none"
    assert policy.proxy_url == "http://proxy.test:3128"
    assert policy.proxy_headers == (("X-Proxy-Token", "t"),)
    assert policy.proxy_bypass_hosts == frozenset({"localhost"})
    assert policy.custom_hosts[0].url == "https://a.test:443"
    assert policy.ssrf_protection is False
    assert policy.address_guard is None


def test_defaults_match_kibana_plus_the_ssrf_guard():
    policy = policy_of()
    assert policy.allowed_hosts == ("*",)
    assert policy.response_timeout == 60
    assert policy.max_response_content_length == 1048576
    assert policy.verification_mode == policy.proxy_verification_mode == "full"
    assert policy.proxy_url is None
    assert policy.ssrf_protection is True


@pytest.mark.parametrize(
    ("value", "seconds"), [("60s", 60), ("500ms", 0.5), ("5m", 300), ("1h", 3600), (2500, 2.5)]
)
def test_response_timeout_takes_kibana_durations(value, seconds):
    assert policy_of(responseTimeout=value).response_timeout == seconds


@pytest.mark.parametrize(
    ("value", "size"), [("1mb", 1048576), ("512kb", 524288), ("100b", 100), (4096, 4096)]
)
def test_max_response_content_length_takes_kibana_sizes(value, size):
    assert policy_of(maxResponseContentLength=value).max_response_content_length == size


def test_the_ssrf_guard_can_be_switched_off_from_the_environment():
    settings = load_settings({}, env={"ACTIONS_SSRF_PROTECTION": "false"})
    assert NetworkPolicy.from_settings(settings.actions).ssrf_protection is False


def test_a_bad_ssrf_setting_names_its_path():
    with pytest.raises(ConfigError, match=r"\[actions\.ssrfProtection\]"):
        load_settings({"actions": {"ssrfProtection": "sometimes"}}, env={})


def test_kibana_yml_network_settings_are_read_as_is():
    settings = load_settings(
        {
            "xpack.actions.allowedHosts": ["hooks.slack.com"],
            "xpack.actions.proxyUrl": "http://proxy.test:3128",
            "xpack.actions.proxyBypassHosts": ["internal.test"],
            "xpack.actions.customHostSettings": [
                {"url": "https://hooks.slack.com", "ssl": {"verificationMode": "certificate"}}
            ],
        },
        env={},
    )
    policy = NetworkPolicy.from_settings(settings.actions)
    assert policy.proxy_for("https://internal.test/") is None
    assert policy.tls_for("https://hooks.slack.com/x").verification_mode == "certificate"
