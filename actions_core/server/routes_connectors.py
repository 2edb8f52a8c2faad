"""Kibana's connector routes: create, get, list, update, delete and connector types.

Each write is audited (``User is creating connector [id=…]`` before, ``User has created …``
after, ``Failed attempt to create …`` on failure); reads of single connectors and listings are
audited as accesses. Work that touches the database runs in the thread pool.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from actions_core.server.audit import AuditRequest
from actions_core.server.auth import Principal, ensure_allowed
from actions_core.server.bodies import read_json, validate_create_body, validate_update_body
from actions_core.server.deps import (
    CALLER,
    SPACE,
    ServerState,
    audit_request,
    audited,
    server_state,
)
from actions_core.server.errors import HttpError
from actions_core.server.openapi import json_body, ref, responses
from actions_core.server.routing import add_route

__all__ = ["router", "start_write"]

router = APIRouter()
CONNECTOR = ref("Connector")
CONNECTOR_ID = Path(alias="connectorId", description="An identifier for the connector.")


def start_write(
    state: ServerState,
    principal: Principal,
    audit: AuditRequest,
    operation: str,
    connector_id: str,
    type_id: str | None = None,
) -> str:
    """Refuse (audited) a caller whose role does not allow ``operation``, else audit the attempt
    (``User is creating …``); the audit action of the write."""
    action = f"connector_{operation}"
    try:
        ensure_allowed(principal, operation, type_id)
    except HttpError as err:
        state.audit.log(action, audit, connector_id, error=err)
        raise
    state.audit.log(action, audit, connector_id, outcome="unknown")
    return action


async def _create(
    request: Request, principal: Principal, space: str, connector_id: str | None
) -> dict[str, Any]:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    body = validate_create_body(await read_json(request, state.max_payload))
    new_id = connector_id if connector_id is not None else str(uuid.uuid4())
    action = start_write(state, principal, audit, "create", new_id, body["connector_type_id"])
    connector = await audited(
        state,
        action,
        audit,
        new_id,
        state.actions.connectors.create,
        connector_type_id=body["connector_type_id"],
        name=body["name"],
        config=body["config"],
        secrets=body["secrets"],
        id=new_id,
        space_id=space,
    )
    return connector.to_api()


async def create_connector(
    request: Request,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> dict[str, Any]:
    return await _create(request, principal, space, None)


async def create_connector_with_id(
    request: Request,
    connector_id: str = CONNECTOR_ID,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> dict[str, Any]:
    return await _create(request, principal, space, connector_id)


async def get_connector(
    request: Request,
    connector_id: str = CONNECTOR_ID,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> dict[str, Any]:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    connector = await audited(
        state,
        "connector_get",
        audit,
        connector_id,
        state.actions.connectors.get,
        connector_id,
        space_id=space,
    )
    return connector.to_api()


async def list_connectors(
    request: Request,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> list[dict[str, Any]]:
    """Saved connectors of the space and every preconfigured one, sorted by name.

    ``referenced_by_count`` is 0: nothing in actions-core references connectors yet.
    """
    state = server_state(request)
    audit = audit_request(request, principal, space)
    found = await run_in_threadpool(state.actions.connectors.list, space_id=space)
    for connector in found:
        state.audit.log("connector_find", audit, connector.id)
    return [c.to_api(referenced_by_count=0) for c in found]


async def update_connector(
    request: Request,
    connector_id: str = CONNECTOR_ID,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> dict[str, Any]:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    body = validate_update_body(await read_json(request, state.max_payload))
    action = start_write(state, principal, audit, "update", connector_id)
    connector = await audited(
        state,
        action,
        audit,
        connector_id,
        state.actions.connectors.update,
        connector_id,
        name=body["name"],
        config=body["config"],
        secrets=body["secrets"],
        space_id=space,
    )
    return connector.to_api()


async def delete_connector(
    request: Request,
    connector_id: str = CONNECTOR_ID,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    action = start_write(state, principal, audit, "delete", connector_id)
    await audited(
        state,
        action,
        audit,
        connector_id,
        state.actions.connectors.delete,
        connector_id,
        space_id=space,
    )
    return Response(status_code=204)


async def list_connector_types(
    request: Request,
    feature_id: str | None = None,
    principal: Principal = CALLER,
    space: str = SPACE,
) -> list[dict[str, Any]]:
    """Kibana's fields plus each type's JSON Schemas (config, secrets, params, sub-actions)."""
    infos = server_state(request).actions.types(feature_id or None)
    return [info.to_api() for info in infos]


_ONE = "/api/actions/connector/{connectorId}"

add_route(
    router,
    "POST",
    "/api/actions/connector",
    create_connector,
    operation_id="createConnector",
    summary="Create a connector (with a random id).",
    responses=responses(200, CONNECTOR, 400, 403, 409, 413),
    body=json_body("CreateConnectorRequest"),
)
add_route(
    router,
    "GET",
    _ONE,
    get_connector,
    operation_id="getConnector",
    summary="Get a connector by id.",
    responses=responses(200, CONNECTOR, 400, 404),
)
add_route(
    router,
    "DELETE",
    _ONE,
    delete_connector,
    operation_id="deleteConnector",
    summary="Delete a connector.",
    responses=responses(204, None, 400, 403, 404),
    status_code=204,
    response_class=Response,
)
add_route(
    router,
    "POST",
    _ONE,
    create_connector_with_id,
    operation_id="createConnectorId",
    summary="Create a connector with the given id.",
    responses=responses(200, CONNECTOR, 400, 403, 409, 413),
    body=json_body("CreateConnectorRequest"),
)
add_route(
    router,
    "PUT",
    _ONE,
    update_connector,
    operation_id="updateConnector",
    summary="Update a connector's name, config and secrets.",
    responses=responses(200, CONNECTOR, 400, 403, 404, 409, 413),
    body=json_body("UpdateConnectorRequest"),
)
add_route(
    router,
    "GET",
    "/api/actions/connectors",
    list_connectors,
    operation_id="getConnectors",
    summary="List the space's connectors and the preconfigured ones, sorted by name.",
    responses=responses(200, {"type": "array", "items": CONNECTOR}, 400),
)
add_route(
    router,
    "GET",
    "/api/actions/connector_types",
    list_connector_types,
    operation_id="getConnectorTypes",
    summary="List the connector types, with their JSON Schemas.",
    responses=responses(200, {"type": "array", "items": ref("ConnectorType")}, 400),
)
