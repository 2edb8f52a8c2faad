"""Creating, editing and testing a connector in the browser (Kibana's create and edit flyouts as
pages), with forms generated from the type's JSON Schemas by :mod:`.forms`.

Every write goes through the API's own checks (:func:`validate_create_body`), role check and
audit (:func:`start_write`, :func:`audited`) and the connectors service; nothing is stored
until the whole form is valid. Secret fields are never filled in: on edit an empty secret field
keeps its stored value, a typed one replaces it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from actions_core._connectors.ids import check_connector_id
from actions_core.actions import ConnectorTypeInfo
from actions_core.errors import ActionsError, ConflictError, NotFoundError, ValidationError
from actions_core.server.auth import Principal, ensure_allowed
from actions_core.server.bodies import validate_create_body, validate_update_body
from actions_core.server.deps import SPACE, ServerState, audit_request, audited, server_state
from actions_core.server.errors import HttpError
from actions_core.server.forms import (
    FormField,
    apply_values,
    fields_for,
    map_problems,
    parse_fields,
    switched,
    visible_in,
)
from actions_core.server.rendering import add_page, prefix, render
from actions_core.server.routes_connectors import start_write
from actions_core.server.routes_execute import EventStreamResponse
from actions_core.server.webauth import PAGE_CALLER, read_form

__all__ = ["router"]

router = APIRouter()
MAX_STREAM_BYTES = 1024 * 1024
PROVIDER_KEY = "apiProvider"


def _type(state: ServerState, type_id: str) -> ConnectorTypeInfo:
    for info in state.actions.types():
        if info.id == type_id:
            return info
    raise NotFoundError(f'Connector type "{type_id}" is not registered')


def _form_fields(info: ConnectorTypeInfo) -> list[FormField]:
    return fields_for(info.config_schema, "config") + fields_for(info.secrets_schema, "secrets")


def _connector_url(space: str, connector_id: str, **query: str) -> str:
    url = f"{prefix(space)}/app/connectors/{quote(connector_id, safe='')}"
    return url + (f"?{urlencode(query)}" if query else "")


# --- create ------------------------------------------------------------------------------------


async def create_page(
    request: Request,
    type: str = "",
    search: str = "",
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    ensure_allowed(principal, "create")
    if not type:
        needle = search.strip().lower()
        types = [
            t
            for t in state.actions.types()
            if t.enabled and not t.is_system_action_type
            if not needle or needle in t.name.lower() or needle in (t.description or "").lower()
        ]
        types.sort(key=lambda t: t.name.lower())
        return render(
            request,
            "select_type.html",
            title="Select a connector",
            space=space,
            types=types,
            search=search,
        )
    info = _type(state, type)
    fields = _form_fields(info)
    apply_values(fields, {}, use_defaults=True)
    return _create_form(request, space, info, fields, name="", new_id="")


def _create_form(
    request: Request,
    space: str,
    info: ConnectorTypeInfo,
    fields: list[FormField],
    *,
    name: str,
    new_id: str,
    name_errors: tuple[str, ...] = (),
    id_errors: tuple[str, ...] = (),
    form_errors: tuple[str, ...] = (),
) -> Response:
    failed = bool(name_errors or id_errors or form_errors or any(f.errors for f in fields))
    return render(
        request,
        "create.html",
        status_code=400 if failed else 200,
        title=f"{info.name} connector",
        space=space,
        info=info,
        fields=fields,
        values=_values_of(fields),
        name=name,
        new_id=new_id,
        name_errors=name_errors,
        id_errors=id_errors,
        form_errors=form_errors,
        failed=failed,
    )


def _values_of(fields: list[FormField]) -> dict[str, dict[str, Any]]:
    """Each part's shown values, which decide the fields that apply (a controller may itself
    be conditional: the OpenAI verification mode, only for Other)."""
    values: dict[str, dict[str, Any]] = {"config": {}, "secrets": {}, "params": {}}
    for f in fields:
        if f.when is None and f.value is not None:
            values.setdefault(f.part, {})[f.key] = f.value
    for f in fields:
        part = values.setdefault(f.part, {})
        shown = f.when is not None and f.value is not None and f.key not in part
        if shown and visible_in(f, values):
            part[f.key] = f.value
    return values


def _name_errors(name: str) -> list[str]:
    return [] if name else ["Name is required."]


async def create_connector(
    request: Request,
    type: str = "",
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    form = await read_form(request)
    info = _type(state, type)
    fields = _form_fields(info)
    name, new_id = form.get("name").strip(), form.get("id").strip()
    config, config_ok = parse_fields(fields, form, "config")
    secrets, secrets_ok = parse_fields(fields, form, "secrets")
    if switched(fields, form):  # JavaScript off: show the new option's fields first
        return _create_form(request, space, info, fields, name=name, new_id=new_id)
    name_errors, id_errors, form_errors = _name_errors(name), [], []
    if new_id:
        try:
            check_connector_id(new_id)
        except ValidationError as err:
            id_errors.append(err.message)
    if not (config_ok and secrets_ok and not name_errors and not id_errors):
        return _create_form(
            request,
            space,
            info,
            fields,
            name=name,
            new_id=new_id,
            name_errors=tuple(name_errors),
            id_errors=tuple(id_errors),
        )
    body = {"name": name, "connector_type_id": info.id, "config": config, "secrets": secrets}
    audit = audit_request(request, principal, space)
    try:
        body = validate_create_body(body)
        connector_id = new_id or _new_id()
        action = start_write(state, principal, audit, "create", connector_id, info.id)
        connector = await audited(
            state,
            action,
            audit,
            connector_id,
            state.actions.connectors.create,
            connector_type_id=info.id,
            name=body["name"],
            config=body["config"],
            secrets=body["secrets"],
            id=connector_id,
            space_id=space,
        )
    except ConflictError:
        id_errors.append("A connector is already using this ID.")
    except ValidationError as err:
        form_errors = map_problems(
            err.message, err.problems, fields, {"config": config, "secrets": secrets}
        )
    except HttpError as err:
        if err.status_code == 403:
            raise
        form_errors.append(err.message)
    else:
        tab = {"tab": "test"} if form.get("then") == "test" else {}
        return RedirectResponse(_connector_url(space, connector.id, **tab), status_code=303)
    return _create_form(
        request,
        space,
        info,
        fields,
        name=name,
        new_id=new_id,
        id_errors=tuple(id_errors),
        form_errors=tuple(form_errors),
    )


def _new_id() -> str:
    return str(uuid.uuid4())


# --- the connector page: Configuration and Test ------------------------------------------------


def _sub_action(info: ConnectorTypeInfo, requested: str | None) -> str | None:
    sub_actions = getattr(info, "sub_actions", None) or {}
    if not sub_actions:
        return None
    if requested in sub_actions:
        return requested
    return "test" if "test" in sub_actions else next(iter(sub_actions))


def _params_fields(info: ConnectorTypeInfo, sub_action: str | None) -> list[FormField]:
    if sub_action is not None:
        return fields_for(info.sub_actions[sub_action], "params")
    return fields_for(info.params_schema, "params")


def _fresh_params(
    info: ConnectorTypeInfo, connector: Any, requested: str | None
) -> tuple[str | None, list[FormField]]:
    """The Test tab's sub-action and its params form, filled with the schema's defaults and
    examples (what the tab shows before anything is typed)."""
    sub_action = _sub_action(info, requested)
    params = _params_fields(info, sub_action)
    apply_values(params, {}, use_defaults=True)
    _example_defaults(params, connector.config)
    return sub_action, params


def _example_defaults(fields: list[FormField], config: dict[str, Any] | None) -> None:
    """The JSON body example of a model-serving connector names the connector's default model
    (Kibana's OpenAI test body for ``Other``): added when the example has no ``model``."""
    model = (config or {}).get("defaultModel")
    for f in fields:
        if f.widget != "jsontext" or not isinstance(f.value, str) or not model:
            continue
        try:
            body = json.loads(f.value)
        except ValueError:
            continue
        if isinstance(body, dict) and "model" not in body:
            body["model"] = model
            f.value = json.dumps(body, indent=2)


async def connector_page(
    request: Request,
    connector_id: str,
    tab: str = "configuration",
    saved: int | None = None,
    subAction: str | None = None,
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    connector = await _get(request, state, principal, space, connector_id)
    info = _type(state, connector.connector_type_id)
    fields = _form_fields(info)
    apply_values(fields, connector.config or {}, use_defaults=False)
    sub_action, params = _fresh_params(info, connector, subAction)
    return _connector_view(
        request,
        space,
        connector,
        info,
        fields,
        params,
        sub_action,
        tab=tab,
        saved=bool(saved),
    )


async def _get(
    request: Request, state: ServerState, principal: Principal, space: str, connector_id: str
) -> Any:
    audit = audit_request(request, principal, space)
    return await audited(
        state,
        "connector_get",
        audit,
        connector_id,
        state.actions.connectors.get,
        connector_id,
        space_id=space,
    )


def _connector_view(
    request: Request,
    space: str,
    connector: Any,
    info: ConnectorTypeInfo,
    fields: list[FormField],
    params: list[FormField],
    sub_action: str | None,
    *,
    tab: str,
    saved: bool = False,
    name: str | None = None,
    name_errors: tuple[str, ...] = (),
    form_errors: tuple[str, ...] = (),
    result: dict[str, Any] | None = None,
    status_code: int | None = None,
) -> Response:
    principal: Principal = request.state.principal
    failed = bool(name_errors or form_errors or any(f.errors for f in fields))
    config = connector.config or {}
    provider = config.get(PROVIDER_KEY) if connector.connector_type_id == ".gen-ai" else None
    return render(
        request,
        "connector.html",
        status_code=status_code or (400 if failed else 200),
        title=connector.name,
        space=space,
        connector=connector,
        info=info,
        fields=fields,
        values=_values_of(fields),
        params=params,
        sub_action=sub_action,
        sub_actions=list(getattr(info, "sub_actions", None) or {}),
        tab="test" if tab == "test" else "configuration",
        saved=saved,
        name=connector.name if name is None else name,
        name_errors=name_errors,
        form_errors=form_errors,
        failed=failed,
        result=result,
        can_write=principal.may("all") and not connector.is_preconfigured,
        is_writer=principal.may("all"),
        usage_label=_usage_label(provider, connector.name)
        if connector.connector_type_id == ".gen-ai"
        else None,
        url=_connector_url(space, connector.id),
    )


def _usage_label(provider: Any, name: str) -> str:
    """Kibana's link text, with the connector's provider (``OpenAI``, ``Azure OpenAI``,
    ``Other``) in it."""
    return f'View {provider or "OpenAI"} Usage Dashboard for "{name}" Connector'


async def save_connector(
    request: Request,
    connector_id: str,
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    state = server_state(request)
    form = await read_form(request)
    connector = await _get(request, state, principal, space, connector_id)
    ensure_allowed(principal, "update", connector.connector_type_id)
    info = _type(state, connector.connector_type_id)
    fields = _form_fields(info)
    name = form.get("name").strip()
    config, config_ok = parse_fields(fields, form, "config")
    typed, secrets_ok = parse_fields(fields, form, "secrets", keep_secrets=True)
    name_errors = _name_errors(name)
    form_errors: list[str] = []
    if switched(fields, form):  # JavaScript off: show the new option's fields first
        config_ok = False
    elif config_ok and secrets_ok and not name_errors:
        audit = audit_request(request, principal, space)
        try:
            secrets = await _merged_secrets(state, connector_id, space, typed)
            update = {"name": name, "config": config}
            if secrets is not None:
                update["secrets"] = secrets
            body = validate_update_body(update)
            action = start_write(state, principal, audit, "update", connector_id)
            await audited(
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
        except ValidationError as err:
            form_errors = map_problems(
                err.message, err.problems, fields, {"config": config, "secrets": typed}
            )
        except ConflictError as err:
            form_errors.append(err.message)
        except HttpError as err:
            if err.status_code == 403:
                raise
            form_errors.append(err.message)
        else:
            return RedirectResponse(_connector_url(space, connector_id, saved="1"), status_code=303)
    sub_action, params = _fresh_params(info, connector, None)
    return _connector_view(
        request,
        space,
        connector,
        info,
        fields,
        params,
        sub_action,
        tab="configuration",
        name=name,
        name_errors=tuple(name_errors),
        form_errors=tuple(form_errors),
    )


async def _merged_secrets(
    state: ServerState, connector_id: str, space: str, typed: dict[str, Any]
) -> dict[str, Any] | None:
    """None (keep what is stored) when nothing was typed; else the stored secrets with the typed
    ones replacing theirs."""
    if not typed:
        return None
    resolved = await run_in_threadpool(
        state.actions.connectors.resolve, connector_id, space_id=space
    )
    return {**(resolved.secrets or {}), **typed}


@dataclass
class _TestForm:
    """A posted Test tab: the connector, its type, the sub-action, the params fields (with their
    errors) and the params to run, None when the form has errors."""

    connector: Any
    info: ConnectorTypeInfo
    sub_action: str | None
    fields: list[FormField]
    params: dict[str, Any] | None


async def _read_test(
    request: Request, principal: Principal, space: str, connector_id: str
) -> _TestForm:
    state = server_state(request)
    form = await read_form(request)
    connector = await _get(request, state, principal, space, connector_id)
    ensure_allowed(principal, "execute")
    info = _type(state, connector.connector_type_id)
    sub_action = _sub_action(info, form.get("subAction") or None)
    fields = _params_fields(info, sub_action)
    values, ok = parse_fields(fields, form, "params")
    params: dict[str, Any] | None = None
    if ok:
        params = values
        if sub_action is not None:
            params = {"subAction": sub_action, "subActionParams": values}
    return _TestForm(connector, info, sub_action, fields, params)


async def _execute(
    request: Request, principal: Principal, space: str, connector_id: str, params: dict[str, Any]
) -> Any:
    """Run the connector as the API's ``_execute`` does: audited, recorded as the caller."""
    state = server_state(request)
    return await audited(
        state,
        "connector_execute",
        audit_request(request, principal, space),
        connector_id,
        state.actions.execute,
        connector_id,
        params,
        space_id=space,
        source="http_request",
        user=principal.event_user,
    )


async def test_connector(
    request: Request,
    connector_id: str,
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    """Run as a plain form post: the page again with the result (a stream read to its end)."""
    test = await _read_test(request, principal, space, connector_id)
    result = None
    if test.params is not None:
        outcome = await _execute(request, principal, space, connector_id, test.params)
        if outcome is not None and outcome.ok and isinstance(outcome.data, Iterator):
            text = await run_in_threadpool(_drain, outcome.data)
            result = {"ok": True, "response": text, "streamed": True}
        else:
            result = _summary(outcome)
    fields = _form_fields(test.info)
    apply_values(fields, test.connector.config or {}, use_defaults=False)
    return _connector_view(
        request,
        space,
        test.connector,
        test.info,
        fields,
        test.fields,
        test.sub_action,
        tab="test",
        result=result,
        status_code=200 if test.params is not None else 400,
    )


async def test_connector_live(
    request: Request,
    connector_id: str,
    principal: Principal = PAGE_CALLER,
    space: str = SPACE,
) -> Response:
    """The Test tab's Run with JavaScript: a streaming result is passed on as it arrives
    (``X-Test-Result: stream``); any other result answers the Test tab's summary as JSON."""
    test = await _read_test(request, principal, space, connector_id)
    if test.params is None:
        problems = [f"{f.label}: {' '.join(f.errors)}" for f in test.fields if f.errors]
        return JSONResponse({"ok": False, "message": "; ".join(problems)}, status_code=400)
    result = await _execute(request, principal, space, connector_id, test.params)
    if result is not None and result.ok and isinstance(result.data, Iterator):
        streamed = EventStreamResponse(result.data)
        streamed.headers["X-Test-Result"] = "stream"
        return streamed
    return JSONResponse(_summary(result), headers={"X-Test-Result": "done"})


def _summary(result: Any) -> dict[str, Any]:
    if result is None:
        return {"ok": True, "response": "null"}
    body = result.to_api()
    if result.ok:
        return {"ok": True, "response": json.dumps(body, indent=2, ensure_ascii=False)}
    return {
        "ok": False,
        "message": body.get("message") or "",
        "service_message": body.get("service_message") or "",
    }


def _drain(stream: Iterator[Any]) -> str:
    parts: list[str] = []
    size = 0
    try:
        for chunk in stream:
            if isinstance(chunk, bytes | bytearray | memoryview):
                text = bytes(chunk).decode("utf-8", "replace")
            elif isinstance(chunk, str):
                text = chunk
            else:
                text = json.dumps(chunk, ensure_ascii=False, default=str) + "\n"
            parts.append(text)
            size += len(text)
            if size > MAX_STREAM_BYTES:
                parts.append("\n… (output cut at 1 MB)")
                break
    except ActionsError as err:
        parts.append(f"\n[stream failed: {err.message}]")
    except Exception as err:  # the executor failed mid-stream: show it, as the API does
        parts.append(f"\n[stream failed: {err}]")
    finally:
        closer = getattr(stream, "close", None)
        if closer is not None:
            closer()
    return "".join(parts)


add_page(router, "GET", "/app/connectors/_create", create_page)
add_page(router, "POST", "/app/connectors/_create", create_connector)
add_page(router, "GET", "/app/connectors/{connector_id}", connector_page)
add_page(router, "POST", "/app/connectors/{connector_id}", save_connector)
add_page(router, "POST", "/app/connectors/{connector_id}/_test", test_connector)
add_page(router, "POST", "/app/connectors/{connector_id}/_test_live", test_connector_live)
