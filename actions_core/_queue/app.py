"""The Celery app: one task, ``actions_core.execute(execution_id)``, on the configured broker.

Celery is imported here only, and this module only when something is queued or a worker starts,
so ``import actions_core`` stays cheap.

The broker is ``queue.brokerUrl`` (Redis for scale-out) or, without it, the store's own database
through kombu's SQLAlchemy transport: the embedded default needs nothing else installed, and an
enqueued message is as durable as the database it sits in. Messages are acknowledged only after
the run (``acks_late``), a worker lost mid-run leaves its message to be redelivered
(``reject_on_worker_lost``), and Redis redelivers unacknowledged messages after
``queue.visibilityTimeout``, which must outlast the longest retry delay (Celery keeps ETA
messages unacknowledged until they run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    from actions_core.settings import QueueSettings

__all__ = ["QUEUE_NAME", "TASK_NAME", "broker_url", "make_app"]

TASK_NAME = "actions_core.execute"
QUEUE_NAME = "actions"
#: URL prefix of the database broker (kombu's SQLAlchemy transport, see dbtransport.py).
DB_TRANSPORT = "actionsdb"


def broker_url(queue: QueueSettings, database_url: str) -> str:
    return queue.brokerUrl or f"{DB_TRANSPORT}+{database_url}"


def is_database_broker(url: str) -> bool:
    return url.startswith((f"{DB_TRANSPORT}+", "sqla+"))


def make_app(queue: QueueSettings, database_url: str) -> Celery:
    from celery import Celery
    from kombu.transport import TRANSPORT_ALIASES

    TRANSPORT_ALIASES.setdefault(DB_TRANSPORT, "actions_core._queue.dbtransport:Transport")
    url = broker_url(queue, database_url)
    transport: dict[str, Any] = {"visibility_timeout": int(queue.visibilityTimeout)}
    if is_database_broker(url):
        # options of create_engine: SQLite waits for the lock instead of failing
        transport = {"connect_args": {"timeout": 30}} if "+sqlite" in url else {}
    app = Celery("actions_core", broker=url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE_NAME,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # per-task work nobody reads: no rate limits to check, no task events, no results
        worker_disable_rate_limits=True,
        worker_send_task_events=False,
        task_send_sent_event=False,
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        enable_utc=True,
    )
    return app
