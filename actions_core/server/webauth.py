"""Signing in to the browser UI: ``/login``, ``/logout``, ``/``, the page caller and CSRF.

A page's caller is the session of its cookie (or, for scripts, an ``Authorization`` header as
on the API). Without either, a page answers a redirect to ``/login?next=<page>``. Forms are
protected against cross-site requests three ways: the cookie is ``SameSite=Strict``, every form
carries the session's CSRF token (checked on POST, in constant time), and a POST whose
``Origin`` (or ``Sec-Fetch-Site``) says it comes from another site is refused before anything
happens. Page POSTs need a session: a cached Basic credential alone cannot change anything.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from actions_core.errors import NotFoundError
from actions_core.server.auth import Principal
from actions_core.server.deps import ServerState, server_state
from actions_core.server.errors import HttpError
from actions_core.server.rendering import render
from actions_core.server.sessions import COOKIE, Session

__all__ = [
    "PAGE_CALLER",
    "Form",
    "LoginRequired",
    "page_caller",
    "read_form",
    "router",
    "safe_next",
]

LOGIN_FAILED = "Username or password is incorrect. Please try again."
CSRF_FAILED = "This form has expired or did not come from this site: reload the page and try again."
HOME = "/app/connectors"

router = APIRouter()


class LoginRequired(Exception):
    """A page was asked for without a session: the handler redirects to ``/login``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def safe_next(value: str | None) -> str:
    """Only a path of this site ("/..." but not "//host" or "/\\host") may be a redirect target."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return HOME
    if any(ch in value for ch in "\r\n\t"):
        return HOME
    return value


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def _session(request: Request, state: ServerState) -> Session | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id or state.sessions is None:
        return None
    session = await run_in_threadpool(state.sessions.get, session_id)
    if session is not None and session.principal.kind == "basic":
        role = state.auth.user_role(session.principal.name)
        if role is None:  # the user was removed from the configuration
            await run_in_threadpool(state.sessions.delete, session_id)
            return None
        if role != session.principal.role:
            principal = Principal(session.principal.name, role, "basic")
            session = Session(principal, session.csrf_token, session.expires_ms)
    if session is not None and session.principal.api_key_id:
        try:  # a revoked key ends its sessions
            key = await run_in_threadpool(state.keys.get, session.principal.api_key_id)
        except NotFoundError:
            key = None
        if key is None or not key.active:
            await run_in_threadpool(state.sessions.delete, session_id)
            return None
    return session


async def page_caller(request: Request) -> Principal:
    """The signed-in caller of a page; a redirect to the login page otherwise."""
    state = server_state(request)
    session = await _session(request, state)
    if session is not None:
        request.state.session = session
        request.state.principal = session.principal
        return session.principal
    header = request.headers.get("authorization")
    if header and request.method in ("GET", "HEAD"):
        principal = await run_in_threadpool(state.auth.authenticate, header)
        request.state.principal = principal
        return principal
    if request.method not in ("GET", "HEAD"):
        raise HttpError(403, CSRF_FAILED)
    raise LoginRequired(_here(request))


PAGE_CALLER = Depends(page_caller)


def _own_origins(request: Request) -> set[str]:
    """This site as the request reached it, and as ``server.publicBaseUrl`` names it."""
    host = request.headers.get("host") or request.url.netloc
    origins = {f"{request.url.scheme}://{host}"}
    public = server_state(request).actions.settings.actions.server.publicBaseUrl
    if public:
        parts = urlsplit(public)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def check_origin(request: Request) -> None:
    """Refuse a POST that a browser says comes from another site."""
    origin = request.headers.get("origin")
    if origin is not None and origin not in _own_origins(request):
        raise HttpError(403, CSRF_FAILED)
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HttpError(403, CSRF_FAILED)


@dataclass
class Form:
    """A posted form: every ``(name, value)`` pair, in order."""

    pairs: list[tuple[str, str]]

    def get(self, name: str, default: str = "") -> str:
        """The last value posted under ``name``."""
        found = default
        for key, value in self.pairs:
            if key == name:
                found = value
        return found

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


async def _read_pairs(request: Request, limit: int) -> list[tuple[str, str]]:
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise HttpError(400, "Send the form as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HttpError(413, f"Payload content length greater than maximum allowed: {limit}")
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "The form is not UTF-8") from None
    return parse_qsl(text, keep_blank_values=True, max_num_fields=2000)


async def read_form(request: Request) -> Form:
    """The posted form of a signed-in page, after the Origin and CSRF token checks."""
    check_origin(request)
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        raise HttpError(403, CSRF_FAILED)
    form = Form(await _read_pairs(request, server_state(request).max_payload))
    token = form.get("csrf_token")
    if not token or not hmac.compare_digest(token.encode(), session.csrf_token.encode()):
        raise HttpError(403, CSRF_FAILED)
    return form


def _cookie_secure(request: Request, state: ServerState) -> bool:
    base = state.actions.settings.actions.server.publicBaseUrl or ""
    return request.url.scheme == "https" or base.startswith("https:")


def _login_page(
    request: Request, next_url: str, *, error: str | None = None, message: str | None = None
) -> Response:
    return render(
        request,
        "login.html",
        status_code=401 if error else 200,
        title="Log in",
        next_url=next_url,
        error=error,
        message=message,
        username="",
    )


@router.get("/", include_in_schema=False)
async def root(request: Request) -> Response:
    session = await _session(request, server_state(request))
    return RedirectResponse(HOME if session else "/login", status_code=302)


@router.get("/s/{spaceId}", include_in_schema=False)
@router.get("/s/{spaceId}/", include_in_schema=False)
async def space_root(request: Request, spaceId: str) -> Response:
    return RedirectResponse(f"/s/{quote(spaceId)}{HOME}", status_code=302)


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, next: str | None = None, msg: str | None = None) -> Response:
    target = safe_next(next)
    if await _session(request, server_state(request)) is not None:
        return RedirectResponse(target, status_code=302)
    message = "You have logged out." if msg == "LOGGED_OUT" else None
    if msg == "SESSION_EXPIRED":
        message = "Your session has expired. Please log in again."
    return _login_page(request, target, message=message)


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    state = server_state(request)
    check_origin(request)
    form = Form(await _read_pairs(request, 64 * 1024))
    name, password = form.get("username"), form.get("password")
    target = safe_next(form.get("next"))
    client = request.client.host if request.client else None
    principal = await run_in_threadpool(state.auth.password, name.strip(), password)
    assert state.sessions is not None and state.throttle is not None
    if principal is None:
        delay = state.throttle.failed(client, name)
        if delay:
            await asyncio.sleep(delay)
        return _login_page(request, target, error=LOGIN_FAILED)
    state.throttle.succeeded(client, name)
    session_id, _ = await run_in_threadpool(state.sessions.create, principal)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(state.sessions.lifetime),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_cookie_secure(request, state),
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, principal: Principal = PAGE_CALLER) -> Response:
    state = server_state(request)
    await read_form(request)
    assert state.sessions is not None
    await run_in_threadpool(state.sessions.delete, request.cookies.get(COOKIE))
    response = RedirectResponse("/login?" + urlencode({"msg": "LOGGED_OUT"}), status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def login_redirect(next_url: str) -> Response:
    return RedirectResponse("/login?" + urlencode({"next": safe_next(next_url)}), status_code=302)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the API): errors answer an HTML page."""
    path = request.url.path
    if path.startswith("/api/") or "/api/" in path.split("/app/", 1)[0]:
        return False
    return "text/html" in request.headers.get("accept", "")


_TITLES = {
    400: "Bad request",
    401: "Log in required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
}


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The HTML error page of a page request; a 401 on a page leads to the login form."""
    if status_code == 401 and request.method in ("GET", "HEAD"):
        return login_redirect(_here(request))
    return render(
        request,
        "error.html",
        status_code=status_code,
        title=_TITLES.get(status_code, "Error"),
        status=status_code,
        message=message,
        space=request.path_params.get("spaceId", "default"),
    )
