"""The gateway benchmark (issue 15): many concurrent SSE streams through four systems.

Every system relays the same upstream, an asyncio server on 127.0.0.1 that answers a streamed
chat completion with 40 SSE chunks 50 ms apart (about 6.5 KB, the last chunk with usage) and a
non-streamed one at once:

* **direct**: the client talks to the upstream itself;
* **floor relay**: a minimal Starlette + httpx pass-through (no auth, validation or logging),
  the floor of a Python gateway;
* **actions serve**: ``POST /api/actions/connector/{id}/_execute`` with a ``.gen-ai`` connector
  (``stream`` sub-action, API key auth, audit and event logs), run by ``serve()`` as
  ``actions serve`` does (uvicorn's access log off, as for the floor);
* **LiteLLM proxy**: ``litellm --config`` with a master key and
  ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (nothing reaches beyond loopback).

Clients are aiohttp, one connection per stream, all started at once. Reported per level: wall
time, TTFB p50/p99, errors, ``execute`` events with usage (actions serve), and the server's RSS
per open stream. Then non-streamed ``_execute`` throughput with ``--workers 1`` and ``2``.

``bench/run --gateway`` runs it (in bench/.venv); it rewrites the gateway section of
docs/benchmarks.md and docs/img/gateway.png. Every process listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHUNKS = 40
INTERVAL = 0.05
LEVELS = (100, 250, 500, 1000)
LITELLM_MAX = 500  # LiteLLM at 1,000 streams takes minutes (issue 15: 40 s at 500)
MASTER_KEY = "sk-bench-master-key"
MODEL = "gpt-4o"
SECTION_START = "<!-- gateway:start -->"
SECTION_END = "<!-- gateway:end -->"


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the upstream -------------------------------------------------------------------------


def _chunk(n: int, last: bool) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": f"token{n:02d} "}, "finish_reason": None}],
    }
    if last:
        body["choices"][0]["finish_reason"] = "stop"
        body["usage"] = {"prompt_tokens": 12, "completion_tokens": CHUNKS, "total_tokens": 52}
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello there."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }
).encode()


async def _upstream_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            if b'"stream":true' in body.replace(b" ", b""):
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                for n in range(CHUNKS):
                    data = _chunk(n, n == CHUNKS - 1)
                    if n == CHUNKS - 1:
                        data += b"data: [DONE]\n\n"
                    writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                    await writer.drain()
                    if n < CHUNKS - 1:
                        await asyncio.sleep(INTERVAL)
                writer.write(b"0\r\n\r\n")
            else:
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(COMPLETION), COMPLETION)
                )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


def run_upstream(port: int) -> None:
    _raise_fd_limit()

    async def main() -> None:
        server = await asyncio.start_server(_upstream_conn, "127.0.0.1", port, backlog=4096)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the floor relay ----------------------------------------------------------------------


def run_floor(port: int, upstream: str) -> None:
    """A minimal Starlette + httpx pass-through: the same POST, relayed unread."""
    _raise_fd_limit()
    import httpx
    import uvicorn
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    client = httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=None, max_keepalive_connections=256)
    )

    async def relay(request: Request) -> StreamingResponse:
        body = await request.body()
        sent = client.build_request(
            "POST", upstream, content=body, headers={"content-type": "application/json"}
        )
        response = await client.send(sent, stream=True)
        return StreamingResponse(
            response.aiter_raw(),
            status_code=response.status_code,
            media_type=response.headers.get("content-type"),
            background=BackgroundTask(response.aclose),
        )

    app = Starlette(routes=[Route("/relay", relay, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- actions serve ------------------------------------------------------------------------


def run_actions(data_dir: str, config: str, port: int, workers: int) -> None:
    """``serve()``, the code of ``actions serve``, over the benchmark's data dir."""
    _raise_fd_limit()
    from actions_core import Actions
    from actions_core.server.serve import serve

    actions = Actions(data_dir=data_dir, config=json.loads(config))
    profile = os.environ.get("BENCH_PROFILE") if workers == 1 else None  # the loop thread
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        serve(
            actions,
            host="127.0.0.1",
            port=port,
            workers=workers,
            echo=lambda line: print(line, flush=True),
            log_level="warning",
            access_log=False,
        )
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        actions.close()


# --- the client ---------------------------------------------------------------------------


async def _streams(url: str, body: bytes, headers: dict[str, str], count: int) -> dict[str, Any]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=300)
    ttfb: list[float] = []
    ends: list[float] = []
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()

        async def one() -> None:
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    if response.status != 200:
                        errors.append(f"status {response.status}: {(await response.text())[:200]}")
                        return
                    first = None
                    received = b""
                    async for data in response.content.iter_any():
                        if first is None:
                            first = time.perf_counter() - start
                        received += data
                    if received.count(b"data: ") < CHUNKS or b"data: [DONE]" not in received:
                        errors.append(f"incomplete stream ({len(received)} bytes)")
                        return
                    ttfb.append(first or 0.0)
                    ends.append(time.perf_counter() - start)
            except Exception as err:  # counted, not raised: a load test reports its errors
                errors.append(f"{type(err).__name__}: {err}")

        await asyncio.gather(*(one() for _ in range(count)))
        wall = time.perf_counter() - start
    return {"count": count, "wall": wall, "ttfb": ttfb, "ends": ends, "errors": errors}


async def _rate(url: str, body: bytes, headers: dict[str, str], seconds: float, clients: int):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0)
    done = 0
    errors = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        if response.status == 200:
                            done += 1
                        else:
                            errors += 1
                except Exception:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return {"rps": done / elapsed, "done": done, "errors": errors}


def run_client(spec: str) -> None:
    _raise_fd_limit()
    job = json.loads(spec)
    body = job["body"].encode()
    if job["mode"] == "streams":
        result = asyncio.run(_streams(job["url"], body, job["headers"], job["count"]))
    else:
        result = asyncio.run(
            _rate(job["url"], body, job["headers"], job["seconds"], job["clients"])
        )
    print(json.dumps(result))


# --- the orchestra ------------------------------------------------------------------------


def _python() -> str:
    return sys.executable


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", DO_NOT_TRACK="1")
    env.pop("ACTIONS_PLUGINS", None)
    return env


@contextlib.contextmanager
def process(cmd: list[str], ready_url: str | None, port: int, log: Path) -> Iterator[int]:
    handle = log.open("wb")
    proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=_env())
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[:3]} exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{cmd[:3]} never listened: {log.read_text()[-2000:]}")
        time.sleep(0.5)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        handle.close()


def _tree(pid: int) -> list[int]:
    pids = [pid]
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            pids += _tree(int(child))
    return pids


def rss_kb(pid: int) -> int:
    total = 0
    for each in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (the workers)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for each in _tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


_IDLE: dict[int, int] = {}


def client(job: dict[str, Any], server_pid: int | None = None) -> dict[str, Any]:
    """Run one client process; sample the server's RSS (and its CPU) while it runs. "Idle" is
    the server's RSS before its first client (memory freed after a level is not always
    returned to the system, so a later level's own start would understate its streams)."""
    if server_pid and server_pid not in _IDLE:
        _IDLE[server_pid] = rss_kb(server_pid)
    idle = _IDLE.get(server_pid or 0, 0)
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    proc = subprocess.Popen(
        [_python(), __file__, "client", json.dumps(job)], stdout=subprocess.PIPE, env=_env()
    )
    peak = idle
    while proc.poll() is None:
        if server_pid:
            peak = max(peak, rss_kb(server_pid))
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else b""
    result = json.loads(out)
    result["rss_idle_kb"] = idle
    result["rss_peak_kb"] = peak
    result["server_cpu"] = (cpu_seconds(server_pid) - cpu_before) if server_pid else None
    return result


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    ttfb = sorted(result["ttfb"])

    def pct(p: float) -> float:
        if not ttfb:
            return float("nan")
        return ttfb[min(len(ttfb) - 1, round(p * (len(ttfb) - 1)))]

    return {
        "count": result["count"],
        "wall": result["wall"],
        "ttfb_p50": statistics.median(ttfb) if ttfb else float("nan"),
        "ttfb_p99": pct(0.99),
        "errors": len(result["errors"]),
        "error_sample": result["errors"][:3],
        "rss_per_stream_kb": (result["rss_peak_kb"] - result["rss_idle_kb"]) / result["count"],
        "server_cpu_ms_per_stream": (
            result["server_cpu"] * 1000 / result["count"] if result.get("server_cpu") else None
        ),
        "rss_idle_kb": result["rss_idle_kb"],
        "rss_peak_kb": result["rss_peak_kb"],
    }


def _usage_events(db: Path, since_ms: int) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        row = conn.execute(
            "select count(*) from events where action = 'execute' and timestamp_ms >= ? "
            "and total_tokens is not null",
            (since_ms,),
        ).fetchone()
    return int(row[0])


def _wait_events(db: Path, since_ms: int, expected: int) -> int:
    deadline = time.monotonic() + 20
    found = _usage_events(db, since_ms)
    while found < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        found = _usage_events(db, since_ms)
    return found


def prepare_actions(
    work: Path, upstream: str, name: str = "actions-data"
) -> tuple[str, dict[str, Any], str, str]:
    """A data dir under ``work`` with one ``.gen-ai`` connector to ``upstream`` and an API key:
    the data dir, the config, the connector's id and the encoded key."""
    from actions_core import Actions
    from actions_core.server.apikeys import ApiKeyStore

    config = {
        "actions": {
            "allowedHosts": ["*", "127.0.0.1"],
            "enabledActionTypes": ["*"],
            "server": {"maxPayload": "1mb"},
        }
    }
    data_dir = str(work / name)
    with Actions(data_dir=data_dir, config=config) as actions:
        connector = actions.connectors.create(
            connector_type_id=".gen-ai",
            name="bench",
            config={"apiProvider": "Other", "apiUrl": upstream, "defaultModel": MODEL},
            secrets={"apiKey": "sk-upstream"},
        )
        key = ApiKeyStore(actions.engine).create("bench", "all").encoded
    return data_dir, config, connector.id, key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--systems", default="direct,floor,actions,litellm,throughput")
    parser.add_argument("--rate-seconds", type=int, default=5)
    parser.add_argument(
        "--rate-rounds", type=int, default=5, help="interleaved rounds of the throughput runs"
    )
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--json", default=str(ROOT / "bench" / ".gateway-results.json"))
    parser.add_argument(
        "--merge", action="store_true", help="keep the other systems' results from --json"
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    systems = args.systems.split(",")
    _raise_fd_limit()
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    up_port, floor_port, act_port, lite_port = (free_port() for _ in range(4))
    upstream = f"http://127.0.0.1:{up_port}/v1/chat/completions"
    stream_body = json.dumps(
        {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    )
    plain_body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]})
    results: dict[str, Any] = {"levels": levels, "streams": {}, "rate": {}}
    if args.merge and Path(args.json).exists():
        kept = json.loads(Path(args.json).read_text())
        if "throughput" in kept:
            results["throughput"] = kept["throughput"]
        results["streams"] = {
            system: {int(n): entry for n, entry in entries.items()}
            for system, entries in kept["streams"].items()
        }
        results["rate"] = kept["rate"]
    data_dir, config, cid, key = prepare_actions(work, upstream)
    db = Path(data_dir) / "actions.sqlite3"
    act_url = f"http://127.0.0.1:{act_port}/api/actions/connector/{cid}/_execute"
    act_headers = {
        "Authorization": f"ApiKey {key}",
        "kbn-xsrf": "1",
        "content-type": "application/json",
    }

    def act_body(stream: bool) -> str:
        params = {"body": stream_body if stream else plain_body, "stream": stream}
        if not stream:
            return json.dumps(
                {"params": {"subAction": "run", "subActionParams": {"body": plain_body}}}
            )
        return json.dumps({"params": {"subAction": "stream", "subActionParams": params}})

    json_headers = {"content-type": "application/json"}
    with process([_python(), __file__, "upstream", str(up_port)], None, up_port, work / "up.log"):
        # ---- streams
        if "direct" in systems:
            results["streams"]["direct"] = {}
            for n in levels:
                job = {
                    "mode": "streams",
                    "url": upstream,
                    "body": stream_body,
                    "headers": json_headers,
                    "count": n,
                }
                results["streams"]["direct"][n] = summarise(client(job))
                print("direct", n, results["streams"]["direct"][n], flush=True)
        if "floor" in systems:
            cmd = [_python(), __file__, "floor", str(floor_port), upstream]
            with process(cmd, None, floor_port, work / "floor.log") as pid:
                results["streams"]["floor"] = {}
                for n in levels:
                    job = {
                        "mode": "streams",
                        "url": f"http://127.0.0.1:{floor_port}/relay",
                        "body": stream_body,
                        "headers": json_headers,
                        "count": n,
                    }
                    results["streams"]["floor"][n] = summarise(client(job, pid))
                    print("floor", n, results["streams"]["floor"][n], flush=True)
                job = {
                    "mode": "rate",
                    "url": f"http://127.0.0.1:{floor_port}/relay",
                    "body": plain_body,
                    "headers": json_headers,
                    "seconds": args.rate_seconds,
                    "clients": 20,
                }
                results["rate"]["floor relay"] = client(job)
                print("floor rate", results["rate"]["floor relay"], flush=True)
        if "actions" in systems:
            cmd = [_python(), __file__, "actions", data_dir, json.dumps(config), str(act_port), "1"]
            with process(cmd, None, act_port, work / "actions.log") as pid:
                results["streams"]["actions"] = {}
                for n in levels:
                    since = int(time.time() * 1000)
                    job = {
                        "mode": "streams",
                        "url": act_url,
                        "body": act_body(True),
                        "headers": act_headers,
                        "count": n,
                    }
                    entry = summarise(client(job, pid))
                    entry["usage_events"] = _wait_events(db, since, n)
                    results["streams"]["actions"][n] = entry
                    print("actions", n, entry, flush=True)
                job = {
                    "mode": "rate",
                    "url": act_url,
                    "body": act_body(False),
                    "headers": act_headers,
                    "seconds": args.rate_seconds,
                    "clients": 20,
                }
                results["rate"]["actions serve --workers 1"] = client(job)
                print("actions rate 1", results["rate"]["actions serve --workers 1"], flush=True)
            cmd = [_python(), __file__, "actions", data_dir, json.dumps(config), str(act_port), "2"]
            with process(cmd, None, act_port, work / "actions2.log"):
                results["rate"]["actions serve --workers 2"] = client(job)
                print("actions rate 2", results["rate"]["actions serve --workers 2"], flush=True)
        if "litellm" in systems:
            lite_config = work / "litellm.yaml"
            lite_config.write_text(
                "model_list:\n"
                f"  - model_name: {MODEL}\n"
                "    litellm_params:\n"
                f"      model: openai/{MODEL}\n"
                f"      api_base: http://127.0.0.1:{up_port}/v1\n"
                "      api_key: sk-upstream\n"
                "general_settings:\n"
                f"  master_key: {MASTER_KEY}\n"
                "litellm_settings:\n"
                "  telemetry: false\n"
            )
            litellm = str(Path(_python()).with_name("litellm"))
            cmd = [
                litellm,
                "--config",
                str(lite_config),
                "--host",
                "127.0.0.1",
                "--port",
                str(lite_port),
                "--num_workers",
                "1",
            ]
            lite_headers = {
                "Authorization": f"Bearer {MASTER_KEY}",
                "content-type": "application/json",
            }
            lite_url = f"http://127.0.0.1:{lite_port}/v1/chat/completions"
            with process(cmd, None, lite_port, work / "litellm.log") as pid:
                results["streams"]["litellm"] = {}
                for n in [n for n in levels if n <= LITELLM_MAX]:
                    job = {
                        "mode": "streams",
                        "url": lite_url,
                        "body": stream_body,
                        "headers": lite_headers,
                        "count": n,
                    }
                    results["streams"]["litellm"][n] = summarise(client(job, pid))
                    print("litellm", n, results["streams"]["litellm"][n], flush=True)
                job = {
                    "mode": "rate",
                    "url": lite_url,
                    "body": plain_body,
                    "headers": lite_headers,
                    "seconds": args.rate_seconds,
                    "clients": 20,
                }
                results["rate"]["LiteLLM proxy"] = client(job)
                print("litellm rate", results["rate"]["LiteLLM proxy"], flush=True)
    if "throughput" in systems:
        results["throughput"] = throughput(work, args.rate_seconds, rounds=args.rate_rounds)
    results["machine"] = _machine()
    results["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    Path(args.json).write_text(json.dumps(results, indent=1))
    import gateway_report

    gateway_report.write(results, Path(args.output), ROOT / "docs" / "img" / "gateway.png")


def ab(url: str, body: str, headers: dict[str, str], seconds: float, clients: int) -> dict:
    """Apache Bench: HTTP/1.0, a new connection for every request (uvicorn's h11 does not keep
    an HTTP/1.0 connection alive), so connection set-up is part of each request's cost."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(body)
    command = ["ab", "-q", "-c", str(clients), "-t", str(seconds), "-n", "10000000"]
    command += ["-p", handle.name, "-T", "application/json"]
    for name, value in headers.items():
        if name.lower() != "content-type":
            command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    os.unlink(handle.name)
    found: dict[str, Any] = {"rps": 0.0, "failed": None, "non_2xx": 0}
    for line in out.stdout.splitlines():
        if line.startswith("Requests per second:"):
            found["rps"] = float(line.split()[3])
        elif line.startswith("Failed requests:"):
            found["failed"] = int(line.split()[2])
        elif line.startswith("Non-2xx responses:"):
            found["non_2xx"] = int(line.split()[2])
    return found


def wrk(url: str, body: str, headers: dict[str, str], seconds: float, clients: int) -> dict:
    """wrk (C, one thread): HTTP/1.1 keep-alive, as API clients and SDKs talk to a gateway."""
    script = "wrk.method = 'POST'\nwrk.body = " + json.dumps(body) + "\n"
    for name, value in {"content-type": "application/json", **headers}.items():
        script += f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = ["wrk", "-t", "1", "-c", str(clients), "-d", f"{int(seconds)}s", "-s", handle.name]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    os.unlink(handle.name)
    found: dict[str, Any] = {"rps": 0.0, "failed": 0, "non_2xx": 0}
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            found["rps"] = float(line.split()[1])
        elif line.startswith("Non-2xx or 3xx responses:"):
            found["non_2xx"] = int(line.split()[-1])
        elif line.startswith("Socket errors:"):  # connect, read, write, timeout counts
            found["failed"] = sum(int(part.split()[-1]) for part in line[14:].split(","))
    return found


LOAD_GENERATORS = {"wrk": wrk, "ab": ab}


def throughput(work: Path, seconds: float, clients: int = 20, rounds: int = 3) -> dict[str, Any]:
    """Non-streamed ``_execute`` (``run``) against the canned nginx endpoint, as issue 15 says:
    nginx itself, the floor relay, then ``actions serve --workers 1`` and ``--workers 2``, with
    each load generator. Rounds are interleaved (a machine shared with other work slows runs,
    not systems) and the median round is kept, with its server CPU."""
    from endpoint import nginx_endpoint

    runs: dict[str, dict[str, list[dict[str, Any]]]] = {gen: {} for gen in LOAD_GENERATORS}
    plain = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]})
    with nginx_endpoint() as base:
        target = f"{base}/v1/chat/completions"
        data_dir, config, cid, key = prepare_actions(work, target, "throughput-data")
        body = json.dumps({"params": {"subAction": "run", "subActionParams": {"body": plain}}})
        headers = {"Authorization": f"ApiKey {key}", "kbn-xsrf": "1"}

        def measure(
            name: str, pid: int | None, url: str, data: str, head: dict[str, str], first: bool
        ) -> None:
            for gen, run in LOAD_GENERATORS.items():
                if gen == "ab" and not first:
                    continue  # the second load generator: one round, for comparison
                run(url, data, head, 1, clients)  # warm-up: connections, caches, imports
                before = cpu_seconds(pid) if pid else 0.0
                entry = run(url, data, head, seconds, clients)
                if pid and entry["rps"]:
                    entry["server_cpu_s"] = cpu = cpu_seconds(pid) - before
                    entry["cpu_ms_per_request"] = 1000 * cpu / (entry["rps"] * seconds)
                runs[gen].setdefault(name, []).append(entry)
                print(gen, name, entry, flush=True)

        for r in range(rounds):
            measure("nginx itself", None, target, plain, {}, r == 0)
            port = free_port()
            cmd = [_python(), __file__, "floor", str(port), target]
            with process(cmd, None, port, work / "floor-rate.log") as pid:
                floor = f"http://127.0.0.1:{port}/relay"
                measure("floor relay", pid, floor, plain, {}, r == 0)
            for workers in (1, 2):
                port = free_port()
                cmd = [_python(), __file__, "actions", data_dir, json.dumps(config), str(port)]
                log = work / f"rate{workers}.log"
                with process([*cmd, str(workers)], None, port, log) as pid:
                    url = f"http://127.0.0.1:{port}/api/actions/connector/{cid}/_execute"
                    name = f"actions serve --workers {workers}"
                    measure(name, pid, url, body, headers, r == 0)
    found: dict[str, Any] = {}
    for gen, systems in runs.items():
        found[gen] = {}
        for name, entries in systems.items():
            ordered = sorted(entries, key=lambda entry: entry["rps"])
            median = dict(ordered[len(ordered) // 2])
            median["rounds"] = [round(entry["rps"], 1) for entry in entries]
            found[gen][name] = median
    return found


def _machine() -> str:
    load = os.getloadavg()
    return (
        f"nproc {os.cpu_count()}, load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "upstream":
        run_upstream(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "floor":
        run_floor(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "actions":
        run_actions(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "client":
        run_client(sys.argv[2])
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        main()
