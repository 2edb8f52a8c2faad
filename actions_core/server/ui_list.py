"""The Connectors list (Kibana's Stack Management > Connectors), its Logs tab and deleting.

Search and the Type filter are a GET form (the server filters); deleting one row or the selected
rows goes through a confirmation page naming what is deleted, then a POST carrying the session's
CSRF token. Deletes run through the same role check, service call and audit log as the API.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from actions_core.actions import ConnectorTypeInfo
from actions_core.errors import ActionsError
from actions_core.server.auth import Principal, ensure_allowed
from actions_core.server.deps import SPACE, audit_request, audited, server_state
from actions_core.server.rendering import add_page, prefix, render
from actions_core.server.routes_connectors import start_write
from actions_core.server.webauth import PAGE_CALLER, read_form

__all__ = ["router", "type_names"]

router = APIRouter()
OUTCOMES = ("success", "failure")


def type_names(types: list[ConnectorTypeInfo]) -> dict[str, str]:
    return {t.id: t.name for t in types}


async def connectors_page(
    request: Request,
    search: str = "",
    type: str = "",
    deleted: int | None = None,
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    audit = audit_request(request, principal, space)
    found = await run_in_threadpool(state.actions.connectors.list, space_id=space)
    for connector in found:
        state.audit.log("connector_find", audit, connector.id)
    names = type_names(state.actions.types())
    counts = Counter(c.connector_type_id for c in found)
    needle = search.strip().lower()
    rows = [
        c
        for c in found
        if (not type or c.connector_type_id == type)
        and (
            not needle
            or needle in c.name.lower()
            or needle in c.id.lower()
            or needle in names.get(c.connector_type_id, c.connector_type_id).lower()
        )
    ]
    type_options = sorted(
        ((tid, names.get(tid, tid), n) for tid, n in counts.items()), key=lambda t: t[1].lower()
    )
    return render(
        request,
        "connectors.html",
        title="Connectors",
        space=space,
        rows=rows,
        total=len(found),
        names=names,
        search=search,
        type_filter=type,
        type_options=type_options,
        deleted=deleted,
        can_write=principal.may("all"),
    )


async def delete_confirm(
    request: Request,
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    ensure_allowed(principal, "delete")
    ids = list(dict.fromkeys(request.query_params.getlist("ids")))
    if not ids:
        return RedirectResponse(f"{prefix(space)}/app/connectors", status_code=303)
    found = {
        c.id: c for c in await run_in_threadpool(state.actions.connectors.list, space_id=space)
    }
    targets = [found[i] for i in ids if i in found and not found[i].is_preconfigured]
    return render(
        request,
        "delete.html",
        title="Delete connectors",
        space=space,
        targets=targets,
        names=type_names(state.actions.types()),
    )


async def delete_connectors(
    request: Request,
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    form = await read_form(request)
    audit = audit_request(request, principal, space)
    done = 0
    for connector_id in dict.fromkeys(form.all("ids")):
        action = start_write(state, principal, audit, "delete", connector_id)
        try:
            await audited(
                state,
                action,
                audit,
                connector_id,
                state.actions.connectors.delete,
                connector_id,
                space_id=space,
            )
        except ActionsError:
            continue  # gone already, or preconfigured: the audit log has the failure
        done += 1
    query = urlencode({"deleted": done})
    return RedirectResponse(f"{prefix(space)}/app/connectors?{query}", status_code=303)


async def logs_page(
    request: Request,
    outcome: str = "",
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)

    def recent() -> list[Any]:
        return state.actions.events.recent(space_id=space, action="execute", limit=500)

    events = await run_in_threadpool(recent)
    if outcome in OUTCOMES:
        events = [e for e in events if e.outcome == outcome]
    return render(
        request,
        "logs.html",
        title="Logs",
        space=space,
        events=events[:200],
        outcome=outcome if outcome in OUTCOMES else "",
        outcomes=OUTCOMES,
    )


add_page(router, "GET", "/app/connectors", connectors_page)
add_page(router, "GET", "/app/connectors/_logs", logs_page)
add_page(router, "GET", "/app/connectors/_delete", delete_confirm)
add_page(router, "POST", "/app/connectors/_delete", delete_connectors)
