"""Debian's Chromium driven by Playwright, for the browser tests of the UI.

A missing browser fails these tests (it does not skip them): ``scripts/test`` installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.server.support import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Debian's chromium is not installed at {CHROMIUM}: install it with "
            "`apt-get install chromium` (scripts/test does)"
        )


def launch(playwright: Any) -> Any:
    require_chromium()
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000
    )


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/ui-<name>.png`` for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"ui-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path
