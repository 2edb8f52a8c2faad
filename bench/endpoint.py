"""A fast canned OpenAI-compatible endpoint: Debian's nginx on 127.0.0.1, in a temp dir.

Serves, for any method (POST included):

* ``/v1/chat/completions``: a realistic ``chat.completion`` with ``usage``;
* ``/openai/deployments/{name}/chat/completions``: the same body on an Azure-style path;
* ``/stream/v1/chat/completions``: a 200-chunk SSE stream whose last chunk has ``usage``;
* ``/slow/v1/chat/completions``: the completion after 5 ms (the echo module), for scaling.

Nothing is written outside the temp dir: nginx runs with ``-p <dir>``, ``daemon off`` and
its pid, logs and temp paths inside it, and is stopped when the context exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

MODEL = "gpt-4o-mini-2024-07-18"
CHUNKS = 200
SLOW_MS = 5
_ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"


def completion_body() -> bytes:
    """A ``chat.completion`` as OpenAI sends it (about 1 KB)."""
    body = {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "The capital of France is Paris. It is known for the Eiffel Tower, "
                    "the Louvre and its cafés, and has been the country's capital since 987.",
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 19,
            "completion_tokens": 38,
            "total_tokens": 57,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
    }
    return json.dumps(body).encode()


def stream_body(chunks: int = CHUNKS) -> bytes:
    """``chunks`` SSE ``chat.completion.chunk`` events (the last with ``usage``), then [DONE]."""
    base = {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion.chunk",
        "created": 1741569952,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
    }
    events = []
    for index in range(chunks):
        if index == 0:
            delta, finish = {"role": "assistant", "content": "", "refusal": None}, None
        elif index < chunks - 2:
            delta, finish = {"content": f" word{index}"}, None
        else:
            delta, finish = {}, "stop" if index == chunks - 2 else None
        chunk = dict(base)
        chunk["choices"] = (
            []
            if index == chunks - 1
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        )
        chunk["usage"] = (
            {"prompt_tokens": 19, "completion_tokens": chunks - 3, "total_tokens": chunks + 16}
            if index == chunks - 1
            else None
        )
        events.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return b"".join(events)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(root: Path, port: int, echo: bool) -> str:
    slow = (
        f"""
        location = /slow/v1/chat/completions {{
            default_type application/json;
            echo_sleep {SLOW_MS / 1000};
            echo_location /v1/chat/completions;
        }}"""
        if echo
        else ""
    )
    load = f"load_module {_ECHO_MODULE};\n" if echo else ""
    # A POST to a static file is refused with 405; error_page turns it into the file itself.
    return f"""{load}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    tcp_nodelay on;
    etag off;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        error_page 405 =200 $uri;
        location = /v1/chat/completions {{
            default_type application/json;
            alias {root}/www/completion.json;
        }}
        location ~ ^/openai/deployments/[^/]+/chat/completions$ {{
            default_type application/json;
            alias {root}/www/completion.json;
        }}
        location = /stream/v1/chat/completions {{
            default_type text/event-stream;
            alias {root}/www/stream.sse;
        }}{slow}
    }}
}}
"""


@contextlib.contextmanager
def nginx_endpoint() -> Iterator[str]:
    """Start nginx on a free 127.0.0.1 port; yields its base URL (``http://127.0.0.1:N``)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    echo = os.path.exists(_ECHO_MODULE)
    with tempfile.TemporaryDirectory(prefix="actions-bench-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # when started as root, nginx's workers run as nobody
        (root / "www").mkdir()
        (root / "tmp").mkdir()
        (root / "www" / "completion.json").write_bytes(completion_body())
        (root / "www" / "stream.sse").write_bytes(stream_body())
        port = free_port()
        (root / "nginx.conf").write_text(_config(root, port, echo))
        process = subprocess.Popen(
            [binary, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "err")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        err = process.stderr.read().decode() if process.stderr else ""
                        raise RuntimeError(f"nginx did not start: {err}") from None
                    time.sleep(0.02)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def has_slow_path() -> bool:
    return os.path.exists(_ECHO_MODULE)
