"""The embedded store is never silently replaced: no new key over secrets it cannot open, no new
store for a read-only command on a mistyped ``--data-dir``, and nobody else can read it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from actions_core import Actions, ConfigError
from actions_core.cli import cli
from tests.support import KEY, TypesPlugin, echo_type


def open_embedded(data_dir: Path, **settings) -> Actions:
    """Actions on the embedded store with no configured key (the key file is used)."""
    return Actions(
        data_dir=data_dir, config={"actions": settings}, plugins=[TypesPlugin(echo_type())]
    )


def store_with_secrets(data_dir: Path) -> None:
    with open_embedded(data_dir) as actions:
        actions.connectors.create(
            connector_type_id=".echo",
            name="e",
            id="e1",
            config={"url": "https://x"},
            secrets={"token": "kept-secret-value"},
        )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- a lost key file ---


def test_a_missing_key_file_over_encrypted_secrets_is_refused_not_replaced(tmp_path):
    data_dir = tmp_path / "data"
    store_with_secrets(data_dir)
    (data_dir / "encryption.key").unlink()
    with pytest.raises(ConfigError) as err:
        open_embedded(data_dir)
    message = err.value.message
    assert "1 connector" in message
    assert str(data_dir / "encryption.key") in message  # what is missing
    assert "ACTIONS_ENCRYPTION_KEY" in message  # how to recover
    assert not (data_dir / "encryption.key").exists()  # no new key was generated


def test_restoring_the_key_file_brings_every_secret_back(tmp_path):
    data_dir = tmp_path / "data"
    store_with_secrets(data_dir)
    key_file = data_dir / "encryption.key"
    saved = key_file.read_text()
    key_file.unlink()
    with pytest.raises(ConfigError):
        open_embedded(data_dir)
    key_file.write_text(saved)
    with open_embedded(data_dir) as actions:
        assert actions.connectors.resolve("e1").secrets == {"token": "kept-secret-value"}


def test_a_store_without_encrypted_secrets_still_gets_a_generated_key(tmp_path):
    """(Every stored connector has sealed secrets, ``{}`` included: only an empty store.)"""
    data_dir = tmp_path / "data"
    open_embedded(data_dir).close()
    (data_dir / "encryption.key").unlink()
    with open_embedded(data_dir) as actions:
        actions.connectors.create(connector_type_id=".server-log", name="log", id="log")
        assert actions.connectors.get("log").is_missing_secrets is False
    assert (data_dir / "encryption.key").exists()


def test_the_cli_exits_with_the_error_and_generates_nothing(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    store_with_secrets(data_dir)
    (data_dir / "encryption.key").unlink()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "connectors", "list"])
    assert result.exit_code == 2
    assert "encryption.key" in result.stderr and "ACTIONS_ENCRYPTION_KEY" in result.stderr
    assert "Traceback" not in result.output
    assert not (data_dir / "encryption.key").exists()


# --- a mistyped --data-dir ---


@pytest.mark.parametrize(
    "command",
    [["types"], ["connectors", "list"], ["connectors", "get", "x"], ["events"], ["usage"]],
)
def test_a_read_only_command_on_a_missing_store_says_so_and_creates_nothing(tmp_path, command):
    missing = tmp_path / "mistyped"
    result = CliRunner().invoke(cli, ["--data-dir", str(missing), *command])
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.stderr
    assert str(missing) in result.stderr
    assert not missing.exists()


def test_a_read_only_command_on_an_existing_store_works(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONS_ENCRYPTION_KEY", KEY)
    data_dir = tmp_path / "data"
    runner = CliRunner()
    create = ["--data-dir", str(data_dir), "connectors", "create", "--type", ".server-log"]
    assert runner.invoke(cli, [*create, "--name", "log"]).exit_code == 0
    for command in (["types"], ["connectors", "list"], ["events"], ["usage"]):
        result = runner.invoke(cli, ["--data-dir", str(data_dir), *command])
        assert result.exit_code == 0, result.output


# --- permissions ---


def test_the_data_dir_and_its_files_are_private(tmp_path):
    data_dir = tmp_path / "data"
    store_with_secrets(data_dir)
    with open_embedded(data_dir) as actions:  # open again: the WAL and SHM files exist now
        actions.execute("e1", {"text": "x"})
        assert mode(data_dir) == 0o700
        files = sorted(p.name for p in data_dir.iterdir())
        assert "actions.sqlite3-wal" in files
        for path in data_dir.iterdir():
            assert mode(path) == (0o700 if path.is_dir() else 0o600), path.name
        journals = list((data_dir / "journal").iterdir())
        assert journals and all(mode(path) == 0o600 for path in journals)


def test_an_existing_store_with_wider_modes_is_tightened(tmp_path):
    data_dir = tmp_path / "data"
    store_with_secrets(data_dir)
    database = data_dir / "actions.sqlite3"
    database.chmod(0o644)
    with open_embedded(data_dir):
        assert mode(database) == 0o600
