"""The layout's import rules (docs/architecture.md), checked on every module's imports.

Each module of ``actions_core`` belongs to a *part*: a subpackage (``_net``, ``server``, ...) or a
top-level module (``connectors``, ``errors``, ...). ``RULES`` says which other parts a part may
import at run time, and which only for type annotations (inside ``if TYPE_CHECKING:``). Every
import counts: module-level, inside functions, relative or absolute. A part may always import
itself. Third-party imports are not this test's business.

This table is the one source of truth: docs/architecture.md describes it in prose, and a test
below fails when the document leaves a part out or a module belongs to no part.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import actions_core
import actions_core.testing

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "actions_core"
DOC = ROOT / "docs" / "architecture.md"

#: The core: everything but the two front ends (``cli``, ``server``), the CLI's ``__main__``
#: and the test kit (``testing`` and its private ``_testing``). None of it may import a front end.
CORE = frozenset(
    {
        "__init__",
        "errors",
        "_js",
        "_store",
        "_net",
        "_plugins",
        "_run",
        "_connectors",
        "_queue",
        "secrets",
        "settings",
        "events",
        "connectors",
        "actions",
        "usage",
    }
)


@dataclass(frozen=True)
class Rule:
    may_import: frozenset[str]
    #: Parts imported only under ``if TYPE_CHECKING:`` (annotations), e.g. to name a type of a
    #: part that imports this one at run time.
    for_annotations: frozenset[str] = frozenset()


def _rule(imports: str = "", annotations: str = "") -> Rule:
    return Rule(frozenset(imports.split()), frozenset(annotations.split()))


RULES: dict[str, Rule] = {
    # the foundation
    "errors": _rule(),
    "_js": _rule("errors"),
    "_store": _rule("errors"),
    "_net": _rule("errors", annotations="settings"),
    # the framework
    "_plugins": _rule("_run errors"),
    "_run": _rule("_js _net errors", annotations="_plugins connectors events"),
    "_connectors": _rule("_js errors", annotations="connectors"),
    "secrets": _rule("errors"),
    "settings": _rule("_net errors"),
    "events": _rule("_store errors"),
    "connectors": _rule(
        "_connectors _run _store errors secrets", annotations="_net _plugins settings"
    ),
    "_queue": _rule("_run _store errors", annotations="actions settings"),
    "actions": _rule("_net _plugins _queue _run _store connectors errors events secrets settings"),
    "usage": _rule("errors events settings", annotations="actions"),
    "__init__": _rule(" ".join(sorted(CORE - {"__init__"}))),
    # the front ends and the kit: the whole core, and the server where they need it
    "server": _rule(" ".join(sorted(CORE))),
    "cli": _rule(" ".join(sorted(CORE | {"server"}))),
    "__main__": _rule("cli"),
    "testing": _rule(" ".join(sorted(CORE | {"server", "_testing"}))),
    "_testing": _rule(" ".join(sorted(CORE | {"server", "testing"}))),
}

#: Built-in plugins and the example plugin: ``import actions_core`` and its public names only.
PLUGIN_TREES = ("plugins", "examples")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. actions_core._run.executor
    target: str  # the imported module, e.g. actions_core._net.client
    names: tuple[str, ...]  # for ``from target import a, b``
    line: int
    annotations_only: bool

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import in the file, wherever it is (functions, classes, ``if`` blocks)."""
    module = _module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                package = package if is_package else package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            names = tuple(alias.name for alias in node.names)
            targets = [(base, names)]
        else:
            continue
        for target, names in targets:
            found.append(Import(module, target, names, node.lineno, id(node) in typing_only))
    return found


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def part_of(dotted: str) -> str:
    """``actions_core._net.client`` → ``_net``; ``actions_core`` → ``__init__``."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _targets(imp: Import) -> list[str]:
    """The modules an import reaches: ``from actions_core import cli`` reaches the subpackage."""
    if imp.target == "actions_core" and imp.names:
        found = [f"actions_core.{n}" for n in imp.names if _is_module(f"actions_core.{n}")]
        if len(found) < len(imp.names):
            found.append("actions_core")
        return found
    return [imp.target]


def _ours(dotted: str) -> bool:
    return dotted == "actions_core" or dotted.startswith("actions_core.")


def package_imports() -> list[Import]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += [i for i in imports_of(path, ROOT) if _ours(i.target)]
    return found


def violations(imports: list[Import]) -> list[str]:
    problems = []
    for imp in imports:
        if not _ours(imp.target):
            continue
        source = part_of(imp.module)
        rule = RULES[source]
        for target in _targets(imp):
            part = part_of(target)
            if part == source or part in rule.may_import:
                continue
            if imp.annotations_only and part in rule.for_annotations:
                continue
            why = (
                " (allowed for annotations only, under `if TYPE_CHECKING:`)"
                if part in rule.for_annotations
                else ""
            )
            problems.append(f"{imp}: `{source}` may not import `{part}`{why}")
    return problems


# --- the rules hold -------------------------------------------------------------------------


def test_every_module_belongs_to_a_part_with_a_rule() -> None:
    parts = {part_of(_module_name(p, ROOT)) for p in PACKAGE.rglob("*.py")}
    assert parts - RULES.keys() == set(), "add the new part to RULES and docs/architecture.md"


def test_every_import_in_the_package_follows_the_rules() -> None:
    assert violations(package_imports()) == []


def test_the_core_never_imports_a_front_end() -> None:
    """Stated on its own because it is the rule that matters most (DESIGN: the core never
    imports ``server/`` or ``cli/``); the table must keep saying so."""
    for part in CORE:
        assert not {"server", "cli", "testing"} & (
            RULES[part].may_import | RULES[part].for_annotations
        ), part
    leaks = [
        str(imp)
        for imp in package_imports()
        if part_of(imp.module) in CORE
        and any(part_of(t) in {"server", "cli", "testing"} for t in _targets(imp))
    ]
    assert leaks == []


#: Public modules besides the package itself: the plugin authors' test kit.
PUBLIC_MODULES = {"actions_core.testing"}


def test_plugins_and_examples_use_only_the_public_surface() -> None:
    public = set(actions_core.__all__) | {"__version__"}
    public_of = {"actions_core.testing": set(actions_core.testing.__all__)}
    problems = []
    for tree_name in PLUGIN_TREES:
        for path in sorted((ROOT / tree_name).rglob("*.py")):
            source = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(ROOT)
            for node in ast.walk(source):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if (
                            alias.name.startswith("actions_core.")
                            and alias.name not in PUBLIC_MODULES
                        ):
                            problems.append(f"{where}:{node.lineno} imports {alias.name}")
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "actions_core"
                ):
                    if node.module in public_of:
                        private = [
                            a.name for a in node.names if a.name not in public_of[node.module]
                        ]
                        if private:
                            problems.append(f"{where}:{node.lineno} imports {private}")
                    elif node.module != "actions_core":
                        problems.append(f"{where}:{node.lineno} imports from {node.module}")
                    else:
                        private = [a.name for a in node.names if a.name not in public]
                        if private:
                            problems.append(f"{where}:{node.lineno} imports {private}")
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "actions_core"
                    and node.attr not in public
                ):
                    problems.append(f"{where}:{node.lineno} uses actions_core.{node.attr}")
    assert problems == []


# --- the checker itself catches what it should ---------------------------------------------


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("actions_core._net.client", "from actions_core._run import executor", "_run"),
        ("actions_core._js.mustache", "import actions_core.settings", "settings"),
        ("actions_core._store.events", "def f():\n    from actions_core._net import x", "_net"),
        ("actions_core.connectors", "from actions_core.server import app", "server"),
        ("actions_core._run.executor", "from . import x\nfrom ..cli import main", "cli"),
        ("actions_core.events", "from actions_core import cli", "cli"),
        ("actions_core._run.executor", "from actions_core.connectors import X", "connectors"),
    ],
)
def test_a_broken_rule_is_reported(tmp_path, module, source, expected) -> None:
    path = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    found = violations(imports_of(path, tmp_path))
    assert len(found) == 1 and f"may not import `{expected}`" in found[0], found


def test_an_annotation_only_import_is_allowed_only_under_type_checking(tmp_path) -> None:
    path = tmp_path / "actions_core" / "_run" / "executor.py"
    path.parent.mkdir(parents=True)
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from actions_core.connectors import ConnectorsClient\n",
        encoding="utf-8",
    )
    assert violations(imports_of(path, tmp_path)) == []


# --- the document says the same -------------------------------------------------------------


def test_the_architecture_document_describes_every_part() -> None:
    """Each part has its own paragraph, opened by its name in bold (``**`_net/`**``)."""
    text = DOC.read_text(encoding="utf-8")
    missing = []
    for part in [*RULES, *PLUGIN_TREES]:
        name = {"__init__": "__init__.py", "__main__": "__main__.py"}.get(part, part)
        headings = (f"**`{name}/`**", f"**`{name}.py`**", f"**`{name}`**")
        if not any(heading in text for heading in headings):
            missing.append(part)
    assert missing == [], f"docs/architecture.md has no paragraph for {missing}"
