"""Smoke test of the benchmark's report module (no timing asserts: it renders given numbers)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "bench" / "report.py"


def _report():
    spec = importlib.util.spec_from_file_location("bench_report", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_latency_table_renders_medians_p95_and_ratios():
    report = _report()
    text = report.latency_table(
        {"floor": [0.001, 0.002, 0.003], "case": [0.0011, 0.0021, 0.05]},
        {"floor": 1.0, "case": 1.05},
        "floor",
    )
    lines = text.splitlines()
    assert lines[0] == "| case | median | p95 | calls | vs floor |"
    assert lines[2] == "| floor | 2,000 µs | 3,000 µs | 3 | 1.00× (floor) |"
    assert lines[3] == "| case | 2,100 µs | 50.0 ms | 3 | 1.05× |"
    assert report.verdict(True) == "**met**"
