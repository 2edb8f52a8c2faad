"""The service under test, run as its own process:
``python -m tests.server.app_under_test CONFIG DATA_DIR [WORKERS]`` (one worker by default).

Entry points cannot be added to a running interpreter, so the test action types are handed to
``Actions`` as a plugin object here and the real ``serve()`` (uvicorn) runs them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import actions_core
from actions_core import Actions, ExecutionError
from actions_core.server.serve import serve
from tests.support import TypesPlugin, echo_type


def _tokens(ctx: actions_core.ExecutionContext) -> dict[str, Any]:
    p = ctx.params
    ctx.report_usage(
        prompt_tokens=p["prompt"],
        completion_tokens=p["completion"],
        estimated=p.get("estimated", False),
        model=p.get("model"),
    )
    return {"answer": "ok", "dashboard_url": ctx.dashboard_url}


def _upstream_stream(ctx: actions_core.ExecutionContext) -> Iterator[bytes]:
    response = ctx.http.request("GET", ctx.config["url"] + ctx.params["path"], stream=True)
    response.raise_for_status()

    def chunks() -> Iterator[bytes]:
        try:
            yield from response.iter_content(chunk_size=None)
        finally:
            response.close()

    return chunks()


def _upstream_astream(ctx: actions_core.ExecutionContext) -> AsyncIterator[bytes]:
    """``.upstream-stream`` as an async generator on ``ctx.ahttp``."""

    async def chunks() -> AsyncIterator[bytes]:
        url = ctx.config["url"] + ctx.params["path"]
        response = await ctx.ahttp.request("GET", url, stream=True)
        try:
            response.raise_for_status()
            async for data in response.aiter_bytes():
                yield data
        finally:
            await response.aclose()

    return chunks()


def _thread_names(ctx: actions_core.ExecutionContext) -> AsyncIterator[dict[str, Any]]:
    """Which thread produces each chunk (and whether the caller iterates on its loop)."""

    async def chunks() -> AsyncIterator[dict[str, Any]]:
        for _ in range(3):
            await asyncio.sleep(0.01)
            yield {"thread": threading.current_thread().name, "async": ctx.async_streams}

    return chunks()


def _failing_astream(ctx: actions_core.ExecutionContext) -> AsyncIterator[Any]:
    async def chunks() -> AsyncIterator[Any]:
        yield {"delta": "partial"}
        raise ExecutionError("upstream went away")

    return chunks()


def _failing_stream(ctx: actions_core.ExecutionContext) -> Iterator[Any]:
    def chunks() -> Iterator[Any]:
        yield {"delta": "partial"}
        raise ExecutionError("upstream went away")

    return chunks()


def _pid(ctx: actions_core.ExecutionContext) -> dict[str, Any]:
    """Which worker process ran the execution, and the connector's config it saw."""
    return {"pid": os.getpid(), "config": ctx.config}


def _failing(ctx: actions_core.ExecutionContext) -> None:
    raise ExecutionError("the service said no", retry=False)


def _object(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(k for k, v in properties.items() if not v.pop("optional", False)),
        "additionalProperties": False,
    }


TYPES = [
    echo_type(".echo"),
    # any config (numbers included): what the store must never be poisoned with
    echo_type(
        ".echo-open",
        name="Open echo",
        config_schema={"type": "object"},
        secrets_schema={"type": "object"},
    ),
    actions_core.ActionType(
        id=".tokens",
        name="Token counter",
        executor=_tokens,
        params_schema=_object(
            prompt={"type": "integer", "minimum": 0},
            completion={"type": "integer", "minimum": 0},
            model={"type": "string", "optional": True},
            estimated={"type": "boolean", "optional": True},
        ),
        supported_feature_ids=("generativeAIForSecurity",),
    ),
    actions_core.ActionType(
        id=".upstream-stream",
        name="Upstream stream",
        executor=_upstream_stream,
        config_schema=_object(url={"type": "string"}),
        params_schema=_object(path={"type": "string"}),
    ),
    actions_core.ActionType(
        id=".upstream-astream",
        name="Upstream stream (asyncio)",
        executor=_upstream_astream,
        config_schema=_object(url={"type": "string"}),
        params_schema=_object(path={"type": "string"}),
    ),
    actions_core.ActionType(id=".thread-names", name="Thread names", executor=_thread_names),
    actions_core.ActionType(id=".failing-stream", name="Failing stream", executor=_failing_stream),
    actions_core.ActionType(
        id=".failing-astream", name="Failing stream (asyncio)", executor=_failing_astream
    ),
    actions_core.ActionType(id=".failing", name="Failing", executor=_failing),
    actions_core.ActionType(
        id=".pid",
        name="Worker pid",
        executor=_pid,
        config_schema=_object(value={"type": "string"}),
    ),
]


def main() -> None:
    config, data_dir = sys.argv[1], sys.argv[2]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    actions = Actions(data_dir=data_dir, config=config, plugins=[TypesPlugin(*TYPES)])
    try:
        serve(
            actions,
            host="127.0.0.1",
            port=0,
            workers=workers,
            echo=lambda line: print(line, flush=True),
        )
    finally:
        actions.close()


if __name__ == "__main__":
    main()
