"""A scripted upstream on 127.0.0.1: streams numbered SSE chunks and records what happened.

``GET /stream?tag=T&chunks=N&interval=S&hold=1`` sends ``data: {"n": i}`` chunks (chunked
transfer encoding), optionally holding after the first one until the test releases it. Per tag
it records how many chunks went out, whether the stream finished, and whether the client closed
the connection early.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HOLD_LIMIT = 15.0  # seconds a held stream waits for release before going on anyway


@dataclass
class StreamRecord:
    sent: int = 0
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ScriptedUpstream

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != "/stream":
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        record = self.server.record(query.get("tag", "default"))
        chunks = int(query.get("chunks", "3"))
        interval = float(query.get("interval", "0"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        record.started.set()
        try:
            for n in range(chunks):
                self._chunk(f'data: {{"n": {n}}}\n\n'.encode())
                record.sent += 1
                if n == 0 and query.get("hold") == "1":
                    record.release.wait(HOLD_LIMIT)
                elif interval:
                    record.release.wait(interval)  # a sleep the test can cut short
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            record.finished.set()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            record.disconnected.set()
            self.close_connection = True

    def do_POST(self) -> None:
        """A tiny OpenAI-compatible ``/v1/chat/completions``: JSON, or SSE when streaming."""
        if urlparse(self.path).path != "/v1/chat/completions":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        words = ["Hello", ",", " Ada", "!"]
        if not request.get("stream"):
            body = json.dumps(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": request.get("model", "scripted"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(words)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for word in words:
            chunk = {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "model": request.get("model", "scripted"),
                "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
            }
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class ScriptedUpstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._records: dict[str, StreamRecord] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, tag: str) -> StreamRecord:
        with self._lock:
            return self._records.setdefault(tag, StreamRecord())

    def __enter__(self) -> ScriptedUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            for record in self._records.values():
                record.release.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)
