"""``getDashboard``: where the token-usage dashboard of a connector is (spec §9.7).

Kibana checks the caller's event-log privileges in Elasticsearch and creates a Lens dashboard.
Here the usage dashboard is a page of the actions-core HTTP service, so the answer is whether
that service's address is known, and the page's URL
(``<base>[/s/<space>]/app/connectors/<id>/usage``), which the core hands executors as
``ctx.dashboard_url``.
"""

from __future__ import annotations

from typing import Any

import actions_core

__all__ = ["dashboard_info"]


def dashboard_info(ctx: actions_core.ExecutionContext, dashboard_id: str) -> dict[str, Any]:
    """``{"available": bool, "url": str | None}``; ``dashboard_id`` is accepted for Kibana
    compatibility (one usage page per connector serves every dashboard id)."""
    url = ctx.dashboard_url
    return {"available": url is not None, "url": url}
