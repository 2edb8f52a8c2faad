"""Secrets at rest: AES-256-GCM bound to the connector, key file, wrong keys, rotation."""

from __future__ import annotations

import logging
import sqlite3
import stat

import pytest

from actions_core import ConfigError
from actions_core.secrets import SecretBox, SecretsUnavailable
from tests.support import KEY, echo_type

OTHER_KEY = "another-encryption-key-abcdefghijklmnopqrstuvwxyz"
SECRET = "very-secret-token-value"


def db_rows(data_dir):
    with sqlite3.connect(data_dir / "actions.sqlite3") as db:
        return db.execute("select id, secrets, config from connectors").fetchall()


def open_actions(make_actions, data_dir, key=KEY, old_keys=()):
    settings = {"actions": {"decryptionOnlyKeys": list(old_keys)}}
    if key is not None:
        settings["actions"]["encryptionKey"] = key
    return make_actions(echo_type(".echo"), config=settings, data_dir=data_dir)


def make_connector(actions, connector_id="c1"):
    return actions.connectors.create(
        connector_type_id=".echo",
        name="echo",
        id=connector_id,
        config={"url": "https://x"},
        secrets={"token": SECRET},
    )


def test_secrets_are_stored_encrypted(make_actions, tmp_path):
    make_connector(open_actions(make_actions, tmp_path))
    [(_, stored, _)] = db_rows(tmp_path)
    assert SECRET not in stored
    assert stored.startswith("v1:")


def test_ciphertext_copied_to_another_connector_does_not_decrypt(make_actions, tmp_path):
    actions = open_actions(make_actions, tmp_path)
    make_connector(actions, "c1")
    actions.connectors.create(
        connector_type_id=".echo", name="b", id="c2", config={"url": "u"}, secrets={"token": "x"}
    )
    with sqlite3.connect(tmp_path / "actions.sqlite3") as db:
        db.execute(
            "update connectors set secrets = (select secrets from connectors where id='c1') "
            "where id='c2'"
        )
    assert actions.connectors.get("c2").is_missing_secrets is True
    assert actions.connectors.get("c1").is_missing_secrets is False


def test_a_wrong_key_marks_secrets_missing_and_execution_fails_clearly(make_actions, tmp_path):
    make_connector(open_actions(make_actions, tmp_path))
    actions = open_actions(make_actions, tmp_path, key=OTHER_KEY)
    connector = actions.connectors.get("c1")
    assert connector.is_missing_secrets is True
    assert [c.id for c in actions.connectors.list()] == ["c1"]
    result = actions.execute("c1", {"text": "hi"})
    assert result.status == "error"
    assert result.message == (
        'Unable to execute action because no secrets are defined for the "echo" connector.'
    )
    assert "not configured" in result.service_message
    assert result.retry is False
    assert len(db_rows(tmp_path)) == 1  # the row is never lost


@pytest.mark.both_stores
def test_update_of_undecryptable_secrets_requires_new_secrets(make_actions, tmp_path):
    make_connector(open_actions(make_actions, tmp_path))
    actions = open_actions(make_actions, tmp_path, key=OTHER_KEY)
    with pytest.raises(Exception, match="provide secrets to replace them"):
        actions.connectors.update("c1", name="renamed")
    actions.connectors.update("c1", secrets={"token": "fresh"})
    assert actions.connectors.get("c1").is_missing_secrets is False
    assert actions.execute("c1", {"text": "x"}).status == "ok"


@pytest.mark.both_stores
def test_decryption_only_keys_allow_rotation(make_actions, tmp_path):
    make_connector(open_actions(make_actions, tmp_path, key=KEY))
    actions = open_actions(make_actions, tmp_path, key=OTHER_KEY, old_keys=[KEY])
    assert actions.connectors.get("c1").is_missing_secrets is False
    assert actions.execute("c1", {"text": "x"}).status == "ok"
    assert actions.rotate_secrets() == {"total": 1, "reencrypted": 1, "unchanged": 0, "failed": 0}
    assert actions.rotate_secrets()["unchanged"] == 1
    # after rotation the old key is no longer needed
    fresh = open_actions(make_actions, tmp_path, key=OTHER_KEY)
    assert fresh.execute("c1", {"text": "x"}).status == "ok"


def test_rotation_reports_rows_no_key_can_open(make_actions, tmp_path):
    make_connector(open_actions(make_actions, tmp_path, key=KEY))
    actions = open_actions(make_actions, tmp_path, key=OTHER_KEY)
    assert actions.rotate_secrets()["failed"] == 1
    assert len(db_rows(tmp_path)) == 1


def test_first_embedded_start_generates_a_private_key_file(make_actions, tmp_path, caplog):
    data_dir = tmp_path / "fresh"
    with caplog.at_level(logging.WARNING, logger="actions_core.secrets"):
        actions = open_actions(make_actions, data_dir, key=None)
    key_file = data_dir / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 32
    assert str(key_file) in caplog.text
    make_connector(actions)
    # the next start reuses the same key
    again = open_actions(make_actions, data_dir, key=None)
    assert again.execute("c1", {"text": "x"}).status == "ok"


def test_keys_shorter_than_32_characters_are_refused(make_actions, tmp_path):
    with pytest.raises(ConfigError, match="at least 32 characters"):
        open_actions(make_actions, tmp_path, key="short")
    with pytest.raises(ConfigError, match=r"decryptionOnlyKeys\.0"):
        open_actions(make_actions, tmp_path, old_keys=["short"])


def test_the_environment_variable_provides_the_key(make_actions, tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", OTHER_KEY)
    actions = make_actions(echo_type(".echo"), config={}, data_dir=tmp_path)
    make_connector(actions)
    assert not (tmp_path / "encryption.key").exists()
    assert SecretBox(OTHER_KEY).current_key_id == actions.secret_box.current_key_id


def test_secret_box_round_trip_and_authenticated_data():
    box = SecretBox(KEY)
    token = box.encrypt({"a": "b"}, aad={"id": "1"})
    assert box.decrypt(token, aad={"id": "1"}) == {"a": "b"}
    with pytest.raises(SecretsUnavailable, match="another connector"):
        box.decrypt(token, aad={"id": "2"})
    with pytest.raises(SecretsUnavailable, match="format"):
        box.decrypt("garbage", aad={"id": "1"})
    assert KEY not in repr(box)


@pytest.mark.parametrize("damage", [lambda t: t[:-3], lambda t: t.rsplit(":", 1)[0] + ":AAAA"])
def test_a_damaged_ciphertext_is_unavailable_not_a_crash(damage):
    """Truncated or shortened rows mean "cannot decrypt" (connector missing secrets), not a 500."""
    box = SecretBox(KEY)
    token = box.encrypt({"a": "b"}, aad={"id": "1"})
    with pytest.raises(SecretsUnavailable):
        box.decrypt(damage(token), aad={"id": "1"})


def test_secrets_never_reach_logs(make_actions, tmp_path, caplog):
    """An executor that raises with the secret in its message: the result, the events and the
    logs show it masked (and the log did receive the failure, so the check can fail)."""

    def fail(ctx):
        raise RuntimeError(f"upstream refused {ctx.secrets['token']}")

    with caplog.at_level(logging.DEBUG):
        actions = make_actions(echo_type(".echo", executor=fail), data_dir=tmp_path)
        make_connector(actions)
        result = actions.execute("c1", {"text": "x"})
        actions.events.flush()
        events = actions.recent_events("c1")
    assert result.status == "error"
    assert result.service_message == "RuntimeError: upstream refused [REDACTED]"
    assert SECRET not in repr(result)
    [finished] = [event for event in events if event.action == "execute"]
    assert finished.error_message.endswith("upstream refused [REDACTED]; retry: true")
    assert SECRET not in repr(events)
    assert "upstream refused [REDACTED]" in caplog.text
    assert SECRET not in caplog.text
