"""What the policy-aware HTTP factory adds to one request, against a bare ``requests.Session``.

All clients call the same keep-alive HTTP/1.1 server on 127.0.0.1, run in its own process so
it does not compete for this one's GIL (one pooled connection per client), in alternating
rounds. The factory runs with the default policy plus 127.0.0.1 allowed by name, so the
allowed-hosts check, the SSRF literal check and the size-limited body read all run.

Run: .venv/bin/python bench/http_factory.py  (prints microseconds per request, medians of rounds)
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from actions_core import HttpClient, NetworkPolicy

BODY = b'{"ok": true}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stalls

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def measure(call, count: int) -> tuple[float, float]:
    """Wall-clock and this process's CPU time per call, in microseconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        call()
    return (
        (time.perf_counter() - wall) / count * 1e6,
        (time.process_time() - cpu) / count * 1e6,
    )


def serve(port_queue: multiprocessing.Queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def main(rounds: int = 7, count: int = 1000) -> None:
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=10)}/"
    bare = requests.Session()  # as most code uses it: reads proxies/netrc from the environment
    plain = requests.Session()
    plain.trust_env = False  # the like-for-like baseline: the factory ignores the environment too
    factory = HttpClient(NetworkPolicy(allowed_hosts=("*", "127.0.0.1")))
    calls = {
        "requests.Session()": lambda: bare.get(url, timeout=60).content,
        "requests.Session(), trust_env=False": lambda: plain.get(url, timeout=60).content,
        "actions-core HttpClient.request": lambda: factory.request("GET", url).content,
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    try:
        for call in calls.values():  # warm up pools and caches
            measure(call, 200)
        for _ in range(rounds):  # alternate, so drift hits every client alike
            for name, call in calls.items():
                results[name].append(measure(call, count))
    finally:
        bare.close()
        plain.close()
        factory.close()
        server.terminate()
        server.join(10)
    wall = {name: statistics.median(v[0] for v in values) for name, values in results.items()}
    cpu = {name: statistics.median(v[1] for v in values) for name, values in results.items()}
    base = "requests.Session(), trust_env=False"
    print(f"{count} requests per round, {rounds} rounds; medians in us/request")
    print(f"  {'client':38s} {'wall':>8s} {'client CPU':>11s} {'CPU vs baseline':>16s}")
    for name in calls:
        print(f"  {name:38s} {wall[name]:8.1f} {cpu[name]:11.1f} {cpu[name] - cpu[base]:+16.1f}")


if __name__ == "__main__":
    main()
