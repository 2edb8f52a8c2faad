"""The service's own OpenAPI document: complete, consistent, and fuzzed with schemathesis."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from actions_core.server import (
    OPENAPI_URL,
    build_openapi,
    create_app,
    dashboard,
    routes_connectors,
    routes_execute,
    routes_queue,
    usage,
)
from tests.server.conftest import Server
from tests.support import KEY

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def document(server: Server) -> dict[str, Any]:
    response = server.request("GET", OPENAPI_URL, who="reader")
    assert response.status_code == 200
    return response.json()


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_route_is_described(make_actions) -> None:
    app = create_app(make_actions(config={"actions": {"encryptionKey": KEY}}))
    document = build_openapi(app)
    described = {(p, m.upper()) for p, m, _ in operations(document)}
    routers = [
        dashboard.router,
        routes_connectors.router,
        routes_execute.router,
        routes_queue.router,
        usage.router,
    ]
    routes = {
        (route.path, method)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert routes | {("/api/status", "GET")} == described
    kibana = {
        "/api/actions/connector",
        "/api/actions/connector/{connectorId}",
        "/api/actions/connector/{connectorId}/_execute",
        "/api/actions/connectors",
        "/api/actions/connector_types",
    }
    for path in kibana:
        assert path in document["paths"]
        assert f"/s/{{spaceId}}{path}" in document["paths"]


def test_operations_declare_auth_xsrf_errors_and_unique_ids(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert {"createConnector", "createConnectorId", "getConnector", "getConnectors"} <= set(ids)
    assert "runConnectorWithSpaceId" in ids
    for path, method, op in operations(document):
        names = {p["name"] for p in op.get("parameters", [])}
        for placeholder in re.findall(r"{(\w+)}", path):
            assert placeholder in names, (path, placeholder)
        if path == "/api/status":
            assert op["security"] == []
            continue
        assert "401" in op["responses"], (path, method)
        assert "422" not in op["responses"]
        if method != "get":
            assert "kbn-xsrf" in names, (path, method)
    assert document["components"]["securitySchemes"]["apiKeyAuth"]["name"] == "Authorization"
    assert document["security"] == [{"apiKeyAuth": []}, {"basicAuth": []}]


def test_component_schemas_are_valid_and_every_ref_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(document)))
    assert refs <= set(schemas)


def test_responses_match_the_documented_schemas(server: Server, document: dict[str, Any]) -> None:
    registry_doc = {"$defs": document["components"]["schemas"]}

    def check(schema_name: str, value: Any) -> None:
        text = json.dumps(registry_doc).replace("#/components/schemas/", "#/$defs/")
        schema = {**json.loads(text), "$ref": f"#/$defs/{schema_name}"}
        Draft202012Validator(schema).validate(value)

    created = server.request(
        "POST",
        "/s/openapi/api/actions/connector",
        json={
            "name": "o",
            "connector_type_id": ".echo",
            "config": {"url": "u"},
            "secrets": {"token": "t"},
        },
    )
    check("Connector", created.json())
    for item in server.request("GET", "/s/openapi/api/actions/connectors").json():
        check("Connector", item)
    for item in server.request("GET", "/api/actions/connector_types").json():
        check("ConnectorType", item)
    run = server.request(
        "POST",
        f"/s/openapi/api/actions/connector/{created.json()['id']}/_execute",
        json={"params": {}},
    )
    check("RunConnectorResponse", run.json())
    check("Error", server.request("GET", "/api/actions/connector/nope").json())
    usage = server.request("GET", "/api/actions/connector/pre-log/_usage").json()
    check("UsageReport", usage)


# --- property-based fuzzing against the running service -----------------------------------


@pytest.fixture(scope="module")
def api_schema(server: Server, document: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=server.url, request_timeout=20)
    return schema


FUZZ_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def test_fuzzing_with_valid_requests_conforms_to_the_document(api_schema, server: Server) -> None:
    headers = {"Authorization": server.auth(), "kbn-xsrf": "fuzz"}

    @FUZZ_SETTINGS
    @given(case=api_schema.as_strategy(GenerationMode.POSITIVE))
    def run(case: Any) -> None:
        case.call_and_validate(
            headers=headers,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )

    run()


def test_fuzzing_with_invalid_requests_finds_no_server_errors(api_schema, server: Server) -> None:
    headers = {"Authorization": server.auth(), "kbn-xsrf": "fuzz"}

    @FUZZ_SETTINGS
    @given(case=api_schema.as_strategy(GenerationMode.NEGATIVE))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    run()


def test_fuzzing_an_existing_connector_finds_no_server_errors(api_schema, server: Server) -> None:
    """Random ids rarely exist: pin the path to a real connector so the success paths run too."""
    headers = {"Authorization": server.auth(), "kbn-xsrf": "fuzz"}
    body = {
        "name": "fuzzed",
        "connector_type_id": ".echo",
        "config": {"url": "u"},
        "secrets": {"token": "t"},
    }
    created = server.request("POST", "/s/fuzz/api/actions/connector/fuzzed", json=body)
    assert created.status_code == 200
    statuses: set[int] = set()

    @FUZZ_SETTINGS
    @given(
        case=api_schema.as_strategy(
            GenerationMode.POSITIVE, path_parameters={"connectorId": "fuzzed", "spaceId": "fuzz"}
        )
    )
    def run(case: Any) -> None:
        if case.method == "DELETE":
            return
        response = case.call_and_validate(
            headers=headers,
            checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
        )
        statuses.add(response.status_code)

    run()
    assert 200 in statuses
