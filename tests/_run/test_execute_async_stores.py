"""``Actions.execute_async`` does its checks on the caller's loop only where the store answers
locally: a SQLite file is read in microseconds, a PostgreSQL server is a round trip the loop
would wait for, so there they run in a worker thread."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actions_core import ActionType

pytestmark = pytest.mark.both_stores


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_the_checks_run_on_the_loop_only_on_a_local_store(make_actions, database_url) -> None:
    seen: list[bool] = []

    def checked(params: dict[str, Any], ctx: Any) -> None:
        seen.append(_on_a_loop())  # validate_params runs with the checks

    async def answer(ctx: Any) -> dict[str, Any]:
        return {"on_a_loop": _on_a_loop()}

    kind = ActionType(id=".checked", name="checked", executor=answer, validate_params=checked)
    actions = make_actions(kind)
    cid = actions.connectors.create(connector_type_id=".checked", name="c").id
    result = asyncio.run(actions.execute_async(cid, {}))
    assert result.data == {"on_a_loop": True}  # an async executor is awaited on the loop
    assert seen == [database_url is None]  # SQLite: on the loop; PostgreSQL: a worker thread
