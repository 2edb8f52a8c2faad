"""The package is typed (PEP 561), and strictly so where plugin authors look.

Without the ``py.typed`` marker a plugin author's type checker ignores every annotation of an
installed actions-core (mypy: "module is installed, but missing library stubs or py.typed
marker"). The wheel is built from a copy of the sources, so no build output lands in the tree.
That the annotations themselves are right is checked by mypy, which ``scripts/test`` runs with
``[tool.mypy]`` from pyproject.toml: strict on every module behind ``actions_core.__all__``, a
list the second test keeps complete as public names are added.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import actions_core

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 120


def test_the_wheel_marks_both_packages_as_typed(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("actions_core", "plugins"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    built = subprocess.run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("actions_core-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "actions_core/py.typed" in names
    assert "actions_core_plugins/py.typed" in names


def test_mypy_is_strict_on_every_module_behind_the_public_surface() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    strict = {
        module
        for override in config["overrides"]
        if override.get("disallow_untyped_defs") and override.get("disallow_any_generics")
        for module in override["module"]
    }
    public = {"actions_core", "actions_core.testing"} | {
        "actions_core" + relative for relative in actions_core._EXPORTS.values()
    }
    assert public - strict == set(), "add these to the strict [[tool.mypy.overrides]]"
