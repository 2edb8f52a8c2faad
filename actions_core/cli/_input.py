"""Reading input: JSON options (inline, ``@file`` or ``-``) and hidden secret prompts."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from actions_core.actions import Actions

__all__ = [
    "JSON",
    "JsonValue",
    "ask_for_secrets",
    "ask_secret",
    "confirm",
    "secrets_schema",
    "yes_option",
]


class JsonValue(click.ParamType):
    """JSON given inline, as ``@path`` (read from a file) or ``-`` (read from stdin).

    Parsed while Click processes options, so a bad value is a usage error (exit 2) that names
    the option and where in the text the JSON broke.
    """

    name = "JSON"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        text, origin = value, ""
        if value == "-":
            text, origin = sys.stdin.read(), " from stdin"
        elif value.startswith("@"):
            path = Path(value[1:]).expanduser()
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                self.fail(f"cannot read {path}: {getattr(err, 'strerror', None) or err}", param)
            origin = f" in {path}"
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            self.fail(
                f"invalid JSON{origin} at line {err.lineno} column {err.colno}: {err.msg}", param
            )


JSON = JsonValue()


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def ask_secret(label: str, *, required: bool) -> str:
    """Hidden prompt on a terminal; otherwise one line from stdin, failing instead of waiting
    for a terminal that is not there (getpass would open /dev/tty)."""
    if _stdin_is_tty():
        value: str = click.prompt(
            label if required else f"{label} (optional)",
            hide_input=True,
            default=None if required else "",
            show_default=False,
            err=True,
        )
        return value
    line = sys.stdin.readline()
    if not line:
        raise click.UsageError(
            f"--prompt-secrets needs a value for {label!r}, but stdin is not a terminal and has "
            "no more input: pipe one line per secret, or use --secrets @file."
        )
    value = line.rstrip("\r\n")
    if required and not value:
        raise click.UsageError(f"--prompt-secrets: {label!r} is required.")
    return value


def ask_for_secrets(schema: Mapping[str, Any], given: Any) -> dict[str, Any]:
    """Ask for every secret the type declares that ``--secrets`` did not already give, so
    secrets stay out of shell history and process lists. Empty optional answers are omitted."""
    if given is not None and not isinstance(given, Mapping):
        raise click.BadParameter(
            "must be a JSON object to combine with --prompt-secrets", param_hint="'--secrets'"
        )
    secrets = dict(given or {})
    required = set(schema.get("required") or ())
    for name, spec in (schema.get("properties") or {}).items():
        if name in secrets:
            continue
        title = spec.get("title") if isinstance(spec, Mapping) else None
        value = ask_secret(str(title or name), required=name in required)
        if value != "":
            secrets[name] = value
    return secrets


def secrets_schema(actions: Actions, type_id: str) -> Mapping[str, Any]:
    for info in actions.types():
        if info.id == type_id:
            return info.secrets_schema
    return {}  # unknown type: the API call that follows reports it


yes_option = click.option(
    "-y", "--yes", "assume_yes", is_flag=True, help="Do not ask for confirmation."
)


def confirm(what: str, *, assume_yes: bool) -> None:
    """Ask before a destructive step (``what``: "delete connector X"): on a terminal a y/N
    question (no ends the command with exit 1), otherwise refuse with a usage error (exit 2),
    since a script that did not say ``--yes`` must not destroy anything by accident."""
    if assume_yes:
        return
    if not _stdin_is_tty():
        raise click.UsageError(f"not going to {what}: stdin is not a terminal, add --yes.")
    if not click.confirm(f"{what[:1].upper()}{what[1:]}?", default=False, err=True):
        raise click.ClickException("not confirmed; nothing was changed.")
