"""Mustache rendering time on the issue's adversarial templates (issue 12, defect 3).

    .venv/bin/python bench/mustache_cost.py [--cases NAME ...]

Each case renders once in a fresh subprocess (so one that runs out of memory cannot take the
others down) with a wall-clock limit; prints seconds, the peak memory of the process and what
rendering returned (its length, or the start of the error text). ``bench/main.py`` runs it
as part of ``bench/run`` and keeps the figures in the results.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

#: name -> Python expression building the template
CASES: dict[str, str] = {
    '"{{#a}}x{{/a}}" x 25k': '"{{#a}}x{{/a}}" * 25_000',
    '"{{#a}}x{{/a}}" x 50k': '"{{#a}}x{{/a}}" * 50_000',
    '"{{#a}}x{{/a}}" x 100k': '"{{#a}}x{{/a}}" * 100_000',
    '"{{a}}" x 100k': '"{{a}}" * 100_000',
    "sections nested 10k deep": '"{{#a}}" * 10_000 + "x" + "{{/a}}" * 10_000',
    "sections nested 20k deep": '"{{#a}}" * 20_000 + "x" + "{{/a}}" * 20_000',
    "sections nested 40k deep": '"{{#a}}" * 40_000 + "x" + "{{/a}}" * 40_000',
}

_ONE = """
import json, resource, sys, time
from actions_core._js.mustache import render
template = eval(sys.argv[1])
began = time.perf_counter()
out = render(template, {"a": True})
seconds = time.perf_counter() - began
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
shown = out[:60] if out.startswith("error") else f"{len(out)} characters"
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "output": shown}))
"""


def run_case(expression: str, limit: float = 120.0) -> dict[str, object]:
    """One case in its own interpreter; a timeout or a crash is reported, not raised."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _ONE, expression],
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_mb": None, "output": f"over {limit:.0f} s"}
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"seconds": None, "peak_mb": None, "output": f"failed: {reason[:80]}"}
    return json.loads(done.stdout)


def mustache_cost(names: list[str] | None = None, limit: float = 120.0) -> dict[str, dict]:
    return {name: run_case(CASES[name], limit) for name in names or list(CASES)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", nargs="*", choices=list(CASES), help="default: all")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per case")
    args = parser.parse_args()
    for name, figures in mustache_cost(args.cases, args.limit).items():
        seconds = figures["seconds"]
        took = "-" if seconds is None else f"{seconds:.3f} s"
        peak = "-" if figures["peak_mb"] is None else f"{figures['peak_mb']:.0f} MB"
        print(f"{name:28} {took:>10} {peak:>8}  {figures['output']}", flush=True)


if __name__ == "__main__":
    main()
