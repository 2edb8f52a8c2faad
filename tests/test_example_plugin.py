"""The example third-party plugin, installed for real and discovered through its entry point.

The package in ``examples/actions-core-example-plugin`` is pip-installed into this environment
(from a copy, so no build output lands in the source tree), then fresh interpreters run the
Python API against it: only a fresh interpreter sees the new entry point, exactly as a user's
process would. The package is uninstalled again when the module's tests are done.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

EXAMPLE_SOURCE = Path(__file__).resolve().parents[1] / "examples" / "actions-core-example-plugin"
DISTRIBUTION = "actions-core-example-plugin"
ENTRY_POINT = "example"
ENCRYPTION_KEY = "example-plugin-encryption-key-0123456789"  # 40 characters
TOKEN = "tok-3xample-s3cret-never-shown"
PIP_TIMEOUT = 300
SCRIPT_TIMEOUT = 120


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )


def _uninstall() -> None:
    _pip("uninstall", "-y", DISTRIBUTION)


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory: pytest.TempPathFactory):
    """Install the example package (reinstalling over any earlier copy); uninstall afterwards."""
    for module in ("pip", "setuptools"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"installing the example plugin needs {module} in this environment")
    source = _copy_example(tmp_path_factory.mktemp("example-plugin-src"))
    # Whatever happens from here on, leave the environment as we found it minus the example.
    try:
        installed = _pip(
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--force-reinstall",
            str(source),
        )
        assert installed.returncode == 0, (
            f"pip install failed ({installed.returncode}):\n{installed.stdout}\n{installed.stderr}"
        )
        yield source
    finally:
        _uninstall()


def _copy_example(directory: Path) -> Path:
    source = directory / EXAMPLE_SOURCE.name
    shutil.copytree(
        EXAMPLE_SOURCE,
        source,
        ignore=shutil.ignore_patterns(
            "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"
        ),
    )
    return source


def run_example_tests(source: Path) -> subprocess.CompletedProcess[str]:
    """The example's own test suite, run as its author runs it (``pytest`` in the package
    directory): the kit's fixtures come from actions-core's ``pytest11`` entry point."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTIONS_", "PYTEST_"))}
    env.pop("PYTHONPATH", None)  # only what is installed, as in the author's environment
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        env=env,
        cwd=source,
    )


def run_python(
    script: str, tmp_path: Path, *, plugins: str | None, timeout: float = SCRIPT_TIMEOUT
) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter; it prints one JSON document, which is returned."""
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONS_")}
    env.update(
        ACTIONS_DATA_DIR=str(data_dir),
        ACTIONS_ENCRYPTION_KEY=ENCRYPTION_KEY,
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTHONPATH", None)  # only what is installed, as in a user's process
    if plugins is not None:
        env["ACTIONS_PLUGINS"] = plugins
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,  # no actions.yml here, and the example's source is not importable from it
    )
    assert done.returncode == 0, f"script failed:\n{done.stdout}\n{done.stderr}"
    assert TOKEN not in done.stdout + done.stderr, "the secret token leaked into the output"
    return json.loads(done.stdout.strip().splitlines()[-1])


TYPES_SCRIPT = """
import json
import actions_core_example
from actions_core import Actions

with Actions() as actions:
    types = {
        t.id: {
            "plugin": t.plugin,
            "name": t.name,
            "enabled": t.enabled,
            "config_schema": t.config_schema,
            "params_schema": t.params_schema,
            "sub_actions": sorted(t.sub_actions),
        }
        for t in actions.types()
    }
    print(json.dumps({"types": types, "module": actions_core_example.__file__}))
"""


SCENARIO_SCRIPT = """
import json
import actions_core
from actions_core import Actions

TOKEN = %r
out = {}


def result(r):
    body = r.to_api()
    body.pop("connector_id")
    return body


with Actions() as actions:
    # --- example.greeting ---
    greeter = actions.connectors.create(
        connector_type_id="example.greeting", name="greeter", config={}, secrets={"token": TOKEN}
    )
    hi = actions.connectors.create(
        connector_type_id="example.greeting", name="hi", config={"greeting": "Hi"}
    )
    out["greeter"] = {"id": greeter.id, "config": greeter.config}
    out["hi_id"] = hi.id
    out["listed"] = [
        [c.name, c.connector_type_id, c.config] for c in actions.connectors.list()
    ]
    out["hello"] = result(actions.execute(greeter.id, {"name": "Ada"}))
    out["hi"] = result(actions.execute(hi.id, {"name": "Grace"}))
    out["empty_name"] = result(actions.execute(greeter.id, {"name": ""}))
    out["missing_name"] = result(actions.execute(greeter.id, {}))
    out["rendered"] = actions.render_parameter_templates(
        "example.greeting", {"name": "{{context.user}}"}, {"context": {"user": "Linus"}}
    )
    rejected = {}
    for label, config in [("unknown_key", {"colour": "red"}), ("too_long", {"greeting": "x" * 41})]:
        try:
            actions.connectors.create(
                connector_type_id="example.greeting", name="bad", config=config
            )
        except actions_core.ValidationError as err:
            rejected[label] = {"message": err.message, "problems": err.problems}
    out["rejected"] = rejected

    # --- example.shout ---
    shouter = actions.connectors.create(connector_type_id="example.shout", name="shouter")
    out["shouter"] = {"id": shouter.id}
    out["upper"] = result(
        actions.execute(shouter.id, {"subAction": "upper", "subActionParams": {"text": "hi there"}})
    )
    streamed = actions.execute(
        shouter.id, {"subAction": "stream", "subActionParams": {"text": "one two  three"}}
    )
    out["stream_status"] = streamed.status
    out["stream_is_execution_stream"] = isinstance(streamed.data, actions_core.ExecutionStream)
    out["execute_records_before_stream_end"] = len(
        actions.recent_events(shouter.id, action="execute")
    )
    out["words"] = list(streamed.data)
    out["execute_records_after_stream_end"] = len(
        actions.recent_events(shouter.id, action="execute")
    )
    out["bad_sub_params"] = result(
        actions.execute(shouter.id, {"subAction": "upper", "subActionParams": {}})
    )
    out["unknown_sub_action"] = result(actions.execute(shouter.id, {"subAction": "whisper"}))

    out["events"] = [
        {k: e.to_dict()[k] for k in ("action", "outcome", "connector_id", "action_type_id",
                                     "execution_id", "message", "error_message")}
        for e in reversed(actions.recent_events(limit=100))
    ]

print(json.dumps(out))
"""


# --- the example's own tests, written with the test kit (docs/testing-plugins.md) ----------

EXAMPLE_TESTS = 11


def test_the_examples_own_tests_pass_in_process_without_installing_it(tmp_path: Path) -> None:
    # First in this module: the module fixture below has not installed the example yet.
    if importlib.util.find_spec("actions_core_example") is not None:
        pytest.skip("the example is installed: this case needs it not to be")
    done = run_example_tests(_copy_example(tmp_path))
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert f"{EXAMPLE_TESTS} passed" in done.stdout, done.stdout


def test_the_examples_own_tests_pass_with_it_installed(example_installed: Path) -> None:
    done = run_example_tests(example_installed)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert f"{EXAMPLE_TESTS} passed" in done.stdout, done.stdout


# --- discovery ------------------------------------------------------------------------------


@pytest.mark.parametrize("plugins", [None, f"server-log,{ENTRY_POINT}"], ids=["all", "allowed"])
def test_example_types_are_discovered_through_the_entry_point(
    example_installed: Path, tmp_path: Path, plugins: str | None
) -> None:
    out = run_python(TYPES_SCRIPT, tmp_path, plugins=plugins)
    types = out["types"]

    # Imported from the installed distribution, not from the source tree.
    assert not Path(out["module"]).is_relative_to(EXAMPLE_SOURCE)
    assert types["example.greeting"]["plugin"] == ENTRY_POINT
    assert types["example.shout"]["plugin"] == ENTRY_POINT
    assert types[".server-log"]["plugin"] == "server-log"
    assert types["example.greeting"]["enabled"] is True
    assert types["example.greeting"]["name"] == "Example greeting"
    assert types["example.greeting"]["config_schema"]["properties"]["greeting"] == {
        "type": "string",
        "default": "Hello",
    }
    assert types["example.greeting"]["params_schema"]["required"] == ["name"]
    assert types["example.shout"]["sub_actions"] == ["stream", "upper"]


def test_allow_list_without_the_example_does_not_load_it(
    example_installed: Path, tmp_path: Path
) -> None:
    out = run_python(TYPES_SCRIPT, tmp_path, plugins="server-log")

    assert sorted(out["types"]) == [".server-log"]


# --- connectors and executions --------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario(example_installed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One fresh interpreter runs every step; the tests below check one aspect each."""
    tmp_path = tmp_path_factory.mktemp("example-scenario")
    return run_python(SCENARIO_SCRIPT % TOKEN, tmp_path, plugins=f"server-log,{ENTRY_POINT}")


def test_greeting_connector_is_created_with_defaults_and_listed(scenario: dict) -> None:
    assert scenario["greeter"]["config"] == {"greeting": "Hello"}
    assert scenario["listed"] == [
        ["greeter", "example.greeting", {"greeting": "Hello"}],
        ["hi", "example.greeting", {"greeting": "Hi"}],
    ]


def test_greeting_executes(scenario: dict) -> None:
    assert scenario["hello"] == {"status": "ok", "data": {"message": "Hello, Ada!"}}
    assert scenario["hi"] == {"status": "ok", "data": {"message": "Hi, Grace!"}}


def test_greeting_params_validation_names_the_field(scenario: dict) -> None:
    assert scenario["empty_name"] == {
        "status": "error",
        "message": "error validating action params: [name]: value has length [0] but it must "
        "have a minimum length of [1].",
        "retry": False,
        "errorSource": "user",
    }
    assert scenario["missing_name"]["message"] == (
        "error validating action params: [name]: expected value of type [string] but got "
        "[undefined]"
    )


def test_greeting_config_validation(scenario: dict) -> None:
    unknown = scenario["rejected"]["unknown_key"]
    assert unknown["message"] == (
        "error validating connector type config: [colour]: definition for this key is missing"
    )
    too_long = scenario["rejected"]["too_long"]
    assert too_long["message"] == (
        "error validating connector type config: [greeting]: must be at most 40 characters, "
        "got 41; use a shorter greeting."
    )
    assert too_long["problems"] == [["greeting", "must be at most 40 characters, got 41"]]


def test_greeting_renders_templates(scenario: dict) -> None:
    assert scenario["rendered"] == {"name": "Linus"}


def test_shout_upper_sub_action(scenario: dict) -> None:
    assert scenario["upper"] == {"status": "ok", "data": {"text": "HI THERE"}}


def test_shout_stream_yields_words_in_order(scenario: dict) -> None:
    assert scenario["stream_status"] == "ok"
    assert scenario["stream_is_execution_stream"] is True
    assert scenario["words"] == ["one", "two", "three"]
    # The "execute" record is written when the stream ends, not when execute() returns.
    # (the one record before it is the earlier "upper" run's)
    assert scenario["execute_records_before_stream_end"] == 1
    assert scenario["execute_records_after_stream_end"] == 2


def test_shout_sub_action_errors(scenario: dict) -> None:
    bad = scenario["bad_sub_params"]
    assert bad["status"] == "error"
    assert bad["message"] == "an error occurred while running the action"
    assert bad["service_message"] == (
        "Request validation failed (Error: [text]: expected value of type [string] but got "
        "[undefined])"
    )
    assert bad["retry"] is False

    unknown = scenario["unknown_sub_action"]
    assert unknown["status"] == "error"
    assert unknown["service_message"] == (
        f'Sub action "whisper" is not registered. Connector id: {scenario["shouter"]["id"]}. '
        "Connector name: Example shout. Connector type: example.shout"
    )


def test_event_records(scenario: dict) -> None:
    events = scenario["events"]
    greeter, hi, shouter = scenario["greeter"]["id"], scenario["hi_id"], scenario["shouter"]["id"]
    summary = [(e["action"], e["outcome"], e["connector_id"]) for e in events]
    # Parameter validation failures write no event (as in Kibana); every run writes a pair.
    assert summary == [
        ("execute-start", None, greeter),
        ("execute", "success", greeter),
        ("execute-start", None, hi),
        ("execute", "success", hi),
        ("execute-start", None, shouter),
        ("execute", "success", shouter),  # upper
        ("execute-start", None, shouter),
        ("execute", "success", shouter),  # stream, recorded at its end
        ("execute-start", None, shouter),
        ("execute", "failure", shouter),  # bad sub-action params
        ("execute-start", None, shouter),
        ("execute", "failure", shouter),  # unknown sub-action
    ]
    for start, end in zip(events[::2], events[1::2], strict=True):
        assert start["execution_id"] == end["execution_id"]
        assert start["action_type_id"] == end["action_type_id"]
    assert events[1]["message"] == f"action executed: example.greeting:{greeter}: greeter"
    assert "Request validation failed" in events[9]["error_message"]
    assert 'Sub action "whisper" is not registered' in events[11]["error_message"]


# --- the guides quote the example verbatim -------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs"
QUOTE = re.compile(r"<!-- quote: (?P<path>\S+) -->\n```[a-z]*\n(?P<code>.*?)\n```", re.DOTALL)


@pytest.mark.parametrize(("guide", "at_least"), [("plugins.md", 10), ("testing-plugins.md", 6)])
def test_guides_quote_the_example_verbatim(guide: str, at_least: int) -> None:
    text = (DOCS / guide).read_text(encoding="utf-8")
    quotes = list(QUOTE.finditer(text))
    assert len(quotes) >= at_least, f"docs/{guide} lost its quotes of the example"
    root = DOCS.parent
    for quote in quotes:
        source = (root / quote["path"]).read_text(encoding="utf-8")
        assert quote["code"] in source, (
            f"docs/{guide} quotes {quote['path']} but the code differs:\n{quote['code']}"
        )
