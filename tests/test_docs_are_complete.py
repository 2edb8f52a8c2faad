"""Every hook and every name of the test kit is documented (as datasette checks its hooks).

A hook specification in ``actions_core/_plugins/hookspecs.py`` needs a heading naming it in
docs/plugins.md; a public name of ``actions_core.testing`` or a public fixture of its pytest
plugin needs a row in the reference table of docs/testing-plugins.md.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import actions_core.testing
from actions_core._plugins import hookspecs
from actions_core._testing import pytest_plugin

DOCS = Path(__file__).resolve().parents[1] / "docs"


def hook_names() -> list[str]:
    marker = f"{hookspecs.PROJECT}_spec"
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, marker)
    )


def fixture_names() -> list[str]:
    """Public fixtures of the kit's pytest plugin, read from its source."""
    tree = ast.parse(inspect.getsource(pytest_plugin))
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            decorators = [ast.unparse(d) for d in node.decorator_list]
            if any(d.startswith("pytest.fixture") for d in decorators):
                names.append(node.name)
    return sorted(names)


def kit_names() -> list[str]:
    return sorted(set(actions_core.testing.__all__) | set(fixture_names()))


def test_the_lists_are_not_empty() -> None:
    assert "register_action_types" in hook_names()
    assert {"actions", "actions_http", "actions_http_read", "fake_openai"} <= set(fixture_names())
    assert "make_actions" in kit_names()


@pytest.mark.parametrize("hook", hook_names())
def test_plugin_hooks_are_documented(hook: str) -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ .*$", text, re.MULTILINE)
    assert any(f"`{hook}`" in heading for heading in headings), (
        f"hook {hook} has no heading in docs/plugins.md"
    )


@pytest.mark.parametrize("name", kit_names())
def test_testing_kit_is_documented(name: str) -> None:
    text = (DOCS / "testing-plugins.md").read_text(encoding="utf-8")
    reference = text.partition("## 8. Reference")[2]
    assert re.search(rf"^\| `{re.escape(name)}` \|", reference, re.MULTILINE), (
        f"{name} is missing from the reference table of docs/testing-plugins.md"
    )
