"""The ``actions`` command: connectors, execution, events and token usage from a shell.

A thin layer over :class:`~actions_core.Actions`: every command parses its options, calls the
Python API and prints a Rich table (or JSON with ``--json``). Exit codes are part of the
contract so scripts can branch on them: 0 ok, 1 the action or the API refused (an error result or
an :class:`~actions_core.ActionsError`), 2 the command line or the configuration is wrong.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from actions_core import __version__
from actions_core._run.result import ActionResult
from actions_core.actions import Actions
from actions_core.connectors import Connector
from actions_core.errors import ActionsError, ConfigError, ConflictError, NotFoundError
from actions_core.events import Event, UsageBucket, UsageGroup, UsageReport

__all__ = ["build_actions", "cli", "main"]

DEMO_CONNECTOR_ID = "demo-server-log"
DEMO_CONNECTOR_NAME = "Demo server log"
DEMO_MESSAGE = "Hello from actions-core"
_PIPE_WIDTH = 1000
INTERVALS = {"hour": 3600, "day": 86400, "week": 7 * 86400}


def build_actions(*, data_dir: Path | None, config: Path | None) -> Actions:
    """The one place the CLI builds its ``Actions``.

    Tests (and programs embedding the CLI) replace this function to add plugin objects, since
    entry points cannot be added to a running interpreter.
    """
    return Actions(data_dir=data_dir, config=config)


# --- errors and state ---------------------------------------------------------------------


class Failure(click.ClickException):
    """Printed as ``Error: <message>`` on stderr; exit 1 unless told otherwise."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _ActionsGroup(click.Group):
    """Maps API exceptions to exit codes in one place instead of in every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as err:  # the settings are wrong, like a bad option: exit 2
            raise Failure(err.message, exit_code=2) from err
        except ActionsError as err:
            raise Failure(err.message) from err


class _State:
    """Per-invocation state: ``Actions`` is built on first use, so ``--help`` and usage errors
    never open the database or generate a key file."""

    def __init__(self, config: Path | None, data_dir: Path | None) -> None:
        self.config = config
        self.data_dir = data_dir
        self._actions: Actions | None = None

    @property
    def actions(self) -> Actions:
        if self._actions is None:
            self._actions = build_actions(data_dir=self.data_dir, config=self.config)
        return self._actions

    def close(self) -> None:
        """Flush the event log: records are written by a background thread."""
        if self._actions is not None:
            self._actions.close()
            self._actions = None


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at each record (CliRunner swaps it per run)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr


def _configure_logging(quiet: bool) -> Callable[[], None]:
    """Send ``actions_core`` logs to stderr (INFO, or WARNING with ``--quiet``); return undo."""
    logger = logging.getLogger("actions_core")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return undo


# --- input --------------------------------------------------------------------------------


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


def _ask_secret(label: str, *, required: bool) -> str:
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


def _prompt_secrets(schema: Mapping[str, Any], given: Any) -> dict[str, Any]:
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
        value = _ask_secret(str(title or name), required=name in required)
        if value != "":
            secrets[name] = value
    return secrets


def _secrets_schema(actions: Actions, type_id: str) -> Mapping[str, Any]:
    for info in actions.types():
        if info.id == type_id:
            return info.secrets_schema
    return {}  # unknown type: the API call that follows reports it


# --- output -------------------------------------------------------------------------------


def _echo_json(value: Any, *, compact: bool = False) -> None:
    indent = None if compact else 2
    click.echo(json.dumps(value, indent=indent, ensure_ascii=False, default=str))


def _show(*renderables: Any) -> None:
    """Print with a fresh console, so it writes to the current stdout. Markup is off so names
    like ``[prod]`` print as they are. Into a pipe or file (and without ``COLUMNS``) rows are
    not wrapped at 80 characters: one row stays one line for grep and friends."""
    console = Console(markup=False, emoji=False, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPE_WIDTH
    for renderable in renderables:
        console.print(renderable)


def _table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], *, title: str | None = None
) -> Table:
    """Long values fold onto more lines instead of being cut off with an ellipsis: a
    truncated id is worse than an ugly one."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _yes(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def _connectors_table(connectors: Iterable[Connector], title: str | None = None) -> Table:
    rows = [
        (c.id, c.name, c.connector_type_id, _yes(c.is_preconfigured), _yes(c.is_missing_secrets))
        for c in connectors
    ]
    return _table(("ID", "Name", "Type", "Preconfigured", "Missing secrets"), rows, title=title)


def _connector_view(c: Connector) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    config = "(not exposed)" if c.config is None else json.dumps(c.config, indent=2)
    for key, value in (
        ("ID", c.id),
        ("Name", c.name),
        ("Type", c.connector_type_id),
        ("Space", c.space_id or "(all spaces)"),
        ("Preconfigured", _yes(c.is_preconfigured)),
        ("Deprecated", _yes(c.is_deprecated)),
        ("Missing secrets", _yes(c.is_missing_secrets)),
        ("Config", config),
    ):
        grid.add_row(key, value)
    return grid


def _print_connector(connector: Connector, as_json: bool) -> None:
    if as_json:
        _echo_json(connector.to_api())
    else:
        _show(_connectors_table([connector]))


def _event_row(e: Event) -> tuple[str, ...]:
    message = e.message or ""
    if e.error_message:
        message += f"\n{e.error_message}"
    return (
        e.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
        e.action,
        e.connector_id,
        e.outcome or "",
        "" if e.duration_ms is None else f"{e.duration_ms:.1f}",
        "" if e.total_tokens is None else str(e.total_tokens),
        message,
    )


def _events_table(events: Iterable[Event], title: str | None = None) -> Table:
    columns = ("Time (UTC)", "Action", "Connector", "Outcome", "Duration ms", "Tokens", "Message")
    return _table(columns, map(_event_row, events), title=title)


def _bucket_cells(label: str, b: UsageBucket) -> list[str]:
    counts = (b.executions, b.prompt_tokens, b.completion_tokens, b.total_tokens)
    return [label, *map(str, counts), str(b.estimated_total_tokens)]


def _usage_table(report: UsageReport, interval: str) -> Table:
    columns = ("Bucket start (UTC)", "Executions", "Prompt", "Completion", "Total", "Estimated")
    rows = [_bucket_cells(b.start.strftime("%Y-%m-%d %H:%M"), b) for b in report.buckets]
    table = _table(columns, rows, title=f"Token usage per {interval}")
    table.add_section()
    table.add_row(*_bucket_cells("total", report.totals), style="bold")
    return table


def _group_cells(label: str, g: UsageGroup) -> list[str]:
    reported = g.total_tokens - g.estimated_total_tokens
    counts = (g.executions, g.prompt_tokens, g.completion_tokens, g.total_tokens, reported)
    return [label, *map(str, counts), str(g.estimated_total_tokens)]


def _usage_group_tables(report: UsageReport) -> list[Table]:
    """Per model and per API key (the event's user): the same sums as the HTTP ``_usage``."""
    columns = ("Executions", "Prompt", "Completion", "Total", "Reported", "Estimated")
    models = [_group_cells(g.key or "unknown", g) for g in report.models]
    users = [_group_cells(g.key or "(none: Python API or CLI)", g) for g in report.users]
    return [
        _table(("Model", *columns), models, title="Per model"),
        _table(("API key / user", *columns), users, title="Per API key"),
    ]


def _usage_json(report: UsageReport, interval: str) -> dict[str, Any]:
    def bucket(b: UsageBucket) -> dict[str, Any]:
        return {**asdict(b), "start": b.start.isoformat()}

    return {
        "connector_id": report.connector_id,
        "interval": interval,
        "interval_seconds": report.interval_seconds,
        "buckets": [bucket(b) for b in report.buckets],
        "totals": {k: v for k, v in bucket(report.totals).items() if k != "start"},
        "by_model": report.by_model,
        "models": [asdict(g) for g in report.models],
        "by_api_key": [asdict(g) for g in report.users],
    }


def _result_error(result: ActionResult) -> str:
    text = result.message or "the action failed"
    return f"{text}: {result.service_message}" if result.service_message else text


def _write_chunk(chunk: Any, as_json: bool) -> None:
    """Bytes and text go out as they are; anything else (everything with ``--json``) as one
    JSON line, so a consumer can parse chunk by chunk."""
    out = sys.stdout
    if isinstance(chunk, bytes) and (as_json or not hasattr(out, "buffer")):
        chunk = chunk.decode("utf-8", errors="replace")
    if isinstance(chunk, bytes):
        out.flush()  # keep order with text already written through the wrapper
        out.buffer.write(chunk)
        out.buffer.flush()
        return
    if as_json or not isinstance(chunk, str):
        chunk = json.dumps(chunk, ensure_ascii=False, default=str) + "\n"
    out.write(chunk)
    out.flush()


def _stream(chunks: Iterator[Any], as_json: bool) -> None:
    """Write each chunk as it arrives (flushed), so a generated answer appears while it is
    produced; closing the stream writes the execution's event record."""
    count = 0
    try:
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except Exception as err:  # the executor failed mid-stream
                detail = str(err) or type(err).__name__
                raise Failure(f"the stream failed after {count} chunks: {detail}") from err
            _write_chunk(chunk, as_json)
            count += 1
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


# --- commands -----------------------------------------------------------------------------

space_option = click.option(
    "--space", "space_id", default="default", show_default=True, help="Kibana space id."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
pass_state = click.make_pass_decorator(_State)


@click.group(cls=_ActionsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="actions.yml or kibana.yml [default: $ACTIONS_CONFIG, else ./actions.yml if present].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the embedded database and key file [default: from config, else ./data].",
)
@click.option("-q", "--quiet", is_flag=True, help="Only log warnings and errors (to stderr).")
@click.version_option(__version__, prog_name="actions")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, data_dir: Path | None, quiet: bool) -> None:
    """Kibana-style connectors: create them, run them, and see what they did."""
    ctx.call_on_close(_configure_logging(quiet))
    state = _State(config_path, data_dir)
    ctx.obj = state
    ctx.call_on_close(state.close)  # closed first (LIFO), while logging is still set up


@cli.command("types")
@json_option
@pass_state
def types_command(state: _State, as_json: bool) -> None:
    """List the registered connector types."""
    infos = state.actions.types()
    if as_json:
        _echo_json([info.to_api() for info in infos])
        return
    rows = [(i.id, i.name, _yes(i.enabled), i.plugin or "") for i in infos]
    _show(_table(("ID", "Name", "Enabled", "Plugin"), rows))


@cli.group("connectors")
def connectors_group() -> None:
    """Create, list, show, update and delete connectors."""


@connectors_group.command("create")
@click.option("--type", "type_id", required=True, metavar="TYPE_ID", help="e.g. .server-log")
@click.option("--name", required=True, help="Display name.")
@click.option("--id", "connector_id", metavar="ID", help="Connector id [default: a new UUID].")
@click.option("--config", type=JSON, help="Config as JSON, @file or - (stdin).")
@click.option("--secrets", type=JSON, help="Secrets as JSON, @file or - (stdin).")
@click.option("--prompt-secrets", is_flag=True, help="Ask for the type's secrets (hidden input).")
@space_option
@json_option
@pass_state
def create_command(
    state: _State,
    type_id: str,
    name: str,
    connector_id: str | None,
    config: Any,
    secrets: Any,
    prompt_secrets: bool,
    space_id: str,
    as_json: bool,
) -> None:
    """Create a connector."""
    actions = state.actions
    if prompt_secrets:
        secrets = _prompt_secrets(_secrets_schema(actions, type_id), secrets)
    connector = actions.connectors.create(
        connector_type_id=type_id,
        name=name,
        config=config,
        secrets=secrets,
        id=connector_id,
        space_id=space_id,
    )
    _print_connector(connector, as_json)


@connectors_group.command("list")
@space_option
@json_option
@pass_state
def list_command(state: _State, space_id: str, as_json: bool) -> None:
    """List the space's connectors and every preconfigured one."""
    found = state.actions.connectors.list(space_id=space_id)
    if as_json:
        _echo_json([c.to_api() for c in found])
    else:
        _show(_connectors_table(found))


@connectors_group.command("get")
@click.argument("connector_id", metavar="ID")
@space_option
@json_option
@pass_state
def get_command(state: _State, connector_id: str, space_id: str, as_json: bool) -> None:
    """Show one connector (never its secrets)."""
    connector = state.actions.connectors.get(connector_id, space_id=space_id)
    if as_json:
        _echo_json(connector.to_api())
    else:
        _show(_connector_view(connector))


@connectors_group.command("update")
@click.argument("connector_id", metavar="ID")
@click.option("--name", help="New display name.")
@click.option("--config", type=JSON, help="New config as JSON, @file or - (stdin).")
@click.option("--secrets", type=JSON, help="New secrets as JSON, @file or - (stdin).")
@click.option("--prompt-secrets", is_flag=True, help="Ask for new secrets (hidden input).")
@space_option
@json_option
@pass_state
def update_command(
    state: _State,
    connector_id: str,
    name: str | None,
    config: Any,
    secrets: Any,
    prompt_secrets: bool,
    space_id: str,
    as_json: bool,
) -> None:
    """Change a connector's name, config and/or secrets; what is omitted is kept."""
    if name is None and config is None and secrets is None and not prompt_secrets:
        raise click.UsageError(
            "nothing to update: give --name, --config, --secrets or --prompt-secrets."
        )
    actions = state.actions
    if prompt_secrets:
        current = actions.connectors.get(connector_id, space_id=space_id)
        secrets = _prompt_secrets(_secrets_schema(actions, current.connector_type_id), secrets)
    connector = actions.connectors.update(
        connector_id, name=name, config=config, secrets=secrets, space_id=space_id
    )
    _print_connector(connector, as_json)


@connectors_group.command("delete")
@click.argument("connector_id", metavar="ID")
@space_option
@pass_state
def delete_command(state: _State, connector_id: str, space_id: str) -> None:
    """Delete a connector."""
    state.actions.connectors.delete(connector_id, space_id=space_id)
    click.echo(f"Deleted connector {connector_id}.")


@cli.command("execute")
@click.argument("connector_id", metavar="ID")
@click.option(
    "--params", type=JSON, default="{}", show_default=True, help="JSON, @file or - (stdin)."
)
@space_option
@click.option("--json", "as_json", is_flag=True, help="Compact JSON; stream chunks as JSON lines.")
@pass_state
def execute_command(
    state: _State, connector_id: str, params: Any, space_id: str, as_json: bool
) -> None:
    """Run a connector. Exit 1 when the result's status is "error"."""
    result = state.actions.execute(connector_id, params, space_id=space_id, source="cli")
    if isinstance(result.data, Iterator):
        _stream(result.data, as_json)
        return
    _echo_json(result.to_api(), compact=as_json)
    if not result.ok:
        raise Failure(_result_error(result))


@cli.command("events")
@click.option("--connector", "connector_id", metavar="ID", help="Only this connector's events.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@json_option
@pass_state
def events_command(state: _State, connector_id: str | None, limit: int, as_json: bool) -> None:
    """Show the newest event records (execute-start / execute)."""
    found = state.actions.recent_events(connector_id, limit=limit)
    if as_json:
        _echo_json([e.to_dict() for e in found])
    else:
        _show(_events_table(found))


@cli.command("usage")
@click.option("--connector", "connector_id", metavar="ID", help="Only this connector's usage.")
@click.option("--interval", type=click.Choice(list(INTERVALS)), default="day", show_default=True)
@json_option
@pass_state
def usage_command(state: _State, connector_id: str | None, interval: str, as_json: bool) -> None:
    """Token usage of gen-AI executions, per interval, with totals."""
    report = state.actions.usage(connector_id, interval_seconds=INTERVALS[interval])
    if as_json:
        _echo_json(_usage_json(report, interval))
    else:
        _show(_usage_table(report, interval), *_usage_group_tables(report))


@cli.group("secrets")
def secrets_group() -> None:
    """Manage the encryption of stored secrets."""


@secrets_group.command("rotate")
@pass_state
def rotate_command(state: _State) -> None:
    """Re-encrypt every stored secret with the current key (after changing keys)."""
    counts = state.actions.rotate_secrets()
    for key, value in counts.items():
        click.echo(f"{key}: {value}")
    if counts.get("failed"):
        raise Failure(
            f"{counts['failed']} connector(s) have secrets that no configured key can decrypt: "
            "add the key they were encrypted with to decryptionOnlyKeys and run again."
        )


@cli.command("demo")
@pass_state
def demo_command(state: _State) -> None:
    """First run: create (once) and execute a server-log connector, then show what happened."""
    actions = state.actions
    try:
        actions.connectors.get(DEMO_CONNECTOR_ID)
    except NotFoundError:
        with contextlib.suppress(ConflictError):  # another run created it meanwhile: fine
            actions.connectors.create(
                connector_type_id=".server-log", name=DEMO_CONNECTOR_NAME, id=DEMO_CONNECTOR_ID
            )
    result = actions.execute(DEMO_CONNECTOR_ID, {"message": DEMO_MESSAGE}, source="cli")
    if not result.ok:
        raise Failure(_result_error(result))
    click.echo(f"Executed {DEMO_CONNECTOR_ID}: {result.status}")
    _show(
        _connectors_table(actions.connectors.list(), title="Connectors"),
        _events_table(actions.recent_events(limit=5), title="Last 5 events"),
    )


# --- the HTTP service and its API keys ---------------------------------------------------


@cli.command("serve")
@click.option("--host", help="Address to listen on [default: server.host, 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port; 0 picks a free one [default: 5601]."
)
@click.option("--public-base-url", help="Base URL clients use [default: server.publicBaseUrl].")
@pass_state
def serve_command(
    state: _State, host: str | None, port: int | None, public_base_url: str | None
) -> None:
    """Run the Kibana-compatible HTTP service (connector API, usage dashboard)."""
    from actions_core.server.serve import serve

    actions = state.actions
    server = actions.settings.actions.server
    serve(
        actions,
        host=host or server.host,
        port=server.port if port is None else port,
        public_base_url=public_base_url,
        echo=click.echo,
    )


def _api_keys(state: _State) -> Any:
    from actions_core.server.apikeys import ApiKeyStore

    return ApiKeyStore(state.actions.engine)


@cli.group("api-keys")
def api_keys_group() -> None:
    """Create, list and revoke the HTTP service's API keys (stored hashed)."""


@api_keys_group.command("create")
@click.option("--name", required=True, help="What the key is for (shown in usage reports).")
@click.option(
    "--role",
    type=click.Choice(["read", "all"]),
    default="read",
    show_default=True,
    help="read: list, get, types, execute, usage; all: also create, update, delete.",
)
@json_option
@pass_state
def api_keys_create_command(state: _State, name: str, role: str, as_json: bool) -> None:
    """Create a key; it is printed this once only."""
    new = _api_keys(state).create(name, role, created_by="cli")
    if as_json:
        _echo_json({**new.key.to_dict(), "api_key": new.api_key, "encoded": new.encoded})
        return
    click.echo(f'Created API key "{new.key.name}" (id {new.key.id}, role {new.key.role}).')
    click.echo("It is shown only this once. Send it as:")
    click.echo(f"  Authorization: ApiKey {new.encoded}")


@api_keys_group.command("list")
@json_option
@pass_state
def api_keys_list_command(state: _State, as_json: bool) -> None:
    """List the keys (never the keys themselves)."""
    found = _api_keys(state).list()
    if as_json:
        _echo_json([key.to_dict() for key in found])
        return
    rows = [(k.id, k.name, k.role, k.created_at, k.revoked_at or "") for k in found]
    _show(_table(("ID", "Name", "Role", "Created", "Revoked"), rows))


@api_keys_group.command("revoke")
@click.argument("key_id", metavar="ID")
@pass_state
def api_keys_revoke_command(state: _State, key_id: str) -> None:
    """Revoke a key: requests with it answer 401 from now on."""
    key = _api_keys(state).revoke(key_id)
    click.echo(f'Revoked API key "{key.name}" ({key.id}).')


@cli.group("users")
def users_group() -> None:
    """Basic-auth users of the HTTP service (configured in server.users)."""


@users_group.command("hash-password")
def hash_password_command() -> None:
    """Print a passwordHash for server.users (asks for the password, or reads one line)."""
    from actions_core.server.passwords import hash_password

    password = _ask_secret("Password", required=True)
    click.echo(hash_password(password))


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (also ``python -m actions_core``)."""
    cli.main(args=argv, prog_name="actions")


# --- queued execution (actions_core/cli/worker.py) ------------------------------------------
from actions_core.cli.queue import enqueue_command, executions_group  # noqa: E402
from actions_core.cli.worker import worker_command  # noqa: E402

cli.add_command(worker_command)
cli.add_command(enqueue_command)
cli.add_command(executions_group)
