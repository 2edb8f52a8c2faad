"""Kibana's error bodies: every error answers ``{statusCode, error, message}``.

FastAPI's own shapes (``{"detail": ...}``, the 422 validation body) never reach a client: request
validation problems answer 400 in Kibana's phrasing, unknown routes 404, anything unexpected 500
with Kibana's ``An internal server error occurred.`` (the details go to the server log only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from actions_core.errors import ActionsError

__all__ = ["HttpError", "error_body", "error_response", "install_error_handlers"]

_log = logging.getLogger("actions_core.server")
INTERNAL_ERROR = "An internal server error occurred."


class HttpError(Exception):
    """An error the HTTP layer answers with directly (auth, xsrf, body problems)."""

    def __init__(
        self, status_code: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = dict(headers or {})


def error_body(status_code: int, message: str) -> dict[str, Any]:
    return {"statusCode": status_code, "error": _phrase(status_code), "message": message}


def error_response(
    status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status_code, message), status_code, headers=dict(headers or {}))


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def _location(loc: tuple[Any, ...]) -> str:
    where, *path = loc or ("request",)
    prefix = {"body": "request body", "query": "request query", "path": "request params"}
    name = prefix.get(str(where), f"request {where}")
    return ".".join([name, *map(str, path)])


def validation_message(err: RequestValidationError) -> str:
    problems = []
    for problem in err.errors():
        problems.append(f"[{_location(tuple(problem.get('loc', ())))}]: {problem.get('msg')}")
    return "; ".join(problems) or "invalid request"


def _answer(
    request: Request, status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Kibana's JSON error body, or for a browser asking for a page an HTML error page."""
    from actions_core.server import webauth  # the pages import this module

    if webauth.wants_html(request):
        return webauth.error_page(request, status_code, message)
    return error_response(status_code, message, headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HttpError)
    async def _http_error(request: Request, err: HttpError) -> Response:
        return _answer(request, err.status_code, err.message, err.headers)

    @app.exception_handler(ActionsError)
    async def _actions_error(request: Request, err: ActionsError) -> Response:
        if err.status_code >= 500:
            _log.error("%s %s failed: %s", request.method, request.url.path, err.message)
            return _answer(request, 500, INTERNAL_ERROR)
        from actions_core.server import webauth

        if webauth.wants_html(request):
            return webauth.error_page(request, err.status_code, err.message)
        return JSONResponse(err.to_body(), err.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, err: RequestValidationError) -> Response:
        return _answer(request, 400, validation_message(err))

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(request: Request, err: StarletteHTTPException) -> Response:
        detail = err.detail if isinstance(err.detail, str) else _phrase(err.status_code)
        return _answer(request, err.status_code, detail, getattr(err, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> Response:
        _log.exception("%s %s failed", request.method, request.url.path)
        return _answer(request, 500, INTERNAL_ERROR)
