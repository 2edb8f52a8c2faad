"""``actions worker``: its options, and a broker URL shown without its password."""

from __future__ import annotations

from click.testing import CliRunner

from actions_core.cli import cli
from actions_core.cli.worker import _shown


def test_worker_help_names_the_concurrency_option():
    result = CliRunner().invoke(cli, ["worker", "--help"])
    assert result.exit_code == 0
    assert "--concurrency" in result.output


def test_the_concurrency_must_be_positive():
    result = CliRunner().invoke(cli, ["worker", "--concurrency", "0"])
    assert result.exit_code == 2


def test_broker_urls_are_shown_without_passwords():
    assert "hunter2" not in _shown("redis://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in _shown("actionsdb+postgresql+psycopg://u:hunter2@db/actions")
    assert _shown("actionsdb+sqlite:////data/actions.sqlite3").startswith("actionsdb+sqlite")
