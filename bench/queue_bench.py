"""Queued execution throughput and queue delay: Redis broker, PostgreSQL store, real workers.

Run with ``bench/queue-run``. Writes ``docs/benchmarks-queue.md`` (its Notes section is kept).

* Throughput: N executions are enqueued, then 1, 2 and 4 ``actions worker`` processes (each
  with ``--concurrency`` threads) drain them against an endpoint that answers after 5 ms
  (nginx's echo_sleep). The rate is that of a steady-state window (from 10 % done, once every
  worker runs executions, to 90 % done), so worker start-up is not counted; the bench polls
  with one ``count`` of unfinished executions.
* CPU per execution in that window, from ``/proc``: the workers' (*w*) and everything else the
  bench started (*o*: PostgreSQL, Redis, nginx, the bench itself), which decide how far a
  second worker process can scale on this machine: at most 2w/(w+o).
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


def wait_done(actions: Actions, timeout: float) -> None:
    """Until no execution of this database is queued or running: one count per poll."""
    deadline = time.monotonic() + timeout
    while actions.queue.store.count_pending():
        if time.monotonic() > deadline:
            raise RuntimeError(f"executions did not finish in {timeout}s")
        time.sleep(0.1)


# --- CPU accounting: every process this benchmark started, from /proc ---

_TICK = os.sysconf("SC_CLK_TCK")
#: what each group of processes is; o (the CPU of an execution outside the workers) is all but
#: "workers"
GROUPS = ("workers", "postgres", "redis", "nginx", "bench")


def _proc_stat(pid: str) -> tuple[str, int, int]:
    """(comm, ppid, ticks): user + system CPU, plus that of children it has reaped (a
    PostgreSQL backend that ended is counted in its postmaster's)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return comm, int(fields[1]), sum(int(fields[i]) for i in (11, 12, 13, 14))


def _system_ticks() -> tuple[int, int]:
    """(busy, total) ticks of the whole machine (both cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def cpu_snapshot(worker_pids: set[int]) -> dict[str, float]:
    """CPU seconds so far of each group of this benchmark's processes (the descendants of
    this process, by the child it started: the postmaster, redis-server, nginx, a worker),
    of this process itself, and of the machine (``busy``, ``total``)."""
    me = os.getpid()
    table: dict[int, tuple[str, int, int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                table[int(entry.name)] = _proc_stat(entry.name)
            except (OSError, ValueError, IndexError):  # gone meanwhile
                continue
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    ticks = dict.fromkeys(GROUPS, 0)
    # its own threads only: the children it reaped are earlier runs' workers
    fields = Path(f"/proc/{me}/stat").read_text().rsplit(")", 1)[1].split()
    ticks["bench"] = int(fields[11]) + int(fields[12])
    for top in children.get(me, []):
        comm = table[top][0]
        if top in worker_pids:
            group = "workers"
        elif comm.startswith("postgres"):
            group = "postgres"
        elif comm.startswith("redis"):
            group = "redis"
        elif comm.startswith("nginx"):
            group = "nginx"
        else:
            continue  # an earlier run's worker still stopping
        stack = [top]
        while stack:
            pid = stack.pop()
            ticks[group] += table[pid][2]
            stack += children.get(pid, [])
    busy, total = _system_ticks()
    seconds = {k: v / _TICK for k, v in ticks.items()}
    seconds.update(busy=busy / _TICK, total=total / _TICK)
    return seconds


def drain(actions: Actions, procs: list, count: int, start_cost: float, timeout: float):
    """Wait until every execution has ended, measuring a steady-state window on the way: from
    the first poll where 10 % of the executions are done *and* every worker has used more CPU
    than its start-up (so it is running executions), to the first poll where 90 % are done.

    Returns ``(first, last, seconds, cpu)`` of the window: how many executions had finished at
    its start and at its end, its length by the poll's clock and the CPU seconds each group of
    processes used in it (see :func:`cpu_snapshot`).
    """
    pids = {p.pid for p in procs}
    deadline = time.monotonic() + timeout
    begin: tuple[int, float, dict[str, float]] | None = None
    end: tuple[int, float, dict[str, float]] | None = None
    while True:
        pending = actions.queue.store.count_pending()
        done = count - pending
        if begin is None and done >= count * 0.1:
            if all(cpu_seconds(pid) > start_cost + 0.05 for pid in pids):
                begin = (done, time.monotonic(), cpu_snapshot(pids))
        elif begin is not None and end is None and done >= count * 0.9:
            end = (done, time.monotonic(), cpu_snapshot(pids))
        if pending == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{pending} executions did not finish in {timeout}s")
        time.sleep(0.1)
    if begin is None or end is None or end[0] - begin[0] < count * 0.3:
        raise RuntimeError("no steady-state window: too few executions per run (--count)")
    cpu = {k: end[2][k] - begin[2][k] for k in begin[2]}
    return begin[0], end[0], end[1] - begin[1], cpu


def throughput_run(
    pg, redis, url: str, workers: int, count: int, concurrency: int, start_cost: float, tmp: Path
) -> dict:
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
        for i in range(count):
            started = time.perf_counter()
            actions.enqueue(cid, {"body": f"n{i}"})
            costs.append(time.perf_counter() - started)
        count += 1  # the warm-up runs too
        procs = start_workers(config, workers, concurrency, run_dir)
        try:
            first, last, seconds, cpu = drain(actions, procs, count, start_cost, timeout=600)
        finally:
            stop_workers(procs)
        executions = actions.executions.list(limit=count + 1)
    assert len(executions) == count, "executions missing"
    assert all(e.status == "succeeded" for e in executions), "some executions failed"
    assert all(e.attempts == 1 for e in executions), "some executions ran twice"
    done = last - first
    # the window's rate by the executions' own clock (a poll may come late: the CPU needs none)
    finished = sorted(e.finished_at for e in executions)
    window = (finished[last - 1] - finished[first - 1]).total_seconds()
    whole = (finished[-1] - min(e.started_at for e in executions)).total_seconds()
    return {
        "rate": done / window,
        "whole": count / whole,
        "costs": costs,
        "cpu": {k: v / done for k, v in cpu.items() if k in GROUPS},
        "busy": cpu["busy"] / cpu["total"],
        # the rest of the machine's busy time: other users' processes, the kernel's own work
        "rest": (cpu["busy"] - sum(cpu[g] for g in GROUPS)) / done,
        "window": (done, window, seconds),
    }


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
            actions.enqueue(cid, {"body": "warm-up"})
            wait_done(actions, timeout=60)
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
            wait_done(actions, timeout=300)
            wanted = set(ids)
            executions = [e for e in actions.executions.list(limit=n + 10) if e.id in wanted]
        finally:
            stop_workers(procs)
    delays = sorted((e.started_at - e.queued_at).total_seconds() for e in executions)
    return delays


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="executions per throughput run")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--rate", type=float, default=40.0, help="enqueues/s for the delay run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the delay run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of 1, 2, 4")
    parser.add_argument("--out", type=Path, default=OUT, help="the report to (re)write")
    args = parser.parse_args()
    if not has_slow_path():
        raise SystemExit("nginx with the echo module is needed (bench/queue-run installs it)")
    runs: dict[int, list[dict]] = {1: [], 2: [], 4: []}
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="actions-queue-bench-") as tmpdir,
        run_postgres(durable=True) as pg,
        run_redis() as redis,
        nginx_endpoint() as base,
    ):
        tmp = Path(tmpdir)
        url = f"{base}/slow/v1/chat/completions"
        idle_dir = tmp / "idle"
        idle_dir.mkdir()
        write_config(idle_dir / "actions.yml", pg.create_database(), redis.url)
        start_cost = startup_cpu(idle_dir / "actions.yml", args.concurrency, idle_dir)
        # interleaved rounds: a machine shared with other work slows runs, not configurations
        for r in range(args.rounds):
            for workers in runs:
                run = throughput_run(
                    pg, redis, url, workers, args.count, args.concurrency, start_cost,
                    tmp / f"r{r}",
                )  # fmt: skip
                runs[workers].append(run)
                cpu = run["cpu"]
                print(
                    f"round {r + 1}: {workers} worker(s): {run['rate']:.1f} executions/s "
                    f"(whole run {run['whole']:.1f}); CPU ms/execution: "
                    + ", ".join(f"{k} {v * 1000:.2f}" for k, v in cpu.items())
                    + f"; rest of the machine {run['rest'] * 1000:.2f}; "
                    f"machine busy {run['busy']:.0%}",
                    flush=True,
                )
        delays = delay_run(pg, redis, url, args.rate, args.seconds, args.concurrency, tmp)
    load_after = os.getloadavg()
    text = report(args, runs, start_cost, delays, load_before, load_after)
    previous = args.out.read_text() if args.out.exists() else ""
    notes = previous.split("## Notes", 1)[1] if "## Notes" in previous else None
    if notes:
        text += "\n## Notes" + notes
    args.out.write_text(text)
    print(text)


def _median(runs: list[dict], get) -> float:
    return statistics.median(get(run) for run in runs)


def report(args, runs, start_cost, delays, load_before, load_after) -> str:
    rates = {w: _median(rs, lambda r: r["rate"]) for w, rs in runs.items()}
    scale = rates[2] / rates[1]
    costs = sorted(c for rs in runs.values() for r in rs for c in r["costs"])
    lines = [
        "# Queued execution benchmark",
        "",
        f"Generated by `bench/queue-run` on {datetime.date.today()} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}). Redis broker, "
        f"PostgreSQL store, `.webhook` executions against an endpoint answering after "
        f"{SLOW_MS} ms; each worker process runs {args.concurrency} threads; "
        f"{args.count:,} executions per run, {args.rounds} interleaved rounds, medians. "
        "PostgreSQL runs with its own defaults (fsync, full-page writes and synchronous "
        "commit on, as an operator runs it; the tests' throw-away clusters turn them off), "
        "Redis without persistence, both on loopback. "
        f"Load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f}.",
        "",
        "Each run enqueues every execution first, then starts the workers. Its rate is measured "
        "over a steady-state window: from the first moment 10 % of the executions are done "
        "and every worker has used more CPU than its start-up (it is running executions), to "
        "the moment 90 % are done (the bench polls every 100 ms with one `count` of unfinished "
        "executions), timed by the executions' own `finished_at`. The CPU figures are of the "
        "same window, read from `/proc` (the processes the bench started, and the machine).",
        "",
        "| worker processes | executions/s (median) | best round | vs 1 worker (median) "
        "| whole run, first start to last finish |",
        "| --- | --- | --- | --- | --- |",
    ]
    for workers, rs in runs.items():
        best = max(r["rate"] for r in rs)
        whole = _median(rs, lambda r: r["whole"])
        lines.append(
            f"| {workers} | {rates[workers]:,.1f} | {best:,.1f} | "
            f"{rates[workers] / rates[1]:.2f}× | {whole:,.1f} |"
        )
    verdict = "met" if scale >= 1.8 else "not met"
    lines += [
        "",
        f"Target ≥ 1.8× from 1 to 2 workers: **{verdict}** ({scale:.2f}×).",
        "",
        "CPU per execution in the window (ms, user + system, medians): *w* is the worker "
        "processes', *o* everything else the bench started (PostgreSQL's postmaster and "
        "backends, redis-server, nginx, the bench's own process); *rest of the machine* is "
        "what else kept the machine's cores busy in the same window, per execution of this "
        "benchmark (other users' processes: the machine is shared; kernel work charged to no "
        "process).",
        "",
        "| worker processes | *w* workers | PostgreSQL | Redis | nginx | bench | *o* | "
        "2w/(w+o) | cores the workers used | rest of the machine | machine busy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for workers, rs in runs.items():
        cpu = {g: _median(rs, lambda r, g=g: r["cpu"][g]) * 1000 for g in GROUPS}
        w = cpu["workers"]
        o = _median(rs, lambda r: sum(v for k, v in r["cpu"].items() if k != "workers")) * 1000
        rest = _median(rs, lambda r: r["rest"]) * 1000
        busy = _median(rs, lambda r: r["busy"])
        lines.append(
            f"| {workers} | {w:.2f} | {cpu['postgres']:.2f} | {cpu['redis']:.2f} | "
            f"{cpu['nginx']:.2f} | {cpu['bench']:.2f} | {o:.2f} | {2 * w / (w + o):.2f}× | "
            f"{_median(rs, lambda r: r['cpu']['workers'] * r['rate']):.2f} | "
            f"{rest:.2f} | {busy:.0%} |"
        )
    w1 = _median(runs[1], lambda r: r["cpu"]["workers"])
    lines += [
        "",
        "One worker process is one GIL: it runs at most 1/*w* executions/s whatever its threads "
        f"(1/{w1 * 1000:.2f} ms = {1 / w1:,.0f}/s). With two on two cores, everything else "
        "shares those cores with them: at best 2/(*w* + *o*), so the ratio is at most "
        "2*w*/(*w* + *o*), and ≥ 1.8× needs *o* ≤ *w*/9. Worker start-up (imports, "
        f"connections) costs {start_cost:.2f} s of CPU per worker and is outside the window.",
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
    return "\n".join(lines)


if __name__ == "__main__":
    main()
