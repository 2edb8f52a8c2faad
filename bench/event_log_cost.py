"""The price of durable execution records: `run` against bare requests, with the ``execute``
record durable (the executor waits for its commit, as shipped) and queued (as before).

    .venv/bin/python bench/event_log_cost.py [--rounds N]

Needs nginx (as bench/run does) but none of the comparison libraries. Prints the median per-call
times and the median over rounds of each `run` / bare-requests ratio: the difference between
the two ratios is what durability costs an execution.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases
import report
from endpoint import nginx_endpoint
from main import FLOOR, KEY, interleave, round_ratios

from actions_core import Actions
from actions_core.events import EventLog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--budget", type=float, default=0.3)
    args = parser.parse_args()
    durable_record = EventLog.record

    def queued_record(self: EventLog, *, durable: bool = False, **fields: Any) -> None:
        durable_record(self, **fields)

    with nginx_endpoint() as base, tempfile.TemporaryDirectory() as data_dir:
        url = f"{base}/v1/chat/completions"
        actions = Actions(
            data_dir=data_dir,
            config={"actions": {"encryptionKey": KEY, "allowedHosts": ["127.0.0.1"]}},
        )
        connector = actions.connectors.create(
            connector_type_id=".gen-ai",
            name="bench",
            config={"apiProvider": "Other", "apiUrl": url, "defaultModel": cases.MODEL},
            secrets={"apiKey": "sk-bench"},
        )
        run = cases.execute(actions, connector.id, cases.run_params())

        def run_durable() -> None:
            EventLog.record = durable_record  # type: ignore[method-assign]
            run()

        def run_queued() -> None:
            EventLog.record = queued_record  # type: ignore[method-assign]
            try:
                run()
            finally:
                EventLog.record = durable_record  # type: ignore[method-assign]

        calls = {
            FLOOR: cases.bare_requests(url),
            "run, execute record durable": run_durable,
            "run, execute record queued": run_queued,
        }
        flat, per_round = interleave(calls, args.rounds, args.budget)
        ratios = round_ratios(per_round, FLOOR)
        for name, values in flat.items():
            print(f"{name:32} {report.median(values) * 1e6:8.0f} µs  {ratios[name]:.2f}×")
        actions.close()


if __name__ == "__main__":
    main()
