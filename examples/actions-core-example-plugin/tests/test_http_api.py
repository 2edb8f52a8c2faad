"""The example's types through the HTTP service, with the kit's API-key clients."""

from __future__ import annotations


def test_types_are_listed_with_their_schemas(actions_http):
    response = actions_http.get("/api/actions/connector_types")

    assert response.status_code == 200
    types = {t["id"]: t for t in response.json()}
    assert types["example.greeting"]["params_schema"]["required"] == ["name"]


def test_greeting_over_http(actions_http):
    created = actions_http.post(
        "/api/actions/connector",
        json={"name": "greeter", "connector_type_id": "example.greeting", "config": {}},
    )
    assert created.status_code == 200, created.text
    connector_id = created.json()["id"]

    executed = actions_http.post(
        f"/api/actions/connector/{connector_id}/_execute", json={"params": {"name": "Ada"}}
    )

    assert executed.json() == {
        "status": "ok",
        "data": {"message": "Hello, Ada!"},
        "connector_id": connector_id,
    }


def test_a_read_key_runs_connectors_but_cannot_create_them(actions, actions_http_read):
    greeter = actions.connectors.create(connector_type_id="example.greeting", name="greeter")

    refused = actions_http_read.post(
        "/api/actions/connector",
        json={"name": "other", "connector_type_id": "example.greeting", "config": {}},
    )
    executed = actions_http_read.post(
        f"/api/actions/connector/{greeter.id}/_execute", json={"params": {"name": "Ada"}}
    )

    assert refused.status_code == 403
    assert executed.json()["data"] == {"message": "Hello, Ada!"}
