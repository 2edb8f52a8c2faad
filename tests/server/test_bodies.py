"""Bodies that cannot be stored as strict JSON are refused with 400 naming the field, not 500."""

from __future__ import annotations

import uuid

import pytest

from actions_core._js.json_values import MAX_DEPTH
from tests.server.conftest import Server

ECHO = {"name": "Open", "connector_type_id": ".echo-open", "config": {"url": "https://x.example"}}


def space() -> str:
    return f"/s/sp-{uuid.uuid4().hex[:10]}"


def refused(server: Server, method: str, path: str, raw: str) -> str:
    response = server.request(
        method, path, content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    return response.json()["message"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            '"config": {"url": "https://x.example", "temperature": 1e999}',
            "[request body.config.temperature]: expected a finite number but got [Infinity]",
        ),
        (
            '"config": {"url": "https://x.example", "contextWindowLength": -1e999}',
            "[request body.config.contextWindowLength]: "
            "expected a finite number but got [-Infinity]",
        ),
        (
            '"config": {"url": "https://x.example", "a": [1, NaN]}',
            "[request body.config.a.1]: expected a finite number but got [NaN]",
        ),
        (
            '"config": {"url": "https://x.example", "a": Infinity}',
            "[request body.config.a]: expected a finite number but got [Infinity]",
        ),
        (
            '"config": {"url": "https://x.example\\ud800"}',
            "[request body.config.url]: contains a lone surrogate (\\ud800), not valid Unicode",
        ),
        (
            '"secrets": {"token": "\\udc00"}',
            "[request body.secrets.token]: contains a lone surrogate (\\udc00), not valid Unicode",
        ),
    ],
)
def test_create_and_update_refuse_values_json_cannot_store(
    server: Server, raw: str, message: str
) -> None:
    prefix = space()
    body = '{"name": "n", "connector_type_id": ".echo-open", %s}' % raw  # noqa: UP031
    assert refused(server, "POST", f"{prefix}/api/actions/connector/c1", body) == message
    assert server.request("GET", f"{prefix}/api/actions/connector/c1").status_code == 404
    created = server.request(
        "POST", f"{prefix}/api/actions/connector/c2", json={**ECHO, "secrets": {"token": "t"}}
    )
    assert created.status_code == 200, created.text
    update = '{"name": "n", %s}' % raw  # noqa: UP031
    assert refused(server, "PUT", f"{prefix}/api/actions/connector/c2", update) == message
    assert server.request("GET", f"{prefix}/api/actions/connector/c2").json() == created.json()
    listed = server.request("GET", f"{prefix}/api/actions/connectors")
    assert listed.status_code == 200


def test_a_lone_surrogate_in_the_name_is_refused(server: Server) -> None:
    prefix = space()
    body = '{"name": "\\ud800", "connector_type_id": ".echo-open", "config": {}}'
    assert refused(server, "POST", f"{prefix}/api/actions/connector", body) == (
        "[request body.name]: contains a lone surrogate (\\ud800), not valid Unicode"
    )
    assert server.request("GET", f"{prefix}/api/actions/connectors").status_code == 200


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 990, 5000])
def test_deep_nesting_is_named_as_such_not_invalid_json(server: Server, depth: int) -> None:
    params = "[" * depth + "]" * depth
    body = '{"params": {"a": %s}}' % params  # noqa: UP031
    path = "/api/actions/connector/pre-log/_execute"
    assert refused(server, "POST", path, body).endswith(f"nested deeper than {MAX_DEPTH} levels")


def test_nesting_up_to_the_limit_reaches_the_schema_checks(server: Server) -> None:
    depth = MAX_DEPTH - 3
    body = '{"params": {"a": %s}}' % ("[" * depth + "]" * depth)
    response = server.request(
        "POST",
        "/api/actions/connector/pre-log/_execute",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert "nested deeper" not in response.text
    assert "Invalid request payload JSON format" not in response.text
