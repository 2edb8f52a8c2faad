"""imported_on_first_call: cheap registration, the real function on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

from actions_core import imported_on_first_call


def test_the_target_is_imported_only_when_called():
    script = (
        "import sys\n"
        "from actions_core import imported_on_first_call\n"
        "encoder = imported_on_first_call('json.encoder:JSONEncoder')\n"
        "assert 'json.encoder' not in sys.modules, 'imported too early'\n"
        "assert encoder().encode([1]) == '[1]'\n"
        "assert 'json.encoder' in sys.modules\n"
        "print(encoder.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "JSONEncoder"


def test_calls_are_delegated_with_their_arguments():
    join = imported_on_first_call("os.path:join")
    assert join("a", "b") == "a/b"


def test_a_malformed_target_is_refused_at_once():
    with pytest.raises(ValueError, match=r"package\.module:name"):
        imported_on_first_call("os.path.join")


def test_a_missing_target_fails_at_the_first_call_naming_it():
    missing = imported_on_first_call("actions_core:no_such_name")
    with pytest.raises(AttributeError, match="no_such_name"):
        missing()
