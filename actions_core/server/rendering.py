"""Rendering the UI's Jinja2 templates (``templates/``), and serving its own CSS and JavaScript.

Templates and static files are package data (``templates/``, ``static/``): all written for this
project, nothing third-party. Pages answer with a Content-Security-Policy that allows only this
origin's script and style files, so no inline script can ever run.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from actions_core.server.forms import SHOWN, controllers, visible_in

__all__ = ["CSP", "STATIC", "add_page", "prefix", "render", "router"]

STATIC = "/app/static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

router = APIRouter()


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("actions_core.server", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["STATIC"] = STATIC
    env.globals["is_visible"] = visible_in
    env.globals["controllers"] = controllers
    env.globals["SHOWN"] = SHOWN
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


def prefix(space: str) -> str:
    """The URL prefix of a space's pages: empty for the default space."""
    return "" if space == "default" else f"/s/{quote(space)}"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with ``context`` plus what every page shows (the caller, the space)."""
    session = getattr(request.state, "session", None)
    principal = getattr(request.state, "principal", None)
    space = context.pop("space", "default")
    html = (
        _environment()
        .get_template(template)
        .render(
            principal=principal,
            csrf_token=session.csrf_token if session is not None else "",
            space=space,
            base=prefix(space),
            **context,
        )
    )
    return HTMLResponse(
        html,
        status_code,
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"},
    )


@router.get(STATIC + "/{name}", include_in_schema=False)
async def static_file(name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    media = _TYPES.get(suffix)
    if media is None or "/" in name or name.startswith("."):
        return Response("Not Found", 404, media_type="text/plain")
    file = resources.files("actions_core.server").joinpath("static", name)
    if not file.is_file():
        return Response("Not Found", 404, media_type="text/plain")
    return Response(
        file.read_bytes(),
        media_type=media,
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def add_page(router: APIRouter, method: str, path: str, endpoint: Any) -> None:
    """A page in the default space and under ``/s/{spaceId}`` (not part of the API document)."""
    for full in (path, f"/s/{{spaceId}}{path}"):
        router.add_api_route(
            full,
            endpoint,
            methods=[method],
            include_in_schema=False,
            response_class=HTMLResponse,
            response_model=None,
        )
