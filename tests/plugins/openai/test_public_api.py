"""The plugin uses only actions-core's public API, and is discovered like any plugin."""

from __future__ import annotations

import ast
from pathlib import Path

import actions_core_plugins.openai as plugin

import actions_core

PLUGIN_DIR = Path(plugin.__file__).parent


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_the_plugin_imports_only_public_names_of_actions_core():
    files = sorted(PLUGIN_DIR.rglob("*.py"))
    assert len(files) > 5
    public = set(actions_core.__all__)
    for path in files:
        for module, names in imports_of(path):
            if module == "actions_core":
                private = [n for n in names if n not in public]
                assert not private, f"{path.name} imports non-public {private} from actions_core"
            else:
                assert not module.startswith("actions_core."), f"{path.name} imports {module}"
                assert not module.startswith("actions_core_plugins"), (
                    f"{path.name} imports {module}"
                )


def test_the_plugin_uses_only_public_attributes_of_actions_core():
    public = set(actions_core.__all__)
    for path in sorted(PLUGIN_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "actions_core"
            ):
                assert node.attr in public, f"{path.name} uses actions_core.{node.attr}"


def test_the_entry_point_names_the_plugin_package():
    from importlib.metadata import entry_points

    [entry] = [e for e in entry_points(group="actions_core") if e.name == "openai"]
    assert entry.value == "actions_core_plugins.openai"
    assert entry.load() is plugin
