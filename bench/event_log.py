"""How much the event log adds to one execution: batched writer vs one transaction per record.

Run: .venv/bin/python bench/event_log.py  (prints microseconds per execution, medians of rounds)
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

import actions_core
from actions_core import Actions
from actions_core.store import events as events_table


def noop(ctx):
    return {"ok": True}


class Plugin:
    __name__ = "bench"

    @actions_core.hookimpl
    def register_action_types(self, register):
        register(actions_core.ActionType(id=".noop", name="No-op", executor=noop))


def measure(actions: Actions, connector_id: str, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        actions.execute(connector_id, {})
    elapsed = time.perf_counter() - started
    return elapsed / count * 1e6


def main(rounds: int = 5, count: int = 500) -> None:
    os.environ["ACTIONS_PLUGINS"] = ""
    with tempfile.TemporaryDirectory() as tmp:
        actions = Actions(
            data_dir=tmp, config={"actions": {"encryptionKey": "k" * 40}}, plugins=[Plugin()]
        )
        connector = actions.connectors.create(connector_type_id=".noop", name="noop")
        batched, direct, without = [], [], []
        engine = actions._engine
        original = actions.events.record

        def synchronous(**fields):
            fields.setdefault("timestamp_ms", int(time.time() * 1000))
            with engine.begin() as conn:
                conn.execute(events_table.insert(), [fields])

        for _ in range(rounds):
            actions.events.record = original
            batched.append(measure(actions, connector.id, count))
            actions.events.flush()
            actions.events.record = synchronous
            direct.append(measure(actions, connector.id, count))
            actions.events.record = lambda **fields: None
            without.append(measure(actions, connector.id, count))
        actions.events.record = original
        actions.close()
    print(f"execute without event log:      {statistics.median(without):8.1f} µs")
    print(f"execute with batched event log: {statistics.median(batched):8.1f} µs")
    print(f"execute with one txn per event: {statistics.median(direct):8.1f} µs")


if __name__ == "__main__":
    main()
