"""``customHostSettings`` are resolved once at start-up with Kibana's rules and warnings."""

from __future__ import annotations

import pytest
import trustme

from actions_core._net.custom_hosts import canonical_url, resolve_custom_hosts
from actions_core.settings import load_settings

PREFIX = "In configuration actions.customHostSettings,"


@pytest.fixture(scope="module")
def ca_pem() -> str:
    return trustme.CA().cert_pem.bytes().decode()


def resolve(*entries):
    warnings: list[str] = []
    return resolve_custom_hosts(entries, warnings), warnings


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://Example.COM", "https://example.com:443"),
        ("https://example.com:8443/some/path?q=1#f", "https://example.com:8443"),
        ("smtp://mail.test", "smtp://mail.test:25"),
        ("https://[::1]:9200", "https://[::1]:9200"),
        ("https://user:pw@example.com", "https://example.com:443"),
        ("nonsense", None),
    ],
)
def test_urls_are_canonicalised(url, canonical):
    assert canonical_url(url) == canonical


def test_a_clean_entry_resolves_without_warnings(ca_pem):
    hosts, warnings = resolve(
        {
            "url": "https://a.test",
            "ssl": {"verificationMode": "none", "certificateAuthoritiesData": ca_pem},
        }
    )
    assert warnings == []
    assert hosts[0].url == "https://a.test:443"
    assert hosts[0].verification_mode == "none"
    assert hosts[0].ca_data == ca_pem


def test_an_invalid_url_is_dropped_with_a_warning():
    hosts, warnings = resolve({"url": "this! is! not! a! url!"})
    assert hosts == []
    assert warnings[0].startswith(f'{PREFIX} invalid URL "this! is! not! a! url!", ignoring')


def test_only_https_and_smtp_are_kept():
    hosts, warnings = resolve({"url": "http://a.test"})
    assert hosts == []
    assert warnings == [f'{PREFIX} unsupported protocol used in URL "http://a.test", ignoring']


def test_port_zero_cannot_be_used():
    hosts, warnings = resolve({"url": "https://almost.purrfect.com:0"})
    assert hosts == []
    assert warnings == [
        f'{PREFIX} unable to determine port for URL "https://almost.purrfect.com:0", ignoring'
    ]


def test_credentials_path_and_hash_are_ignored_with_warnings():
    hosts, warnings = resolve({"url": "https://u:p@a.test/path#frag"})
    assert hosts[0].url == "https://a.test:443"
    assert warnings == [
        f'{PREFIX} URL "https://u:p@a.test/path#frag" contains authentication information which '
        "will be ignored, but should be removed from the configuration",
        f'{PREFIX} URL "https://u:p@a.test/path#frag" contains hash information which will be '
        "ignored",
        f'{PREFIX} URL "https://u:p@a.test/path#frag" contains path information which will be '
        "ignored",
    ]


def test_smtp_properties_on_a_non_smtp_url_are_dropped():
    hosts, warnings = resolve({"url": "https://a.test", "smtp": {"requireTLS": True}})
    assert hosts[0].smtp == ()
    assert "contains smtp properties but does not use smtp" in warnings[0]


def test_require_tls_wins_over_ignore_tls():
    hosts, warnings = resolve(
        {"url": "smtp://m.test", "smtp": {"requireTLS": True, "ignoreTLS": True}}
    )
    assert dict(hosts[0].smtp) == {"requireTLS": True, "ignoreTLS": False}
    assert "cannot have both requireTLS and ignoreTLS" in warnings[0]


def test_duplicates_keep_the_first(ca_pem):
    hosts, warnings = resolve(
        {"url": "https://a.test", "ssl": {"verificationMode": "none"}},
        {"url": "https://A.test:443/", "ssl": {"verificationMode": "full"}},
    )
    assert [(h.url, h.verification_mode) for h in hosts] == [("https://a.test:443", "none")]
    assert warnings == [
        f'{PREFIX} multiple URLs match the canonical url "https://a.test:443"; only the first '
        "will be used"
    ]


def test_ca_files_are_read_and_appended(tmp_path, ca_pem):
    second = trustme.CA().cert_pem.bytes().decode()
    (tmp_path / "one.pem").write_text(ca_pem)
    (tmp_path / "two.pem").write_text(second)
    hosts, warnings = resolve(
        {
            "url": "https://a.test",
            "ssl": {
                "certificateAuthoritiesFiles": [
                    str(tmp_path / "one.pem"),
                    str(tmp_path / "two.pem"),
                ]
            },
        }
    )
    assert warnings == []
    assert hosts[0].ca_data == f"{ca_pem}\n{second}"


def test_an_unreadable_ca_file_is_skipped_with_a_warning(tmp_path, ca_pem):
    missing = tmp_path / "missing.pem"
    hosts, warnings = resolve(
        {
            "url": "https://a.test",
            "ssl": {
                "certificateAuthoritiesData": ca_pem,
                "certificateAuthoritiesFiles": str(missing),
            },
        }
    )
    assert hosts[0].ca_data == ca_pem
    assert warnings == [
        f'error reading file "{missing}" specified in actions.customHostSettings, ignoring: '
        "No such file or directory"
    ]


def test_ca_data_that_is_not_pem_is_ignored_with_a_warning():
    hosts, warnings = resolve(
        {"url": "https://a.test", "ssl": {"certificateAuthoritiesData": "nope"}}
    )
    assert hosts[0].ca_data is None
    assert "hold no valid PEM certificate" in warnings[0]


def test_settings_resolve_them_at_load_and_report_the_warnings(tmp_path):
    settings = load_settings(
        {"actions": {"customHostSettings": [{"url": "https://a.test/x"}, {"url": "ftp://b.test"}]}},
        env={},
    )
    assert [entry.url for entry in settings.actions.customHostSettings] == ["https://a.test:443"]
    assert any("contains path information" in w for w in settings.warnings)
    assert any('unsupported protocol used in URL "ftp://b.test"' in w for w in settings.warnings)
