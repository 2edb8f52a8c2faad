"""Server-rendered SVG charts: stacked columns over time and stacked rows per category.

No JavaScript: every bar is a ``<rect>`` with its value in ``data-value`` and a ``<title>``
tooltip, so the page reads the same in any browser, a screen reader or a test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Series", "stacked_columns", "stacked_rows"]


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


def _fmt(value: int) -> str:
    return f"{value:,}"


def _text_width(text: str, size: int = 12) -> float:
    """A generous estimate of a tick label's width in SVG units."""
    return len(text) * size * 0.62


def _nice_step(value: float) -> int:
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * exponent >= value:
            return max(1, int(factor * exponent))
    return max(1, int(10 * exponent))  # pragma: no cover - the loop always returns


def _scale(maximum: int, ticks: int = 5) -> tuple[int, int]:
    step = _nice_step(maximum / ticks if maximum else 1)
    top = max(step, math.ceil(maximum / step) * step)
    return top, step


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for s in series:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{s.color}"/>'
            f'<text x="{x + 17:.1f}" y="{y:.1f}" class="legend">{escape(s.label)}</text>'
        )
        x += 30 + 8 * len(s.label)
    return parts


def _bar(x: float, y: float, w: float, h: float, s: Series, category: str, value: int) -> str:
    """One segment of a stacked bar, with its value as data and as a tooltip."""
    return (
        f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'fill="{s.color}" data-series="{escape(s.key)}" '
        f'data-category="{escape(category)}" data-value="{value}">'
        f"<title>{escape(category)}: {escape(s.label)} {_fmt(value)}</title></rect>"
    )


def _open(chart_id: str, title: str, width: int, height: int) -> list[str]:
    return [
        f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]


def stacked_columns(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Mapping[str, Sequence[int]],
    *,
    width: int = 960,
    height: int = 340,
) -> str:
    """One column per category (e.g. per interval), the series stacked bottom to top."""
    left, right, top, bottom = 70, 16, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[s.key][i] for s in series) for i in range(len(categories))]
    y_max, step = _scale(max(totals, default=0))
    parts = _open(chart_id, title, width, height)
    parts += _legend(series, left, 18)
    for tick in range(0, y_max + 1, step):
        y = top + plot_h - plot_h * tick / y_max
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{_fmt(tick)}</text>"
        )
    count = max(1, len(categories))
    slot = plot_w / count
    bar_w = max(1.0, slot * 0.72)
    label_every = max(1, math.ceil(count / 12))
    for i, category in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for s in series:
            value = values[s.key][i]
            if value <= 0:
                continue
            h = plot_h * value / y_max
            y -= h
            parts.append(_bar(x, y, bar_w, h, s, category, value))
        if i % label_every == 0:
            cx = left + slot * i + slot / 2
            anchor = "middle"
            if cx + _text_width(category) / 2 > width - 2:  # keep the last label inside
                cx, anchor = width - 2, "end"
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 18}" class="tick" '
                f'text-anchor="{anchor}">{escape(category)}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'class="axis"/>'
    )
    if not any(totals):
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" class="empty" '
            'text-anchor="middle">No token usage in this range</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_rows(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Mapping[str, Sequence[int]],
    *,
    width: int = 960,
) -> str:
    """One horizontal bar per category (e.g. per API key), the series stacked left to right."""
    row_h, left, right, top = 30, 220, 90, 34
    height = top + row_h * max(1, len(categories)) + 12
    plot_w = width - left - right
    totals = [sum(values[s.key][i] for s in series) for i in range(len(categories))]
    x_max, _ = _scale(max(totals, default=0))
    parts = _open(chart_id, title, width, height)
    parts += _legend(series, left, 18)
    for i, category in enumerate(categories):
        y = top + row_h * i + 4
        label = category if len(category) <= 30 else category[:29] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" class="tick" text-anchor="end">'
            f"<title>{escape(category)}</title>{escape(label)}</text>"
        )
        x = float(left)
        for s in series:
            value = values[s.key][i]
            if value <= 0:
                continue
            w = plot_w * value / x_max
            parts.append(_bar(x, y, w, row_h - 10, s, category, value))
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" class="tick">{_fmt(totals[i])}</text>')
    if not categories:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + 18}" class="empty" '
            'text-anchor="middle">No token usage in this range</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
