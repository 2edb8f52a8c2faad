"""``scripts/bootstrap``: set-up says what it does (on stderr) and is silent when done already.

``scripts/run`` calls it before every command, so its stdout must stay empty (``--json`` output
is parsed) and a set-up environment must cost nothing and print nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _copy(names: list[str], target: Path) -> None:
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _bootstrap(clone: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHON")}
    env["PYTHON"] = sys.executable  # any Python >= 3.11
    return subprocess.run(
        ["scripts/bootstrap", *args],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _installed(clone: Path, extras: str) -> None:
    """A set-up ``.venv`` as bootstrap leaves it: its Python and the stamp of this pyproject.

    The Python only says it was called and fails: a set-up environment must not run it (and
    a bootstrap that would reinstall cannot touch a real environment from here)."""
    digest = hashlib.sha256((clone / "pyproject.toml").read_bytes()).hexdigest()[:16]
    python = clone / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text('#!/bin/sh\necho "the venv python was run: $*" >&2\nexit 97\n')
    python.chmod(0o755)
    (clone / ".venv" / f".installed-{digest}{extras}").touch()


@pytest.mark.parametrize(("stamp", "args"), [("", ()), ("-test", ("test",)), ("-test", ())])
def test_a_set_up_environment_costs_nothing_and_prints_nothing(tmp_path, stamp, args) -> None:
    """Including ``scripts/run`` (no extras) after ``scripts/test`` (extras ``test``): the
    install with extras is enough, instead of reinstalling back and forth."""
    _copy(["scripts/bootstrap", "pyproject.toml"], tmp_path)
    _installed(tmp_path, stamp)
    result = _bootstrap(tmp_path, *args)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(list((tmp_path / ".venv").glob(".installed-*"))) == 1


@pytest.mark.slow
def test_first_set_up_says_what_it_does_and_hides_pips_noise(tmp_path) -> None:
    _copy(["scripts/bootstrap", "pyproject.toml", "README.md", "actions_core", "plugins"], tmp_path)
    first = _bootstrap(tmp_path, timeout=900)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    lines = first.stderr.splitlines()
    assert lines[0].startswith("bootstrap: creating the virtual environment in .venv (Python 3.")
    assert lines[1].startswith("bootstrap: installing actions-core and its dependencies")
    assert lines[2].startswith("bootstrap: done in ") and lines[2].endswith(" s")
    assert len(lines) == 3  # no setuptools banner, no pip notices
    assert (tmp_path / ".venv" / "bin" / "actions").exists()
    again = _bootstrap(tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
