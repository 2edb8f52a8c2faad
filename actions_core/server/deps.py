"""What every route shares: the server state, the caller, the space, the audit context."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from actions_core._connectors.ids import DEFAULT_SPACE, check_space_id
from actions_core.actions import Actions
from actions_core.errors import ActionsError
from actions_core.server.apikeys import ApiKeyStore
from actions_core.server.audit import AuditLog, AuditRequest
from actions_core.server.auth import Authenticator, Principal
from actions_core.server.errors import HttpError
from actions_core.server.sessions import SessionStore
from actions_core.server.throttle import LoginThrottle

__all__ = [
    "CALLER",
    "SPACE",
    "ServerState",
    "audit_request",
    "audited",
    "authenticated",
    "server_state",
    "space_id",
]

T = TypeVar("T")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
XSRF_MESSAGE = "Request must contain a kbn-xsrf header."


@dataclass
class ServerState:
    actions: Actions
    keys: ApiKeyStore
    auth: Authenticator
    audit: AuditLog
    max_payload: int
    #: the browser UI's sign-in sessions and failed-login throttle (see ``webauth``)
    sessions: SessionStore | None = None
    throttle: LoginThrottle | None = None


def server_state(request: Request) -> ServerState:
    return request.app.state.server


async def authenticated(request: Request) -> Principal:
    """The caller (401 otherwise); non-GET requests also need ``kbn-xsrf`` (400), checked after
    authentication as Kibana does (its xsrf check runs on post-auth)."""
    state = server_state(request)
    header = request.headers.get("authorization")
    is_key = header is not None and header.lstrip()[:7].lower() == "apikey "
    if is_key and state.keys.verifies_locally:
        # an API key on a SQLite store is one indexed read (WAL: never waits for a writer),
        # cheaper on the event loop than a hop to a worker thread. Over a network (PostgreSQL)
        # it is a round trip, and Basic passwords are verified with scrypt, slow on purpose:
        # both in a worker thread
        principal = state.auth.authenticate(header)
    else:
        principal = await run_in_threadpool(state.auth.authenticate, header)
    request.state.principal = principal
    if request.method not in _SAFE_METHODS and not (
        "kbn-xsrf" in request.headers or "kbn-version" in request.headers
    ):
        raise HttpError(400, XSRF_MESSAGE)
    return principal


async def space_id(request: Request) -> str:
    """``/s/{spaceId}/...`` or the default space; a malformed space id answers 400.

    ``async`` although it never awaits: FastAPI runs a plain ``def`` dependency in a worker
    thread, a thread hop (and GIL hand-over) per request for a regular-expression match."""
    space = request.path_params.get("spaceId", DEFAULT_SPACE)
    check_space_id(space)
    return str(space)


def audit_request(request: Request, principal: Principal | None, space: str) -> AuditRequest:
    client = request.client.host if request.client else None
    return AuditRequest.new(principal, space, request.method, request.url.path, client)


@overload
async def audited(
    state: ServerState,
    action: str,
    audit: AuditRequest,
    connector_id: str | None,
    call: Callable[..., Awaitable[T]],
    /,
    *args: Any,
    **kwargs: Any,
) -> T: ...


@overload
async def audited(
    state: ServerState,
    action: str,
    audit: AuditRequest,
    connector_id: str | None,
    call: Callable[..., T],
    /,
    *args: Any,
    **kwargs: Any,
) -> T: ...


async def audited(
    state: ServerState,
    action: str,
    audit: AuditRequest,
    connector_id: str | None,
    call: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """``call(*args, **kwargs)`` (awaited when it is a coroutine function, else run in the
    thread pool), its failure (re-raised) or success audited."""
    try:
        if inspect.iscoroutinefunction(call):
            result = await call(*args, **kwargs)
        else:
            result = await run_in_threadpool(call, *args, **kwargs)
    except ActionsError as err:
        state.audit.log(action, audit, connector_id, error=err)
        raise
    state.audit.log(action, audit, connector_id)
    return result


#: Route parameter defaults: ``principal: Principal = CALLER``, ``space: str = SPACE``.
CALLER = Depends(authenticated)
SPACE = Depends(space_id)
