"""The benchmark: framework overhead, streaming, the HTTP service, scaling, start-up, profile.

Run through ``bench/run`` (it prepares bench/.venv and nginx). Cases are interleaved
round-robin within each round, so drift on a shared machine hits every case alike; results are
medians and p95 over all calls, and ratios are medians over rounds of the per-round ratio.
Writes docs/benchmarks.md and docs/img/benchmarks.png.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import importlib.metadata
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network for litellm
os.environ.setdefault("LITELLM_TELEMETRY", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

import cases
import report
import requests
from endpoint import has_slow_path, nginx_endpoint

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-" + "k" * 40
FLOOR = "requests.Session().post + .json()"
STREAM_FLOOR = "requests iter_lines"


def config(base: str) -> dict[str, Any]:
    return {"actions": {"encryptionKey": KEY, "allowedHosts": ["127.0.0.1"]}}


def interleave(
    calls: dict[str, Callable[[], Any]], rounds: int, budget: float, warmup: int = 20
) -> tuple[dict[str, list[Any]], dict[str, list[list[Any]]]]:
    """Run every case for about ``budget`` seconds per round, round-robin; every call timed."""
    for call in calls.values():
        for _ in range(warmup):
            call()
    per_round: dict[str, list[list[Any]]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            values = []
            until = time.perf_counter() + budget
            while len(values) < 5 or (time.perf_counter() < until and len(values) < 2000):
                started = time.perf_counter()
                outcome = call()
                elapsed = time.perf_counter() - started
                values.append(outcome if outcome is not None else elapsed)
            per_round[name].append(values)
    flat = {name: [v for values in rounds_ for v in values] for name, rounds_ in per_round.items()}
    return flat, per_round


def round_ratios(
    per_round: dict[str, list[list[float]]], floor: str, key: Callable[[Any], float] = float
) -> dict[str, float]:
    """Median over rounds of (case median / floor median) in the same round."""
    ratios = {}
    for name, rounds_ in per_round.items():
        values = [
            report.median([key(v) for v in mine]) / report.median([key(v) for v in base])
            for mine, base in zip(rounds_, per_round[floor], strict=True)
        ]
        ratios[name] = report.median(values)
    return ratios


@contextlib.contextmanager
def http_service(data_dir: str, conf: dict[str, Any]) -> Iterator[str | None]:
    """uvicorn in its own process on the same data dir; None when the HTTP API is missing."""
    try:
        import actions_core.server.app  # noqa: F401
    except ImportError:
        yield None
        return
    from endpoint import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "service.py"), data_dir, str(port), json.dumps(conf)],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/api/status", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the HTTP service did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def scaling(call_factory: Callable[[], Callable[[], Any]], threads: int, seconds: float) -> dict:
    """``threads`` threads calling for ``seconds``: throughput, p95 latency, errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def worker() -> None:
        call = call_factory()
        mine, failed = [], 0
        start.wait()
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            try:
                call()
            except Exception:
                failed += 1
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "throughput": len(latencies) / elapsed,
        "p95": report.p95(latencies),
        "errors": errors[0],
    }


STARTUP_CODE = """
import time
t0 = time.perf_counter()
import actions_core
t1 = time.perf_counter()
from actions_core._plugins.manager import load_plugins
from actions_core._plugins.registry import ActionTypeRegistry
registry = ActionTypeRegistry(["*"])
load_plugins().register_action_types(registry.register)
t2 = time.perf_counter()
print(t1 - t0, t2 - t0, len(registry.list()))
"""


def startup(runs: int) -> dict[str, list[float]]:
    imports, totals, wall = [], [], []
    env = {k: v for k, v in os.environ.items() if k != "ACTIONS_PLUGINS"}
    for _ in range(runs):
        began = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_CODE],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
        wall.append(time.perf_counter() - began)
        imports.append(float(out[0]))
        totals.append(float(out[1]))
    return {"import": imports, "import+discovery": totals, "interpreter wall": wall}


def event_log_cost(count: int) -> dict[str, float]:
    """record() on the caller's thread, the background insert per record, and an execution's
    pair as the executor writes it (``execute-start`` queued, ``execute`` durable: journaled
    with it before the caller goes on)."""
    from actions_core import Actions

    with tempfile.TemporaryDirectory() as tmp:
        actions = Actions(data_dir=tmp, config={"actions": {"encryptionKey": KEY}})
        events = actions.events
        fields = {
            "action": "execute",
            "execution_id": "00000000-0000-0000-0000-000000000000",
            "connector_id": "bench",
            "connector_name": "bench",
            "action_type_id": ".gen-ai",
            "space_id": "default",
            "is_preconfigured": False,
            "source": "python",
            "outcome": "success",
            "duration_ms": 1.0,
            "message": "action executed: .gen-ai:bench: bench",
            "total_tokens": 57,
        }
        events.record(**fields)
        events.flush()
        rows = []
        for _ in range(500):
            row = dict.fromkeys(_event_columns())
            row.update(fields, timestamp_ms=int(time.time() * 1000))
            rows.append(row)
        record, insert, durable = [], [], []
        for _ in range(5):
            began = time.perf_counter()
            for _ in range(count):
                events.record(**fields)
            record.append((time.perf_counter() - began) / count)
            events.flush()
            # an execution's pair: execute-start queued, execute durable (waits for its commit)
            began = time.perf_counter()
            for _ in range(count // 4):
                events.record(**fields)
                events.record(durable=True, **fields)
            durable.append((time.perf_counter() - began) / (count // 4))
            began = time.perf_counter()
            _insert_batch(actions, rows)
            insert.append((time.perf_counter() - began) / len(rows))
        actions.close()
    return {
        "record": report.median(record),
        "insert": report.median(insert),
        "durable pair": report.median(durable),
    }


def _event_columns() -> list[str]:
    from actions_core._store.tables import events as table

    return [c.name for c in table.columns if c.name != "id"]


def _insert_batch(actions: Any, rows: list[dict[str, Any]]) -> None:
    """One batch through the event log's own insert path (without touching its counters)."""
    write = getattr(actions.events, "_write_batch", None)
    if write is not None:
        write(rows)
        return
    from actions_core._store.tables import events as table

    with actions.engine.begin() as conn:
        conn.execute(table.insert(), rows)


PROFILE_POINTS = [
    ("Executor.execute (total, profiled)", "executor.py", "execute"),
    ("connector lookup (resolve)", "connectors.py", "resolve"),
    ("  of which: secrets decryption", "secrets.py", "decrypt"),
    ("params + config/secrets validation", "executor.py", "_validate"),
    ("JSON Schema validation (all schemas)", "validation.py", "validate"),
    ("sanitising the body", "sanitize.py", "sanitize_request"),
    ("transport (Upstream.post)", "transport.py", "post"),
    ("  of which: PolicySession.send", "http.py", "send"),
    ("response parse + validation", "connector.py", "_completion"),
    ("  of which: check_run_response", "responses.py", "check_run_response"),
    ("usage recording", "connector.py", "_record_completion_usage"),
    ("event log record() ×2", "events.py", "record"),
    ("dataclass __init__s (context, results)", "<string>", "__init__"),
]


def profile_run(call: Callable[[], Any], count: int) -> list[tuple[str, float, float]]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for label, filename, function in PROFILE_POINTS:
        total = 0.0
        for (file, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
            if name == function and file.endswith(filename):
                total += cumulative
        found[label] = total / count
    whole = found[PROFILE_POINTS[0][0]] or 1.0
    return [(label, found[label], found[label] / whole) for label, *_ in PROFILE_POINTS]


def versions() -> dict[str, str]:
    names = ["actions-core", "requests", "urllib3", "SQLAlchemy", "jsonschema", "pydantic"]
    names += ["cryptography", "fastapi", "uvicorn", "openai", "litellm", "httpx", "matplotlib"]
    found = {"python": platform.python_version()}
    for name in names:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    try:
        out = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
        found["nginx"] = out.split("/", 1)[-1]
    except OSError:
        pass
    return found


def machine() -> str:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout
        except OSError:
            return ""

    cpu = [
        line.strip()
        for line in sh("lscpu").splitlines()
        if line.split(":")[0].strip() in ("Model name", "CPU(s)", "Thread(s) per core", "CPU MHz")
    ]
    mem = next((line for line in sh("free", "-m").splitlines() if line.startswith("Mem:")), "")
    total = mem.split()[1] + " MiB" if mem else "?"
    return (
        "; ".join(cpu)
        + f"; nproc: {sh('nproc').strip()}; memory: {total}; "
        + (f"{platform.system()} {platform.release()}")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per case per round")
    parser.add_argument("--scale-seconds", type=float, default=1.5)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--quick", action="store_true", help="a short run, to try things out")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.budget, args.scale_seconds = 3, 0.1, 0.5
    os.environ.pop("ACTIONS_PLUGINS", None)
    from actions_core import Actions

    results: dict[str, Any] = {"rounds": args.rounds, "budget": args.budget}
    with nginx_endpoint() as base, tempfile.TemporaryDirectory() as data_dir:
        conf = config(base)
        actions = Actions(data_dir=data_dir, config=conf)
        create = actions.connectors.create
        url = f"{base}/v1/chat/completions"
        stream_url = f"{base}/stream/v1/chat/completions"
        model = {"defaultModel": cases.MODEL}
        secrets = {"apiKey": "sk-bench"}
        other = create(
            connector_type_id=".gen-ai",
            name="bench",
            id="bench",
            config={"apiProvider": "Other", "apiUrl": url, **model},
            secrets=secrets,
        )
        azure = create(
            connector_type_id=".gen-ai",
            name="bench-azure",
            id="bench-azure",
            config={
                "apiProvider": "Azure OpenAI",
                "apiUrl": f"{base}/openai/deployments/gpt-4o/chat/completions"
                "?api-version=2024-10-21",
            },
            secrets=secrets,
        )
        streamer = create(
            connector_type_id=".gen-ai",
            name="bench-stream",
            id="bench-stream",
            config={"apiProvider": "Other", "apiUrl": stream_url, **model},
            secrets=secrets,
        )

        print("1/6 non-streamed calls", flush=True)
        calls = {
            "raw socket": cases.raw_socket(base, "/v1/chat/completions"),
            FLOOR: cases.bare_requests(url),
            "run (Actions.execute)": cases.execute(actions, other.id, cases.run_params()),
            "invokeAI (Actions.execute)": cases.execute(actions, other.id, cases.invoke_params()),
            "run, Azure path (Actions.execute)": cases.execute(
                actions, azure.id, cases.run_params()
            ),
            "openai SDK": cases.openai_sdk(f"{base}/v1"),
            "litellm.completion": cases.litellm_completion(f"{base}/v1"),
        }
        flat, per_round = interleave(calls, args.rounds, args.budget)
        results["plain"] = {"samples": flat, "ratios": round_ratios(per_round, FLOOR)}

        print("2/6 streaming", flush=True)
        calls = {
            STREAM_FLOOR: cases.stream_requests(stream_url),
            "stream pass-through": cases.stream_execute(
                actions, streamer.id, cases.stream_params()
            ),
            "invokeStream pass-through": cases.stream_execute(
                actions, streamer.id, cases.invoke_params("invokeStream")
            ),
            "invokeAsyncIterator (parsed)": cases.stream_execute(
                actions, streamer.id, cases.invoke_params("invokeAsyncIterator")
            ),
            "openai SDK stream": cases.stream_openai_sdk(f"{base}/stream/v1"),
            "litellm stream": cases.stream_litellm(f"{base}/stream/v1"),
        }
        flat, per_round = interleave(calls, args.rounds, args.budget * 1.5, warmup=5)
        results["stream"] = {
            "first": {k: [v[0] for v in values] for k, values in flat.items()},
            "total": {k: [v[1] for v in values] for k, values in flat.items()},
            "first_ratios": round_ratios(per_round, STREAM_FLOOR, key=lambda v: v[0]),
            "total_ratios": round_ratios(per_round, STREAM_FLOOR, key=lambda v: v[1]),
        }

        print("3/6 HTTP service", flush=True)
        from actions_core.server.apikeys import ApiKeyStore

        api_key = ApiKeyStore(actions.engine).create("bench", "all").encoded
        with http_service(data_dir, conf) as service:
            if service is None:
                results["service"] = None
            else:
                calls = {
                    FLOOR: cases.bare_requests(url),
                    "run (Actions.execute)": cases.execute(actions, other.id, cases.run_params()),
                    "run via POST …/_execute (uvicorn)": cases.http_service(
                        service, other.id, api_key
                    ),
                }
                flat, per_round = interleave(calls, max(3, args.rounds // 2), args.budget)
                results["service"] = {"samples": flat, "ratios": round_ratios(per_round, FLOOR)}

        print("4/6 scaling", flush=True)
        results["scaling"] = {}
        targets = [("fast", url)]
        if has_slow_path():
            targets.append(("5 ms", f"{base}/slow/v1/chat/completions"))
        slow = None
        if len(targets) > 1:
            slow = create(
                connector_type_id=".gen-ai",
                name="bench-slow",
                id="bench-slow",
                config={"apiProvider": "Other", "apiUrl": targets[1][1], **model},
                secrets=secrets,
            )
        for label, target in targets:
            connector_id = other.id if label == "fast" else slow.id  # type: ignore[union-attr]
            for threads in (1, 2, 4, 8, 16):
                for client, factory in (
                    ("requests", lambda t=target: cases.bare_requests(t)),
                    (
                        "run",
                        lambda c=connector_id: cases.execute(actions, c, cases.run_params()),
                    ),
                ):
                    key = f"{client} · {label}"
                    entry = scaling(factory, threads, args.scale_seconds)
                    results["scaling"].setdefault(key, {})[threads] = entry

        print("5/6 event log, start-up, mustache", flush=True)
        results["event_log"] = event_log_cost(2000)
        results["startup"] = startup(9 if not args.quick else 3)

        from mustache_cost import mustache_cost

        results["mustache"] = mustache_cost(limit=60.0)

        print("6/6 profile", flush=True)
        results["profile"] = profile_run(
            cases.execute(actions, other.id, cases.run_params()), 300 if args.quick else 2000
        )
        actions.close()

    results["versions"] = versions()
    results["machine"] = machine()
    results["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    (ROOT / "bench" / "last-results.json").write_text(json.dumps(results, default=str))
    from document import write

    write(results, Path(args.output), ROOT / "docs" / "img" / "benchmarks.png")
    print(f"wrote {args.output}", flush=True)


if __name__ == "__main__":
    main()
