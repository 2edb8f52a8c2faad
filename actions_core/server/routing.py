"""Registering a route twice: in the default space and under ``/s/{spaceId}``, as Kibana does."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from actions_core.server.openapi import SPACE_PARAMETER, XSRF_PARAMETER

__all__ = ["add_route"]


def add_route(
    router: APIRouter,
    method: str,
    path: str,
    endpoint: Callable[..., Any],
    *,
    operation_id: str,
    summary: str,
    responses: dict[int | str, Any],
    body: dict[str, Any] | None = None,
    status_code: int = 200,
    tags: tuple[str, ...] = ("connectors",),
    description: str | None = None,
    response_class: Any = None,
    route_class: type[APIRoute] | None = None,
) -> None:
    """``path`` (default space) and ``/s/{spaceId}`` + ``path``, with Kibana's operation ids
    (``getConnector`` / ``getConnectorWithSpaceId``) and the ``kbn-xsrf`` header on writes.
    ``route_class``: an :class:`APIRoute` of the route's own (how it handles a request)."""
    for spaced in (False, True):
        extra: dict[str, Any] = copy.deepcopy(body) if body else {}
        parameters = []
        if spaced:
            parameters.append(SPACE_PARAMETER)
        if method != "GET":
            parameters.append(XSRF_PARAMETER)
        if parameters:
            extra["parameters"] = copy.deepcopy(parameters)
        kwargs: dict[str, Any] = {}
        if response_class is not None:
            kwargs["response_class"] = response_class
        if route_class is not None:
            kwargs["route_class_override"] = route_class
        router.add_api_route(
            f"/s/{{spaceId}}{path}" if spaced else path,
            endpoint,
            methods=[method],
            operation_id=f"{operation_id}WithSpaceId" if spaced else operation_id,
            summary=summary,
            description=description,
            responses=copy.deepcopy(responses),
            status_code=status_code,
            tags=list(tags),
            openapi_extra=extra or None,
            response_model=None,
            **kwargs,
        )
