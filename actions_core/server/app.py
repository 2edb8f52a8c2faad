"""``create_app(actions)``: the Kibana-compatible HTTP service as a FastAPI application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi

from actions_core import __version__
from actions_core.actions import Actions
from actions_core.server.apikeys import ApiKeyStore
from actions_core.server.audit import AUDIT_FILE, AuditLog
from actions_core.server.auth import Authenticator, Principal
from actions_core.server.dashboard import router as dashboard_router
from actions_core.server.dashboard import usage_page_urls
from actions_core.server.deps import CALLER, ServerState
from actions_core.server.errors import install_error_handlers
from actions_core.server.openapi import COMPONENTS, SECURITY, json_content, ref
from actions_core.server.rendering import router as static_router
from actions_core.server.routes_connectors import router as connectors_router
from actions_core.server.routes_execute import router as execute_router
from actions_core.server.routes_queue import router as queue_router
from actions_core.server.sessions import SessionStore
from actions_core.server.throttle import LoginThrottle
from actions_core.server.ui_connector import router as ui_connector_router
from actions_core.server.ui_list import router as ui_list_router
from actions_core.server.usage import router as usage_router
from actions_core.server.webauth import LoginRequired, login_redirect
from actions_core.server.webauth import router as webauth_router

__all__ = ["OPENAPI_URL", "create_app"]

OPENAPI_URL = "/api/actions/openapi.json"
STATUS_PATH = "/api/status"
_DOCUMENTED = "documented_routes"  # app.state: the routes in the OpenAPI document's order


def create_app(
    actions: Actions,
    *,
    keys: ApiKeyStore | None = None,
    audit: AuditLog | None = None,
    max_payload: int | None = None,
) -> FastAPI:
    """The HTTP service over ``actions``. Auth users and the body limit come from
    ``actions.settings`` (``server.users``, ``server.maxPayload``) unless given here. With
    ``server.publicBaseUrl`` set, executors of ``actions`` see their usage page's URL there
    (``ctx.dashboard_url``) unless someone (``serve``) already told them another."""
    server = actions.settings.actions.server
    if actions.dashboard_url is None and server.publicBaseUrl:
        actions.dashboard_url = usage_page_urls(server.publicBaseUrl)
    keys = keys or ApiKeyStore(actions.engine)  # API keys live in the store's database
    state = ServerState(
        actions=actions,
        keys=keys,
        auth=Authenticator(keys, server.users),
        audit=audit or AuditLog(Path(actions.data_dir) / AUDIT_FILE),
        max_payload=max_payload or server.maxPayload,
        sessions=SessionStore(actions.engine, server.sessionLifetime),
        throttle=LoginThrottle(),
    )
    app = FastAPI(
        title="actions-core",
        version=__version__,
        description=(
            "Kibana's connector (actions) API: connectors, connector types and execution, "
            "in the default space and under `/s/{spaceId}`, plus token usage."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.server = state
    install_error_handlers(app)
    app.add_exception_handler(LoginRequired, _to_login)
    # ``_execute`` is matched first (it is most of the traffic, and no other route matches its
    # paths); the OpenAPI document lists the routes in the order below (``_DOCUMENTED``)
    app.include_router(execute_router)
    executes = len(app.routes)
    app.include_router(_status_router())
    app.include_router(connectors_router)
    connectors = len(app.routes)
    app.include_router(queue_router)
    app.include_router(usage_router)
    app.include_router(webauth_router)
    app.include_router(static_router)
    app.include_router(ui_list_router)
    app.include_router(dashboard_router)  # before the connector page: …/{id}/usage
    app.include_router(ui_connector_router)
    app.include_router(_openapi_router(app))
    routes = list(app.routes)
    documented = routes[executes:connectors] + routes[:executes] + routes[connectors:]
    setattr(app.state, _DOCUMENTED, documented)
    return app


async def _to_login(request: Request, err: Exception) -> Response:
    assert isinstance(err, LoginRequired)
    return login_redirect(err.next_url)


def _status_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        STATUS_PATH,
        operation_id="getStatus",
        summary="Health check (no authentication).",
        tags=["system"],
        responses={200: {"description": "Available.", "content": json_content(ref("Status"))}},
        openapi_extra={"security": []},
    )
    async def status() -> dict[str, Any]:
        return {
            "name": "actions-core",
            "version": {"number": __version__},
            "status": {"overall": {"level": "available", "summary": "All services available"}},
        }

    return router


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=getattr(app.state, _DOCUMENTED, app.routes),
        )
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                # bodies and parameters are checked by our code: a 422 never happens
                operation.get("responses", {}).pop("422", None)
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schemas.update(COMPONENTS["schemas"])
        components["securitySchemes"] = COMPONENTS["securitySchemes"]
        document["security"] = SECURITY
        document["servers"] = [{"url": "/"}]
        app.openapi_schema = document
    return app.openapi_schema


def _openapi_router(app: FastAPI) -> APIRouter:
    router = APIRouter()

    @router.get(OPENAPI_URL, include_in_schema=False)
    async def openapi(principal: Principal = CALLER) -> dict[str, Any]:
        return build_openapi(app)

    return router
