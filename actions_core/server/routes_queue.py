"""Queued execution over HTTP (our extension, see docs/differences.md).

``POST …/connector/{id}/_enqueue`` (``{params}`` → 202 ``{"execution_id"}``) and
``GET …/execution/{id}``, with ``_execute``'s roles, spaces, ``kbn-xsrf`` and audit records: an
enqueue is audited as ``connector_execute``, reading an execution as ``connector_get`` of its
connector. An execution is visible only in the space it was queued in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from actions_core.errors import NotFoundError
from actions_core.server.auth import Principal, ensure_allowed
from actions_core.server.bodies import read_json, validate_execute_body
from actions_core.server.deps import CALLER, SPACE, audit_request, audited, server_state
from actions_core.server.openapi import json_body, responses
from actions_core.server.routing import add_route

__all__ = ["router"]

router = APIRouter()

_EXECUTION_ID = {"type": "object", "properties": {"execution_id": {"type": "string"}}}
_EXECUTION = {"type": "object", "additionalProperties": True}


async def enqueue_connector(
    request: Request,
    connector_id: str = Path(alias="connectorId", description="An identifier for the connector."),
    principal: Principal = CALLER,
    space: str = SPACE,
) -> JSONResponse:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    body = validate_execute_body(await read_json(request, state.max_payload))
    ensure_allowed(principal, "execute")
    execution_id = await audited(
        state,
        "connector_execute",
        audit,
        connector_id,
        state.actions.enqueue,
        connector_id,
        body["params"],
        space_id=space,
        source="http_request",
        user=principal.event_user,
    )
    return JSONResponse({"execution_id": execution_id}, status_code=202)


async def get_execution(
    request: Request,
    execution_id: str = Path(alias="executionId", description="The execution's id."),
    principal: Principal = CALLER,
    space: str = SPACE,
) -> dict[str, Any]:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    ensure_allowed(principal, "get")

    def read() -> dict[str, Any]:
        execution = state.actions.executions.get(execution_id)
        if execution.space_id != space:
            raise NotFoundError(f"Execution [{execution_id}] not found")
        return execution.to_api()

    found = await audited(state, "connector_get", audit, None, read)
    return found


add_route(
    router,
    "POST",
    "/api/actions/connector/{connectorId}/_enqueue",
    enqueue_connector,
    operation_id="enqueueConnector",
    summary="Queue an execution of a connector (actions-core extension).",
    description="Runs on a worker with Kibana's retries; poll the execution for its result.",
    responses=responses(202, _EXECUTION_ID, 400, 403, 404, 413, 429),
    body=json_body("RunConnectorRequest"),
    status_code=202,
)
add_route(
    router,
    "GET",
    "/api/actions/execution/{executionId}",
    get_execution,
    operation_id="getExecution",
    summary="Get a queued execution (actions-core extension).",
    responses=responses(200, _EXECUTION, 403, 404),
)
