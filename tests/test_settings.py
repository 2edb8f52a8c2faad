"""Settings: actions.yml, kibana.yml (nested or dotted), environment overrides, clear errors."""

from __future__ import annotations

import pytest

from actions_core import Actions, ConfigError
from actions_core.settings import load_settings, parse_byte_size, parse_duration


def write(tmp_path, text, name="actions.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_match_kibana():
    options = load_settings(env={}).actions
    assert options.allowedHosts == ["*"]
    assert options.enabledActionTypes == ["*"]
    assert options.responseTimeout == 60
    assert options.maxResponseContentLength == 1024 * 1024
    assert options.ssl.verificationMode == "full"
    assert options.preconfigured == {}


def test_actions_yml_is_read(tmp_path):
    path = write(
        tmp_path,
        """
actions:
  allowedHosts: [api.openai.com, localhost]
  responseTimeout: 2m
  maxResponseContentLength: 512kb
  ssl:
    verificationMode: certificate
  preconfigured:
    my-log:
      name: My log
      actionTypeId: .server-log
""",
    )
    settings = load_settings(path, env={})
    options = settings.actions
    assert options.allowedHosts == ["api.openai.com", "localhost"]
    assert options.responseTimeout == 120
    assert options.maxResponseContentLength == 512 * 1024
    assert options.ssl.verificationMode == "certificate"
    assert options.preconfigured["my-log"].actionTypeId == ".server-log"
    assert settings.source == path


def test_a_kibana_yml_with_dotted_keys_is_accepted(tmp_path):
    path = write(
        tmp_path,
        """
server.port: 5601
elasticsearch.hosts: ["http://localhost:9200"]
xpack.actions.allowedHosts: ["hooks.slack.com"]
xpack.actions.enabledActionTypes: [".server-log", ".webhook"]
xpack.actions.ssl.verificationMode: none
xpack.actions.preconfigured:
  webhook-service:
    actionTypeId: .webhook
    name: Email service
    config: {url: "https://x", headers: {"x.dotted": "kept"}}
xpack.encryptedSavedObjects.encryptionKey: "0123456789abcdef0123456789abcdef"
""",
        "kibana.yml",
    )
    settings = load_settings(path, env={})
    options = settings.actions
    assert options.allowedHosts == ["hooks.slack.com"]
    assert options.ssl.verificationMode == "none"
    assert options.preconfigured["webhook-service"].config["headers"] == {"x.dotted": "kept"}
    assert options.encryptionKey.get_secret_value() == "0123456789abcdef0123456789abcdef"
    assert any("elasticsearch" in w and "server" in w for w in settings.warnings)


def test_a_nested_kibana_yml_is_accepted(tmp_path):
    path = write(tmp_path, "xpack:\n  actions:\n    responseTimeout: 30s\n", "kibana.yml")
    assert load_settings(path, env={}).actions.responseTimeout == 30


def test_kibana_only_settings_are_accepted_with_a_warning(tmp_path):
    path = write(tmp_path, "xpack.actions.email.domain_allowlist: [a.com]\n", "kibana.yml")
    settings = load_settings(path, env={})
    assert any("actions.email" in w for w in settings.warnings)


def test_unknown_keys_are_errors_naming_their_path(tmp_path):
    path = write(
        tmp_path,
        "actions:\n  allowedHost: [x]\n  ssl:\n    verificationMod: full\n",
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert "[actions.allowedHost]: unknown setting" in err.value.message
    assert "[actions.ssl.verificationMod]: unknown setting" in err.value.message
    assert str(path) in err.value.message


def test_the_server_section_is_checked_whenever_the_file_is_loaded(tmp_path):
    """Not only by ``actions serve``: a typo under ``server:`` fails any command (see
    docs/architecture.md, why ``ServerSettings`` is declared in the core)."""
    path = write(tmp_path, "actions:\n  server:\n    prot: 1\n    users:\n      a: {role: all}\n")
    with pytest.raises(ConfigError) as err:
        Actions(data_dir=tmp_path / "data", config=path, load_entry_points=False)
    assert "[actions.server.prot]: unknown setting" in err.value.message
    assert "[actions.server.users.a]: give exactly one of passwordHash or password" in (
        err.value.message
    )


def test_unknown_top_level_keys_in_actions_yml_are_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"\[action\]"):
        load_settings(write(tmp_path, "action:\n  allowedHosts: []\n"), env={})


def test_bad_values_name_the_setting(tmp_path):
    path = write(
        tmp_path,
        "actions:\n  responseTimeout: soon\n  ssl: {verificationMode: maybe}\n"
        "  preconfigured: {x: {name: '', actionTypeId: .a}}\n",
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    paths = [p for p, _ in err.value.problems]
    assert "responseTimeout" in paths
    assert "ssl.verificationMode" in paths
    assert "preconfigured.x.name" in paths


def test_missing_and_malformed_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yml", env={})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "actions: [unclosed\n"), env={})


def test_environment_overrides_the_file(tmp_path):
    path = write(tmp_path, "actions:\n  allowedHosts: [a]\n  responseTimeout: 10s\n")
    env = {
        "ACTIONS_ALLOWED_HOSTS": "b, c",
        "ACTIONS_RESPONSE_TIMEOUT": "5s",
        "ACTIONS_ENCRYPTION_KEY": "e" * 32,
        "ACTIONS_SSL_VERIFICATION_MODE": "none",
    }
    options = load_settings(path, env=env).actions
    assert options.allowedHosts == ["b", "c"]
    assert options.responseTimeout == 5
    assert options.encryptionKey.get_secret_value() == "e" * 32
    assert options.ssl.verificationMode == "none"


def test_actions_config_env_names_the_file(tmp_path):
    path = write(tmp_path, "actions:\n  enabledActionTypes: []\n")
    assert load_settings(env={"ACTIONS_CONFIG": str(path)}).actions.enabledActionTypes == []


def test_actions_reads_actions_yml_from_the_working_directory(tmp_path):
    write(tmp_path, "actions:\n  enabledActionTypes: []\n  encryptionKey: " + "k" * 32 + "\n")
    with Actions(data_dir=tmp_path / "data") as actions:
        assert [t.enabled for t in actions.types()] == [False]


def test_encryption_keys_do_not_show_in_reprs(tmp_path):
    settings = load_settings({"actions": {"encryptionKey": "z" * 40}}, env={})
    assert "z" * 40 not in repr(settings)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("60s", 60), ("5m", 300), ("1h", 3600), ("500ms", 0.5), (1500, 1.5), ("2", 0.002)],
)
def test_durations_accept_kibanas_forms(raw, seconds):
    assert parse_duration(raw) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("raw", "size"),
    [("1mb", 1048576), ("512kb", 524288), ("1gb", 1024**3), ("100b", 100), (2048, 2048)],
)
def test_byte_sizes_accept_kibanas_forms(raw, size):
    assert parse_byte_size(raw) == size


@pytest.mark.parametrize("bad", ["soon", "-1s", "0", True])
def test_bad_durations_are_refused(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_proxy_lists_together_warn(tmp_path):
    settings = load_settings(
        {"actions": {"proxyBypassHosts": ["a"], "proxyOnlyHosts": ["b"]}}, env={}
    )
    assert any("proxyOnlyHosts will be ignored" in w for w in settings.warnings)


def test_proxy_credentials_do_not_show_in_reprs():
    settings = load_settings(
        {
            "actions": {
                "proxyUrl": "http://user:proxy-pass-123@proxy.example:3128",
                "proxyHeaders": {"Proxy-Authorization": "Basic c2VjcmV0LXRva2Vu"},
            }
        },
        env={},
    )
    text = repr(settings)
    assert "proxy-pass-123" not in text
    assert "c2VjcmV0LXRva2Vu" not in text
    assert settings.actions.proxyUrl.endswith("@proxy.example:3128")
