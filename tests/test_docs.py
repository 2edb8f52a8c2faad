"""The README's and the docs' shell blocks work when pasted in order on a fresh clone.

How the blocks are run (the convention for whoever writes the docs):

- Every fenced ```` ```sh ```` block of ``README.md`` and ``docs/*.md`` runs, in the order of
  its document, in one bash session per document (``set -euo pipefail``: a failing line fails
  the test; ``export`` in one block holds for the next), in a fresh directory with a fresh data
  dir (``./data``), like a fresh clone after set-up.
- Commands are written ``./scripts/run ARGS``: bare ``actions`` is not on ``PATH`` there, as
  it is not on a fresh clone. The directory's ``scripts/run`` is the real script with its
  set-up line left out (this test's ``.venv`` is set up already).
- Before the blocks run, the test starts ``./scripts/run serve --port 0`` in that directory
  and a scripted OpenAI-compatible model server, both on loopback, with
  ``ACTIONS_ALLOWED_HOSTS=127.0.0.1`` as the docs' walk-throughs say. In the blocks,
  ``http://127.0.0.1:5601`` is replaced by the service's address, and ``127.0.0.1:8000`` /
  ``127.0.0.1:8080`` (the model servers the docs start) by the scripted server's.
- ``curl`` fails on an HTTP error status (it runs with ``--fail-with-body``): a 409 or a 404
  in a walk-through fails the test, as a failing ``./scripts/run`` command does.
- ``<!-- docs-test: skip (reason) -->`` on the line before a fence: the block is not run. Use
  it for blocks that start what the test provides (the service, a model server), install
  things, reach the internet, or hold a placeholder such as ``<id>``. The reason is required.
- ``<!-- docs-test: file NAME -->`` before a fence (any language): the block is written to
  ``NAME`` in the directory when its turn comes (e.g. the ``actions.yml`` the next block uses).
- Blocks in other languages (python, yaml, toml, plain) are not run unless marked as a file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server.support import RunningServer
from tests.server.upstream import ScriptedUpstream

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_SCRIPT = ROOT / "scripts" / "run"
SERVICE = "http://127.0.0.1:5601"
MODEL_SERVERS = ("127.0.0.1:8000", "127.0.0.1:8080")
TIMEOUT = 240

_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_MARK = re.compile(r"^\s*<!--\s*docs-test:\s*(skip|file)\b\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    mark: str | None = None  # "skip" or "file"
    argument: str = ""  # the skip's reason, the file's name

    def __str__(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def blocks_of(document: Path) -> list[Block]:
    """The fenced blocks, with the marker on the line before each fence (if any)."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening or not opening.group(2):
            index += 1
            continue
        indent, language = opening.groups()
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = [line.removeprefix(indent) for line in lines[index + 1 : end]]
        mark = _MARK.match(lines[index - 1]) if index else None
        found.append(
            Block(
                document,
                index + 1,
                language,
                "\n".join(body) + "\n",
                mark.group(1) if mark else None,
                mark.group(2).strip("() ") if mark else "",
            )
        )
        index = end + 1
    return found


def runnable(document: Path) -> list[Block]:
    return [
        b for b in blocks_of(document) if b.mark == "file" or (b.language == "sh" and not b.mark)
    ]


def test_every_marker_is_well_formed() -> None:
    """A skip says why; a file says its name; no marker floats away from its fence."""
    for document in DOCUMENTS:
        lines = document.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if "docs-test:" not in line:
                continue
            mark = _MARK.match(line)
            assert mark and mark.group(2), f"{document.name}:{number}: {line.strip()}"
            assert _FENCE.match(lines[number]), f"{document.name}:{number}: no fence follows"


def _shim_text(actions: str) -> str:
    """The real ``scripts/run``, its set-up line made a no-op and ``actions`` made absolute;
    the assertion fails when the script changes shape, so the shim cannot drift from it."""
    real = RUN_SCRIPT.read_text(encoding="utf-8")
    assert "\nscripts/bootstrap\n" in real and 'exec .venv/bin/actions "$@"' in real
    return real.replace("\nscripts/bootstrap\n", "\n:\n").replace(
        "exec .venv/bin/actions", f"exec {actions}"
    )


def _fresh_clone(workdir: Path) -> dict[str, str]:
    """The directory the blocks run in, and their environment."""
    actions = Path(sys.executable).with_name("actions")
    (workdir / "scripts").mkdir(parents=True)
    shim = workdir / "scripts" / "run"
    shim.write_text(_shim_text(str(actions)), encoding="utf-8")
    shim.chmod(0o755)
    tools = workdir / ".tools"  # curl that fails on HTTP errors; nothing else
    tools.mkdir()
    curl = shutil.which("curl")
    assert curl, "the docs' walk-throughs need curl"
    (tools / "curl").write_text(f'#!/bin/sh\nexec {curl} --fail-with-body "$@"\n')
    (tools / "curl").chmod(0o755)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    path = [p for p in path if not (Path(p) / "actions").exists()]  # no `actions` on PATH
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTIONS_", "VIRTUAL_ENV"))}
    env.update(
        PATH=os.pathsep.join([str(tools), *path]),
        ACTIONS_ALLOWED_HOSTS="127.0.0.1",
        ACTIONS_CACHE_DIR=os.environ.get("ACTIONS_CACHE_DIR", str(workdir / ".cache")),
        PYTHONUNBUFFERED="1",
        COLUMNS="120",
    )
    return env


def _script(blocks: list[Block], service: str, model_server: str) -> str:
    parts = ["set -euo pipefail"]
    for block in blocks:
        text = block.text.replace(SERVICE, service)
        for address in MODEL_SERVERS:
            text = text.replace(address, model_server)
        if block.mark == "file":
            parts.append(f"cat > {block.argument} <<'DOCS_TEST_EOF'\n{text}DOCS_TEST_EOF")
        else:
            parts.append(f'echo "### {block}" >&2\n{text}')
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize(
    "document",
    [d for d in DOCUMENTS if any(b.language == "sh" and not b.mark for b in blocks_of(d))],
    ids=lambda d: d.name,
)
def test_the_shell_blocks_run_in_order_on_a_fresh_clone(document: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "clone"
    env = _fresh_clone(workdir)
    with ScriptedUpstream() as upstream:
        server = RunningServer(
            [str(workdir / "scripts" / "run"), "serve", "--port", "0"], workdir, env
        )
        try:
            model_server = upstream.url.removeprefix("http://").rstrip("/")
            script = _script(runnable(document), server.url, model_server)
            (workdir / "docs-test.sh").write_text(script, encoding="utf-8")
            result = subprocess.run(
                ["bash", "docs-test.sh"],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
        finally:
            server.stop()
    failed = result.stderr.rsplit("### ", 1)[-1].split("\n", 1)[0]
    assert result.returncode == 0, (
        f"the block at {failed} failed (exit {result.returncode})\n"
        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )
    assert "Traceback" not in result.stderr
