"""The bad-input sweep: every route of the service, every field of every body, with what JSON
cannot carry (NaN, Infinity), what Python cannot encode (lone surrogates), NUL, deep nesting,
huge strings, wrong types and unknown fields; bad path and query values too. Nothing may
answer 500, and the service must be healthy at the end."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from actions_core.testing import api_client
from tests.support import KEY

pytestmark = pytest.mark.reliability

MAX_PAYLOAD = 512 * 1024

#: JSON texts (some not JSON at all) put in place of each field
BAD_VALUES = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "1e999": "1e999",
    "lone surrogate": '"\\ud800"',
    "NUL": '"a\\u0000b"',
    "deep array": "[" * 5000 + "]" * 5000,
    "deep object": '{"a":' * 3000 + "1" + "}" * 3000,
    "huge string": '"' + "x" * 200_000 + '"',
    "oversize string": '"' + "x" * (MAX_PAYLOAD * 2) + '"',
    "number": "5",
    "negative float": "-1.5e300",
    "list": "[1, 2]",
    "null": "null",
    "bool": "true",
    "string": '"text"',
    "object": '{"k": 1}',
    "NaN inside": '{"k": [NaN]}',
    "surrogate inside": '{"k": {"v": "\\udfff"}}',
    "surrogate key": '{"\\ud800": 1}',
}
#: whole bodies
BAD_BODIES = {
    "empty": b"",
    "not JSON": b"{",
    "top-level list": b"[]",
    "top-level null": b"null",
    "top-level string": b'"x"',
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "deep": b"[" * 100_000,
    "NaN top": b"NaN",
}
BAD_IDS = ["%00", "%ED%A0%80", "x" * 3000, "..%2F..%2Fetc", "%F0%9F%92%A9", "a%0Ab", "%25"]
BAD_SPACES = ["%00", "BAD%20SPACE", "x" * 300, "%ED%A0%80"]
BAD_QUERIES = [
    "start=NaN&end=Infinity",
    "start=1e999",
    "interval=-1",
    "interval=abc",
    "start=%00",
    "feature_id=%ED%A0%80",
    "start=2026-13-45",
    "interval=99999999999999999999999",
]


def bodies(base: dict) -> Iterator[tuple[str, bytes]]:
    """``base`` with each field (and a field nested in each object) replaced by each bad value,
    then ``base`` with an unknown field, then the whole-body garbage."""
    for field in base:
        for name, literal in BAD_VALUES.items():
            parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in base.items() if k != field]
            parts.append(f"{json.dumps(field)}: {literal}")
            yield f"{field}={name}", ("{" + ", ".join(parts) + "}").encode()
        if isinstance(base[field], dict):
            for name, literal in BAD_VALUES.items():
                inner = json.dumps(base[field])[:-1].rstrip()
                inner += (", " if inner != "{" else "") + f'"bad": {literal}' + "}"
                others = {k: v for k, v in base.items() if k != field}
                text = json.dumps(others)[:-1] + f', "{field}": {inner}' + "}"
                yield f"{field}.bad={name}", text.encode()
    yield "unknown field", json.dumps({**base, "bogus": 1}).encode()
    yield from BAD_BODIES.items()


CREATE = {"name": "n", "connector_type_id": ".server-log", "config": {}, "secrets": {}}
UPDATE = {"name": "n", "config": {}, "secrets": {}}
EXECUTE = {"params": {"message": "m", "level": "info"}}


@pytest.fixture
def http(make_actions, monkeypatch) -> Iterator:
    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log,webhook,openai")
    actions = make_actions(
        config={"actions": {"encryptionKey": KEY, "server": {"maxPayload": MAX_PAYLOAD}}}
    )
    with api_client(actions) as client:
        known = {"name": "known", "connector_type_id": ".server-log"}
        assert client.post("/api/actions/connector/known", json=known).status_code == 200
        yield client


def test_no_input_answers_500(http):
    sent, failures = 0, []

    def send(method: str, url: str, body: bytes | None = None, what: str = "") -> None:
        nonlocal sent
        sent += 1
        headers = {"content-type": "application/json"} if body is not None else {}
        answer = http.request(method, url, content=body, headers=headers)
        if answer.status_code >= 500:
            failures.append(
                f"{method} {url[:80]} [{what}] -> {answer.status_code} {answer.text[:200]}"
            )

    for space in ("", "/s/default"):
        for what, body in bodies(CREATE):
            send("POST", f"{space}/api/actions/connector", body, what)
        for what, body in bodies(CREATE):
            send("POST", f"{space}/api/actions/connector/fresh-{sent}", body, what)
        for what, body in bodies(UPDATE):
            send("PUT", f"{space}/api/actions/connector/known", body, what)
        for what, body in bodies(EXECUTE):
            send("POST", f"{space}/api/actions/connector/known/_execute", body, what)
        for what, body in bodies(EXECUTE["params"]):
            params = b'{"params": ' + body + b"}"
            send("POST", f"{space}/api/actions/connector/known/_execute", params, f"params.{what}")
    for id in BAD_IDS:
        for method, suffix, body in [
            ("GET", "", None),
            ("DELETE", "", None),
            ("PUT", "", json.dumps(UPDATE).encode()),
            ("POST", "", json.dumps(CREATE).encode()),
            ("POST", "/_execute", json.dumps(EXECUTE).encode()),
            ("GET", "/_usage", None),
        ]:
            send(method, f"/api/actions/connector/{id}{suffix}", body, f"id={id[:20]}")
        send("GET", f"/app/connectors/{id}/usage", None, f"id={id[:20]}")
    for space in BAD_SPACES:
        for path in ["/api/actions/connectors", "/api/actions/connector_types", "/app/connectors"]:
            send("GET", f"/s/{space}{path}", None, f"space={space[:20]}")
        send("POST", f"/s/{space}/api/actions/connector", json.dumps(CREATE).encode(), "space")
        send(
            "POST",
            f"/s/{space}/api/actions/connector/known/_execute",
            json.dumps(EXECUTE).encode(),
            "space",
        )
    for query in BAD_QUERIES:
        for path in [
            "/api/actions/connector/known/_usage",
            "/api/actions/connector_types",
            "/api/actions/connectors",
            "/app/connectors/known/usage",
        ]:
            send("GET", f"{path}?{query}", None, query)
    assert failures == [], f"{len(failures)} of {sent} answered 5xx:\n" + "\n".join(failures)
    assert sent > 500
    # healthy afterwards: it answers, lists and executes
    assert http.get("/api/status").status_code == 200
    assert http.get("/api/actions/connectors").status_code == 200
    done = http.post("/api/actions/connector/known/_execute", json=EXECUTE)
    assert done.json()["status"] == "ok"
    print(f"\nbad-input sweep: {sent} requests, none answered 5xx")
