"""The gateway section of docs/benchmarks.md (tables, targets, chart) from bench/gateway.py."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

START = "<!-- gateway:start -->"
END = "<!-- gateway:end -->"
NAMES = {
    "direct": "direct to upstream",
    "floor": "floor relay",
    "actions": "`actions serve` `_execute` stream",
    "litellm": "LiteLLM proxy",
}
NOTES = Path(__file__).with_name("gateway-notes.md")


def _level(entries: dict[Any, Any], n: int) -> dict[str, Any] | None:
    return entries.get(n) or entries.get(str(n))


def _s(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.2f} s"


def _cpu(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def _verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def targets(results: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    streams = results["streams"]
    top = max(results["levels"])
    floor = _level(streams.get("floor", {}), top)
    mine = _level(streams.get("actions", {}), top)
    if floor and mine:
        wall = mine["wall"] / floor["wall"]
        p99 = mine["ttfb_p99"] / floor["ttfb_p99"]
        rows.append(
            [
                f"{top:,} streams: wall ≤ 1.2× the floor relay's",
                f"{wall:.2f}×",
                _verdict(wall <= 1.2),
            ]
        )
        rows.append(
            [f"{top:,} streams: TTFB p99 ≤ 1.2× the floor's", f"{p99:.2f}×", _verdict(p99 <= 1.2)]
        )
        rows.append(
            [
                f"{top:,} streams: 0 errors",
                f"{mine['errors']} errors",
                _verdict(mine["errors"] == 0),
            ]
        )
        events = mine.get("usage_events", 0)
        rows.append(
            [f"{top:,} `execute` events with usage", f"{events:,}", _verdict(events >= top)]
        )
        rows.append(
            [
                "memory per open stream reported",
                f"{mine['rss_per_stream_kb']:.1f} KB (floor {floor['rss_per_stream_kb']:.1f} KB)",
                "reported",
            ]
        )
    rate = _primary_throughput(results) or results.get("rate", {})
    one = rate.get("actions serve --workers 1")
    two = rate.get("actions serve --workers 2")
    floor_rate = rate.get("floor relay")
    if one and two:
        ratio = two["rps"] / one["rps"]
        rows.append(
            [
                "non-streamed: `--workers 2` ≥ 1.7× one worker",
                f"{ratio:.2f}×",
                _verdict(ratio >= 1.7),
            ]
        )
    if two and floor_rate:
        per = two["rps"] / 2 / floor_rate["rps"]
        rows.append(
            ["non-streamed: per process ≥ the floor relay", f"{per:.2f}×", _verdict(per >= 1.0)]
        )
    return rows


def _table(head: list[str], rows: list[list[str]], align: str) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def streams_table(results: dict[str, Any]) -> str:
    rows = []
    for system, entries in results["streams"].items():
        for n in results["levels"]:
            entry = _level(entries, n)
            if entry is None:
                continue
            events = entry.get("usage_events")
            rows.append(
                [
                    NAMES.get(system, system),
                    f"{n:,}",
                    _s(entry["wall"]),
                    _s(entry["ttfb_p50"]),
                    _s(entry["ttfb_p99"]),
                    str(entry["errors"]),
                    "—" if events is None else f"{events:,}",
                    f"{entry['rss_per_stream_kb']:.1f} KB" if system != "direct" else "—",
                    _cpu(entry.get("server_cpu_ms_per_stream")),
                ]
            )
    head = [
        "system",
        "streams",
        "wall",
        "TTFB p50",
        "TTFB p99",
        "errors",
        "events with usage",
        "RSS per open stream",
        "server CPU per stream",
    ]
    return _table(head, rows, "---:")


def ratio_table(results: dict[str, Any]) -> str:
    rows = []
    floor = results["streams"].get("floor", {})
    for system in ("actions", "litellm"):
        entries = results["streams"].get(system, {})
        for n in results["levels"]:
            mine, base = _level(entries, n), _level(floor, n)
            if not mine or not base:
                continue
            rows.append(
                [
                    NAMES[system],
                    f"{n:,}",
                    f"{mine['wall'] / base['wall']:.2f}×",
                    f"{mine['ttfb_p50'] / base['ttfb_p50']:.2f}×",
                    f"{mine['ttfb_p99'] / base['ttfb_p99']:.2f}×",
                ]
            )
    return _table(["system", "streams", "wall", "TTFB p50", "TTFB p99"], rows, "---:")


#: How each load generator of the throughput runs is described in the table.
CLIENTS = {
    "wrk": "wrk (HTTP/1.1 keep-alive), canned nginx",
    "ab": "ab (a new connection per request), canned nginx",
}


def _throughput_by_client(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{load generator: {system: entry}}``; results of old runs had ab's entries only."""
    found = results.get("throughput") or {}
    if found and all(key in CLIENTS for key in found):
        return found
    return {"ab": found} if found else {}


def _primary_throughput(results: dict[str, Any]) -> dict[str, Any]:
    """The runs the targets are judged on: wrk's when there are any."""
    by_client = _throughput_by_client(results)
    return by_client.get("wrk") or by_client.get("ab") or {}


def _per_request(ms: float | None) -> str:
    return "—" if ms is None else f"{ms:.2f} ms"


def rate_table(results: dict[str, Any]) -> str:
    rows = []
    for client, systems in _throughput_by_client(results).items():
        for name, entry in systems.items():
            failed = (entry.get("failed") or 0) + (entry.get("non_2xx") or 0)
            cpu = entry.get("server_cpu_s")
            rounds = entry.get("rounds") or []
            rows.append(
                [
                    name,
                    CLIENTS.get(client, client),
                    f"{entry['rps']:.0f} req/s"
                    + (f" ({', '.join(f'{r:.0f}' for r in rounds)})" if len(rounds) > 1 else ""),
                    str(failed),
                    "—" if cpu is None else f"{cpu:.1f} s",
                    _per_request(entry.get("cpu_ms_per_request")),
                ]
            )
    for name, entry in results.get("rate", {}).items():
        rows.append(
            [
                name,
                "aiohttp, asyncio upstream",
                f"{entry['rps']:.0f} req/s",
                str(entry["errors"]),
                "—",
                "—",
            ]
        )
    head = [
        "system (20 clients, non-streamed)",
        "client, upstream",
        "throughput (median; rounds)",
        "errors",
        "server CPU",
        "server CPU per request",
    ]
    return _table(head, rows, "---:")


def chart(results: dict[str, Any], image: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for system, entries in results["streams"].items():
        levels = [n for n in results["levels"] if _level(entries, n)]
        walls = [_level(entries, n)["wall"] for n in levels]
        p50 = [_level(entries, n)["ttfb_p50"] for n in levels]
        p99 = [_level(entries, n)["ttfb_p99"] for n in levels]
        label = NAMES.get(system, system).replace("`", "")
        left.plot(levels, walls, marker="o", label=label)
        line = right.plot(levels, p50, marker="o", label=f"{label} p50")[0]
        right.plot(
            levels, p99, marker="x", linestyle="--", color=line.get_color(), label=f"{label} p99"
        )
    left.set(title="Wall time for all streams", xlabel="concurrent streams", ylabel="seconds")
    right.set(title="Time to first byte", xlabel="concurrent streams", ylabel="seconds")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.set_xticks(results["levels"])
    left.legend(fontsize=8)
    right.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    image.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(image, dpi=110)


def section(results: dict[str, Any], image: Path, page: Path) -> str:
    notes = NOTES.read_text() if NOTES.exists() else ""
    rel = Path("img") / image.name
    return (
        "\n\n".join(
            [
                START,
                "## 4. The service at gateway scale (concurrent streams)",
                "Generated by `bench/run --gateway` (bench/gateway.py); edit "
                f"bench/gateway-notes.md instead. Run on {results['when']}, "
                f"{results['machine']}. One run per level: numbers on this shared 2-core "
                "machine are noisy.",
                f"![gateway]({rel.as_posix()})",
                "### Targets",
                _table(["target", "measured", "verdict"], targets(results), "---:"),
                "### Streams: 40 SSE chunks 50 ms apart per stream, all started at once",
                streams_table(results),
                "Against the floor relay:",
                ratio_table(results),
                "### Non-streamed throughput",
                rate_table(results),
                notes.strip(),
                END,
            ]
        )
        + "\n"
    )


def write(results: dict[str, Any], page: Path, image: Path) -> None:
    chart(results, image)
    text = page.read_text() if page.exists() else "# Benchmarks\n"
    block = section(results, image, page)
    if START in text and END in text:
        before = text[: text.index(START)]
        after = text[text.index(END) + len(END) :].lstrip("\n")
        text = before + block + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    page.write_text(text)
