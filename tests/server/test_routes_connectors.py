"""The connector routes against the real service: Kibana's bodies, status codes and errors."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.server.conftest import MAX_PAYLOAD, PRE_SECRET, Server

ECHO = {"name": "My echo", "connector_type_id": ".echo", "config": {"url": "https://x.example"}}
SECRET = "echo-token-5a8e2f"


def space() -> str:
    return f"sp-{uuid.uuid4().hex[:10]}"


def create(server: Server, prefix: str = "", **fields) -> dict:
    body = {**ECHO, "secrets": {"token": SECRET}, **fields}
    response = server.request("POST", f"{prefix}/api/actions/connector", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def error(response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "error", "message"}
    assert body["statusCode"] == status
    return body["message"]


def test_create_get_list_update_delete_round_trip(server: Server) -> None:
    prefix = f"/s/{space()}"
    created = create(server, prefix)
    assert created == {
        "id": created["id"],
        "name": "My echo",
        "connector_type_id": ".echo",
        "config": {"url": "https://x.example", "model": "small"},
        "is_preconfigured": False,
        "is_deprecated": False,
        "is_system_action": False,
        "is_missing_secrets": False,
    }
    uuid.UUID(created["id"])
    one = f"{prefix}/api/actions/connector/{created['id']}"
    assert server.request("GET", one).json() == created

    updated = server.request(
        "PUT", one, json={"name": "Renamed", "config": {"url": "https://y.example"}}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Renamed"
    assert updated.json()["config"] == {"url": "https://y.example", "model": "small"}
    # omitted secrets are kept: the connector still runs
    run = server.request("POST", f"{one}/_execute", json={"params": {"text": "hi"}})
    assert run.json()["status"] == "ok"

    deleted = server.request("DELETE", one)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (
        error(server.request("GET", one), 404) == f"Saved object [action/{created['id']}] not found"
    )
    assert error(server.request("DELETE", one), 404).endswith("not found")


def test_create_with_an_id_and_the_id_rules(server: Server) -> None:
    prefix = f"/s/{space()}"
    created = server.request(
        "POST", f"{prefix}/api/actions/connector/my-echo", json={**ECHO, "secrets": {"token": "t"}}
    )
    assert created.status_code == 200
    assert created.json()["id"] == "my-echo"
    again = server.request(
        "POST", f"{prefix}/api/actions/connector/my-echo", json={**ECHO, "secrets": {"token": "t"}}
    )
    assert error(again, 409) == "Saved object [action/my-echo] conflict"
    bad = server.request(
        "POST", f"{prefix}/api/actions/connector/My_Echo", json={**ECHO, "secrets": {"token": "t"}}
    )
    assert error(bad, 400) == (
        "Connector ID must contain only lowercase letters, numbers, and hyphens."
    )
    long_id = "a" * 37
    too_long = server.request(
        "POST",
        f"{prefix}/api/actions/connector/{long_id}",
        json={**ECHO, "secrets": {"token": "t"}},
    )
    assert error(too_long, 400) == "Connector ID must be 36 characters or less."


def test_list_is_sorted_by_name_with_referenced_by_count_and_preconfigured(server: Server) -> None:
    prefix = f"/s/{space()}"
    create(server, prefix, name="b connector")
    create(server, prefix, name="A connector")
    found = server.request("GET", f"{prefix}/api/actions/connectors").json()
    assert [c["name"] for c in found] == [
        "A connector",
        "b connector",
        "Preconfigured echo",
        "Preconfigured log",
    ]
    assert all(c["referenced_by_count"] == 0 for c in found)
    pre = next(c for c in found if c["id"] == "pre-echo")
    assert pre == {
        "id": "pre-echo",
        "name": "Preconfigured echo",
        "connector_type_id": ".echo",
        "is_preconfigured": True,
        "is_deprecated": False,
        "is_system_action": False,
        "referenced_by_count": 0,
    }


def test_spaces_are_isolated_and_preconfigured_connectors_are_everywhere(server: Server) -> None:
    one, two = space(), space()
    created = create(server, f"/s/{one}")
    path = f"/api/actions/connector/{created['id']}"
    assert server.request("GET", f"/s/{one}{path}").status_code == 200
    assert server.request("GET", f"/s/{two}{path}").status_code == 404
    assert server.request("GET", path).status_code == 404  # the default space
    assert server.request("DELETE", f"/s/{two}{path}").status_code == 404
    assert server.request("PUT", f"/s/{two}{path}", json={"name": "x"}).status_code == 404
    run = server.request("POST", f"/s/{two}{path}/_execute", json={"params": {"text": "x"}})
    assert run.status_code == 404
    ids = {c["id"] for c in server.request("GET", f"/s/{two}/api/actions/connectors").json()}
    assert ids == {"pre-echo", "pre-log"}
    for where in (f"/s/{one}", f"/s/{two}", ""):
        assert server.request("GET", f"{where}/api/actions/connector/pre-log").status_code == 200


def test_a_malformed_space_id_is_a_400(server: Server) -> None:
    message = error(server.request("GET", "/s/Not%20A%20Space/api/actions/connectors"), 400)
    assert "Space ID" in message


def test_preconfigured_connectors_cannot_be_changed(server: Server) -> None:
    path = "/api/actions/connector/pre-echo"
    assert error(server.request("PUT", path, json={"name": "x"}), 400) == (
        "Preconfigured action pre-echo can not be updated."
    )
    assert error(server.request("DELETE", path), 400) == (
        "Preconfigured action pre-echo is not allowed to delete."
    )
    created = server.request("POST", path, json={**ECHO, "secrets": {"token": "t"}})
    assert error(created, 400) == "This pre-echo already exists in a preconfigured action."
    run = server.request("POST", f"{path}/_execute", json={"params": {"text": "still runs"}})
    assert run.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"connector_type_id": ".echo"},
            "[request body.name]: expected value of type [string] but got [undefined]",
        ),
        (
            {**ECHO, "name": 5},
            "[request body.name]: expected value of type [string] but got [number]",
        ),
        ({**ECHO, "name": "  "}, "[request body.name]: value '' is not valid"),
        ({**ECHO, "config": {"url": ""}}, "[request body.config.url]: value '' is not valid"),
        (
            {**ECHO, "secrets": {"token": " "}},
            "[request body.secrets.token]: value '' is not valid",
        ),
        (
            {**ECHO, "config": []},
            "[request body.config]: expected value of type [object] but got [Array]",
        ),
        ({**ECHO, "extra": 1}, "[request body.extra]: definition for this key is missing"),
        ([ECHO], "[request body]: expected a plain object value, but found [Array] instead."),
        (None, "[request body]: expected a plain object value, but found [undefined] instead."),
        ({**ECHO, "connector_type_id": ".nope"}, 'Action type ".nope" is not registered.'),
    ],
)
def test_create_body_problems_are_400_in_kibanas_words(server: Server, body, message) -> None:
    prefix = f"/s/{space()}"
    content = None if body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"}
    response = server.request(
        "POST", f"{prefix}/api/actions/connector", content=content, headers=headers
    )
    assert error(response, 400) == message
    assert server.request("GET", f"{prefix}/api/actions/connectors").json()[0]["is_preconfigured"]


def test_type_validation_errors_name_the_field(server: Server) -> None:
    response = server.request("POST", "/api/actions/connector", json={**ECHO, "secrets": {}})
    assert error(response, 400).startswith("error validating connector type secrets:")
    assert "token" in response.json()["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "message"),
    [
        ('{"name": "x",', "application/json", 400, "Invalid request payload JSON format"),
        ('{"name": NaN}', "application/json", 400, "[request body.name]: expected a finite"),
        ("name=x", "application/x-www-form-urlencoded", 400, "Unsupported Content-Type"),
        ('{"name": "x"}', "text/plain", 400, "Unsupported Content-Type"),
    ],
)
def test_bad_json_and_wrong_content_types_are_400_and_store_nothing(
    server: Server, content, content_type, status, message
) -> None:
    prefix = f"/s/{space()}"
    response = server.request(
        "POST",
        f"{prefix}/api/actions/connector/should-not-exist",
        content=content,
        headers={"Content-Type": content_type},
    )
    assert message in error(response, status)
    assert "detail" not in response.text
    assert (
        server.request("GET", f"{prefix}/api/actions/connector/should-not-exist").status_code == 404
    )


def test_huge_bodies_are_413_and_store_nothing(server: Server) -> None:
    prefix = f"/s/{space()}"
    huge = {**ECHO, "secrets": {"token": "t"}, "config": {"url": "x" * (MAX_PAYLOAD + 10)}}
    path = f"{prefix}/api/actions/connector/huge"
    response = server.request("POST", path, json=huge)
    assert error(response, 413) == (
        f"Payload content length greater than maximum allowed: {MAX_PAYLOAD}"
    )

    def chunked():  # no Content-Length: the limit is enforced while reading
        yield b'{"name": "huge", "connector_type_id": ".echo", "config": {"url": "'
        for _ in range(MAX_PAYLOAD // 4096 + 2):
            yield b"x" * 4096
        yield b'"}}'

    response = server.request(
        "POST", path, content=chunked(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert server.request("GET", path).status_code == 404


def test_writes_need_kbn_xsrf(server: Server) -> None:
    prefix = f"/s/{space()}"
    body = {**ECHO, "secrets": {"token": "t"}}
    response = server.request("POST", f"{prefix}/api/actions/connector/x1", json=body, xsrf=False)
    assert error(response, 400) == "Request must contain a kbn-xsrf header."
    assert server.request("GET", f"{prefix}/api/actions/connector/x1").status_code == 404
    for method in ("PUT", "DELETE"):
        assert (
            server.request(method, "/api/actions/connector/pre-log", xsrf=False).status_code == 400
        )
    run = server.request(
        "POST", "/api/actions/connector/pre-log/_execute", json={"params": {}}, xsrf=False
    )
    assert error(run, 400) == "Request must contain a kbn-xsrf header."


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_put_and_delete_of_a_stored_connector_need_kbn_xsrf(server: Server, method: str) -> None:
    prefix = f"/s/{space()}"
    created = create(server, prefix)
    path = f"{prefix}/api/actions/connector/{created['id']}"
    body = {"name": "Renamed", "config": {"url": "https://y.example"}}
    kwargs = {"json": body} if method == "PUT" else {}
    response = server.request(method, path, xsrf=False, **kwargs)
    assert error(response, 400) == "Request must contain a kbn-xsrf header."
    assert server.request("GET", path).json() == created  # neither renamed nor deleted
    # the same request with the header goes through: the body was valid
    assert server.request(method, path, **kwargs).status_code in (200, 204)


def test_update_body_problems(server: Server) -> None:
    created = create(server, f"/s/{space()}")
    path = f"/s/{space()}/api/actions/connector/{created['id']}"
    assert error(server.request("PUT", path, json={"config": {}}), 400) == (
        "[request body.name]: expected value of type [string] but got [undefined]"
    )
    assert error(
        server.request("PUT", path, json={"name": "x", "connector_type_id": ".echo"}), 400
    ) == ("[request body.connector_type_id]: definition for this key is missing")


def test_secrets_are_never_returned(server: Server) -> None:
    prefix = f"/s/{space()}"
    created = create(server, prefix)
    texts = [
        server.request("GET", f"{prefix}/api/actions/connector/{created['id']}").text,
        server.request("GET", f"{prefix}/api/actions/connectors").text,
        server.request("GET", "/api/actions/connector/pre-echo").text,
        server.request(
            "POST",
            f"{prefix}/api/actions/connector/{created['id']}/_execute",
            json={"params": {"text": "a"}},
        ).text,
    ]
    for text in texts:
        assert SECRET not in text
        assert PRE_SECRET not in text
        body = json.loads(text)
        for item in body if isinstance(body, list) else [body]:
            assert "secrets" not in item


def test_connector_types_with_schemas_and_feature_filter(server: Server) -> None:
    types = server.request("GET", "/api/actions/connector_types").json()
    by_id = {t["id"]: t for t in types}
    assert {".echo", ".server-log", ".tokens"} <= set(by_id)
    echo = by_id[".echo"]  # Kibana's fields: checked against the document in test_openapi
    assert echo["config_schema"]["required"] == ["url"]
    assert echo["secrets_schema"]["properties"]["token"]["type"] == "string"
    assert echo["params_schema"]["required"] == ["text"]
    gen = server.request("GET", "/api/actions/connector_types?feature_id=generativeAIForSecurity")
    assert [t["id"] for t in gen.json()] == [".tokens"]
    assert server.request("GET", "/api/actions/connector_types?feature_id=nothing").json() == []


def test_unknown_routes_and_methods_answer_in_kibanas_shape(server: Server) -> None:
    assert error(server.request("GET", "/api/actions/nothing-here"), 404) == "Not Found"
    assert error(server.request("PATCH", "/api/actions/connectors"), 405) == "Method Not Allowed"


def test_health_check_needs_no_auth(server: Server) -> None:
    response = server.request("GET", "/api/status", who=None)
    assert response.status_code == 200
    assert response.json()["status"]["overall"]["level"] == "available"
