"""The model-server harness says when the server crashed, and how, instead of a connection error.

The crashing server here is a real process: it lists a model like llama.cpp's server does and
then dies from SIGILL on the first completion, as a build with instructions the kernel refuses
does (the failure that once turned every end-to-end test into ``ECONNRESET``).
"""

from __future__ import annotations

import signal
import sys
import textwrap

import pytest

from tests.model_server import ModelServer, ModelServerError, describe_exit

CRASHING_SERVER = textwrap.dedent(
    """
    import http.server, json, os, signal, sys

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"object": "list", "data": [{"id": "smollm2"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            print("ggml: about to run tileloadd", flush=True)
            os.kill(os.getpid(), signal.SIGILL)

        def log_message(self, *args):
            pass

    port = int(sys.argv[sys.argv.index("--port") + 1])
    print("serving on", port, flush=True)
    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


@pytest.fixture
def crashing_server(tmp_path):
    script = tmp_path / "crashing_server.py"
    script.write_text(CRASHING_SERVER)
    server = ModelServer(tmp_path / "server.log", command=[sys.executable, str(script)])
    yield server
    server.stop()


def test_a_server_killed_by_sigill_is_reported_with_its_cause_and_log(crashing_server):
    crashing_server.start(timeout=30)
    assert crashing_server.died() is None

    with pytest.raises(ModelServerError) as raised:
        crashing_server.complete()

    message = str(raised.value)
    assert "on the first completion: the model server died" in message
    assert f"exit code -{int(signal.SIGILL)}: killed by SIGILL (illegal instruction)" in message
    assert "instruction this CPU advertises but its kernel refuses" in message
    assert "ggml: about to run tileloadd" in message  # the tail of the server's own log


def test_a_server_that_exits_while_starting_is_reported_with_its_log(tmp_path):
    script = tmp_path / "exits.py"
    script.write_text("import sys\nprint('cannot load model', flush=True)\nsys.exit(3)\n")
    server = ModelServer(tmp_path / "server.log", command=[sys.executable, str(script)])
    with pytest.raises(ModelServerError) as raised:
        server.start(timeout=30)
    assert "while starting: the model server died (exit code 3)" in str(raised.value)
    assert "cannot load model" in str(raised.value)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (-int(signal.SIGILL), "SIGILL (illegal instruction)"),
        (128 + int(signal.SIGILL), "SIGILL (illegal instruction)"),
        (-int(signal.SIGKILL), "killed by SIGKILL"),
        (1, "exit code 1"),
    ],
)
def test_exit_statuses_are_put_in_words(code, words):
    assert words in describe_exit(code)
