"""Turning measurements into Markdown tables, the chart and docs/benchmarks.md.

Pure functions over plain numbers (the smoke test renders a table from given values); only
:func:`chart` imports matplotlib.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def us(seconds: float) -> str:
    """Microseconds, or milliseconds from 10 ms on."""
    if seconds != seconds:  # NaN
        return "–"
    if seconds >= 0.01:
        return f"{seconds * 1000:,.1f} ms"
    return f"{seconds * 1e6:,.0f} µs"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub Markdown table; the first column is left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(headers) - 1)) + "|")
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def latency_table(
    samples: Mapping[str, Sequence[float]], ratios: Mapping[str, float], floor: str
) -> str:
    """Median, p95, sample count and the median-of-rounds ratio against ``floor``."""
    rows = []
    for name, values in samples.items():
        ratio = ratios.get(name, float("nan"))
        rows.append(
            [
                name,
                us(median(values)),
                us(p95(values)),
                len(values),
                "1.00× (floor)" if name == floor else f"{ratio:.2f}×",
            ]
        )
    return table(["case", "median", "p95", "calls", f"vs {floor}"], rows)


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def chart(path: str, panels: Sequence[tuple[str, Mapping[str, float], str]]) -> None:
    """One horizontal bar panel per ``(title, {label: value}, unit)``, written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 3.2 * len(panels)))
    for ax, (title, values, unit) in zip(axes, panels, strict=True):
        labels = list(values)
        ax.barh(labels, [values[k] for k in labels], color="#3b7dd8")
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(unit)
        ax.set_xscale("log")
        for index, label in enumerate(labels):
            ax.text(values[label], index, f" {values[label]:,.0f}", va="center", fontsize=8)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
