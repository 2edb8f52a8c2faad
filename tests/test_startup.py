"""Start-up stays light: importing actions_core and discovering plugins defers heavy libraries.

The start-up target (docs/benchmarks.md) is a timing, which is too noisy for CI; what makes it
hold is that nothing heavy is imported, and that is exact. Each check runs in a fresh
interpreter, because this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import actions_core

#: Imported by Actions() and by executions, never by ``import actions_core`` or discovery.
DEFERRED = ("sqlalchemy", "requests", "urllib3", "pydantic", "tiktoken", "yaml", "fastapi")

DISCOVERY = """
import json, sys
import actions_core
from actions_core._plugins.manager import load_plugins
from actions_core._plugins.registry import ActionTypeRegistry
registry = ActionTypeRegistry(["*"])
load_plugins().register_action_types(registry.register)
print(json.dumps({
    "types": [t.id for t in registry.list()],
    "modules": sorted({name.split(".")[0] for name in sys.modules}),
}))
"""


def _fresh(code: str, cache_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONS_")}
    env["ACTIONS_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


def test_import_actions_core_imports_no_heavy_library(tmp_path):
    code = "import json, sys, actions_core; print(json.dumps({'modules': list(sys.modules)}))"
    loaded = {name.split(".")[0] for name in _fresh(code, tmp_path)["modules"]}
    heavy = (*DEFERRED, "jsonschema", "cryptography", "pluggy")
    assert sorted(loaded & set(heavy)) == []


def test_plugin_discovery_and_registration_import_no_heavy_library(tmp_path):
    cold = _fresh(DISCOVERY, tmp_path)
    assert {".gen-ai", ".server-log", ".webhook"} <= set(cold["types"])
    assert sorted(set(cold["modules"]) & set(DEFERRED)) == []
    # The first process checked the schemas and remembered them: later ones skip jsonschema.
    warm = _fresh(DISCOVERY, tmp_path)
    assert warm["types"] == cold["types"]
    assert sorted(set(warm["modules"]) & {*DEFERRED, "jsonschema"}) == []


def test_every_public_name_resolves_lazily_and_is_listed():
    for name in actions_core.__all__:
        assert getattr(actions_core, name) is not None
    assert set(actions_core.__all__) <= set(dir(actions_core))
    namespace: dict = {}
    exec("from actions_core import *", namespace)
    assert set(actions_core.__all__) <= set(namespace)
    from actions_core.errors import ValidationError

    assert actions_core.ValidationError is ValidationError


def test_unknown_names_still_raise_attribute_error():
    try:
        actions_core.NoSuchName  # noqa: B018
    except AttributeError as err:
        assert "NoSuchName" in str(err)
    else:
        raise AssertionError("expected AttributeError")
