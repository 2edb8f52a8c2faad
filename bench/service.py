"""The HTTP service under uvicorn, in its own process (``python bench/service.py DIR PORT``).

It opens the same data dir and configuration as the benchmark, so it sees its connectors.
"""

from __future__ import annotations

import json
import sys

import uvicorn

from actions_core import Actions
from actions_core.server.app import create_app


def main() -> None:
    data_dir, port, config = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    actions = Actions(data_dir=data_dir, config=config)
    uvicorn.run(
        create_app(actions), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
