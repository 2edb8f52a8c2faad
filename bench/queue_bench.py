"""Queued execution throughput and queue delay: Redis broker, PostgreSQL store, real workers.

Run with ``bench/queue-run``. Writes ``docs/benchmarks-queue.md``.

* Throughput: N executions are enqueued, then 1, 2 and 4 ``actions worker`` processes (each
  with ``--concurrency`` threads) drain them against an endpoint that answers after 5 ms
  (nginx's echo_sleep). Measured from the first start to the last finish, as the executions
  table records them, so worker start-up is not counted.
* Enqueue cost: the wall time of ``Actions.enqueue`` per call (check, insert, publish).
* Queue delay: enqueue to start (``started_at - queued_at``) of executions enqueued at a steady
  rate while 2 workers run, p50 and p99.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import SLOW_MS, has_slow_path, nginx_endpoint  # noqa: E402

from actions_core import Actions  # noqa: E402
from tests.services import run_postgres, run_redis  # noqa: E402

KEY = "bench-encryption-key-0123456789-abcdefghij"
OUT = ROOT / "docs" / "benchmarks-queue.md"


def write_config(path: Path, database_url: str, broker_url: str) -> None:
    document = {
        "actions": {
            "encryptionKey": KEY,
            "databaseUrl": database_url,
            "allowedHosts": ["127.0.0.1"],
            "queue": {"brokerUrl": broker_url},
        }
    }
    path.write_text(yaml.safe_dump(document))


def start_workers(config: Path, count: int, concurrency: int, logdir: Path) -> list:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONS_")}
    env.update(ACTIONS_CONFIG=str(config), ACTIONS_PLUGINS="webhook", PYTHONPATH=str(ROOT))
    workers = []
    for i in range(count):
        log = open(logdir / f"worker-{i}.log", "wb")  # noqa: SIM115
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "actions_core", "worker", "-c", str(concurrency)],
                env=env,
                cwd=logdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
    return workers


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def startup_cpu(config: Path, concurrency: int, logdir: Path) -> float:
    """The CPU a worker spends starting (imports, connections) with nothing to do."""
    [worker] = start_workers(config, 1, concurrency, logdir)
    try:
        time.sleep(8)
        return cpu_seconds(worker.pid)
    finally:
        stop_workers([worker])


def stop_workers(workers: list) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


def wait_done(actions: Actions, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(ids)
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} executions did not finish in {timeout}s")
        pending = [i for i in pending if not actions.executions.get(i).final]
        if pending:
            time.sleep(0.2)


def throughput_run(pg, redis, url: str, workers: int, count: int, concurrency: int, tmp: Path):
    redis.flush()
    run_dir = tmp / f"w{workers}"
    run_dir.mkdir(parents=True)
    config = run_dir / "actions.yml"
    write_config(config, pg.create_database(), redis.url)
    with Actions(run_dir / "data", config) as actions:
        cid = actions.connectors.create(
            connector_type_id=".webhook", name="bench", config={"url": url}, secrets={}
        ).id
        actions.enqueue(cid, {"body": "warm-up"})  # imports Celery, connects the broker
        costs = []
        ids = []
        for i in range(count):
            started = time.perf_counter()
            ids.append(actions.enqueue(cid, {"body": f"n{i}"}))
            costs.append(time.perf_counter() - started)
        procs = start_workers(config, workers, concurrency, run_dir)
        try:
            wait_done(actions, ids, timeout=600)
            cpu = sum(cpu_seconds(p.pid) for p in procs)
        finally:
            stop_workers(procs)
        executions = [actions.executions.get(i) for i in ids]
    assert all(e.status == "succeeded" for e in executions), "some executions failed"
    first = min(e.started_at for e in executions)
    last = max(e.finished_at for e in executions)
    return count / (last - first).total_seconds(), costs, cpu


def delay_run(pg, redis, url: str, rate: float, seconds: float, concurrency: int, tmp: Path):
    redis.flush()
    run_dir = tmp / "delay"
    run_dir.mkdir()
    config = run_dir / "actions.yml"
    write_config(config, pg.create_database(), redis.url)
    with Actions(run_dir / "data", config) as actions:
        cid = actions.connectors.create(
            connector_type_id=".webhook", name="bench", config={"url": url}, secrets={}
        ).id
        procs = start_workers(config, 2, concurrency, run_dir)
        try:
            warm = actions.enqueue(cid, {"body": "warm-up"})
            wait_done(actions, [warm], timeout=60)
            ids = []
            begin = time.monotonic()
            n = 0
            while time.monotonic() - begin < seconds:
                target = begin + n / rate
                pause = target - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                ids.append(actions.enqueue(cid, {"body": f"d{n}"}))
                n += 1
            wait_done(actions, ids, timeout=300)
            executions = [actions.executions.get(i) for i in ids]
        finally:
            stop_workers(procs)
    delays = sorted((e.started_at - e.queued_at).total_seconds() for e in executions)
    return delays


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=400, help="executions per throughput run")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--rate", type=float, default=40.0, help="enqueues/s for the delay run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the delay run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of 1, 2, 4")
    args = parser.parse_args()
    if not has_slow_path():
        raise SystemExit("nginx with the echo module is needed (bench/queue-run installs it)")
    rounds: dict[int, list[float]] = {1: [], 2: [], 4: []}
    with (
        tempfile.TemporaryDirectory(prefix="actions-queue-bench-") as tmpdir,
        run_postgres() as pg,
        run_redis() as redis,
        nginx_endpoint() as base,
    ):
        tmp = Path(tmpdir)
        url = f"{base}/slow/v1/chat/completions"
        costs: list[float] = []
        worker_cpu: list[float] = []  # CPU seconds per execution in the workers
        idle_dir = tmp / "idle"
        idle_dir.mkdir()
        write_config(idle_dir / "actions.yml", pg.create_database(), redis.url)
        start_cost = startup_cpu(idle_dir / "actions.yml", args.concurrency, idle_dir)
        # interleaved rounds: a machine shared with other work slows runs, not configurations
        for r in range(args.rounds):
            for workers in rounds:
                rate, run_costs, cpu = throughput_run(
                    pg, redis, url, workers, args.count, args.concurrency, tmp / f"r{r}"
                )
                worker_cpu.append((cpu - workers * start_cost) / args.count)
                rounds[workers].append(rate)
                costs += run_costs
                print(f"round {r + 1}: {workers} worker(s): {rate:.1f} executions/s", flush=True)
        delays = delay_run(pg, redis, url, args.rate, args.seconds, args.concurrency, tmp)
    costs.sort()
    results = {w: statistics.median(rates) for w, rates in rounds.items()}
    best = {w: max(rates) for w, rates in rounds.items()}
    scale = results[2] / results[1]
    lines = [
        "# Queued execution benchmark",
        "",
        f"Generated by `bench/queue-run` on {datetime.date.today()} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}). Redis broker, "
        f"PostgreSQL store, `.webhook` executions against an endpoint answering after "
        f"{SLOW_MS} ms; each worker process runs {args.concurrency} threads; "
        f"{args.count} executions per run, {args.rounds} interleaved rounds.",
        "",
        "| worker processes | executions/s (median) | best round | vs 1 worker (median) |",
        "| --- | --- | --- | --- |",
    ]
    for workers, rate in results.items():
        lines.append(
            f"| {workers} | {rate:,.1f} | {best[workers]:,.1f} | {rate / results[1]:.2f}× |"
        )
    verdict = "met" if scale >= 1.8 else "not met"
    lines += [
        "",
        f"Target ≥ 1.8× from 1 to 2 workers: **{verdict}** ({scale:.2f}×).",
        "",
        f"Worker CPU per execution (user + system, start-up of {start_cost:.2f} s per worker "
        f"subtracted): median **{statistics.median(worker_cpu) * 1000:.2f} ms** over all runs: "
        f"one worker process (one GIL) can run at most "
        f"~{1 / statistics.median(worker_cpu):,.0f} executions/s, whatever its threads.",
        "",
        "| enqueue cost per execution | median | p99 |",
        "| --- | --- | --- |",
        f"| `Actions.enqueue` (check, insert, publish) | {statistics.median(costs) * 1000:.2f} ms "
        f"| {pct(costs, 0.99) * 1000:.2f} ms |",
        "",
        f"Queue delay (enqueue → start) at a steady {args.rate:g} executions/s for "
        f"{args.seconds:g} s, 2 workers: p50 **{pct(delays, 0.5) * 1000:.1f} ms**, "
        f"p99 **{pct(delays, 0.99) * 1000:.1f} ms** ({len(delays)} executions).",
        "",
    ]
    previous = OUT.read_text() if OUT.exists() else ""
    notes = previous.split("## Notes", 1)[1] if "## Notes" in previous else None
    text = "\n".join(lines)
    if notes:
        text += "\n## Notes" + notes
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
