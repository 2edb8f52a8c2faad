"""One of two processes that write to a shared PostgreSQL store at once (test_concurrency.py).

Usage: python -m tests.store.concurrent_writer DATABASE_URL DATA_DIR PREFIX COUNT SHARED_ID
Creates COUNT connectors, renames each, executes each, and renames the shared connector COUNT
times (retrying on a concurrent-change conflict, as a client would).
"""

from __future__ import annotations

import sys

from actions_core import Actions, ConflictError
from tests.support import KEY, TypesPlugin, echo_type


def main(url: str, data_dir: str, prefix: str, count: int, shared_id: str) -> None:
    settings = {"actions": {"encryptionKey": KEY, "databaseUrl": url}}
    with Actions(data_dir, settings, plugins=[TypesPlugin(echo_type(".echo"))]) as actions:
        for i in range(count):
            connector = actions.connectors.create(
                connector_type_id=".echo",
                name=f"{prefix}-{i}",
                config={"url": "https://example.com"},
                secrets={"token": "t"},
            )
            actions.connectors.update(connector.id, name=f"{prefix}-{i}-renamed")
            assert actions.execute(connector.id, {"text": str(i)}).ok
            for _ in range(100):
                try:
                    actions.connectors.update(shared_id, name=f"{prefix}-{i}")
                    break
                except ConflictError:
                    continue
            else:
                raise SystemExit("the shared connector stayed in conflict 100 times")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
