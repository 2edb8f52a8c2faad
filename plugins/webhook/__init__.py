"""``.webhook``: send a request to a web service (Kibana's webhook connector).

Config ``url``, ``method`` (post, put, patch, get, delete), ``headers``, ``hasAuth``,
``authType`` (``webhook-authentication-basic``, ``webhook-authentication-ssl`` or none),
``certType``, ``ca``, ``verificationMode``; secrets ``user``, ``password``, ``crt``, ``key``;
params ``body`` (a mustache template rendered with JSON escaping). Every request goes through
the core's network policy. See docs/network.md for results and errors.

The executor (:mod:`.executor`, which needs requests) is imported on the first execution or
render, not when the plugin is discovered: discovery happens in every process, executions only
in some.
"""

from __future__ import annotations

import actions_core

from .schema import (
    CONFIG_SCHEMA,
    PARAMS_SCHEMA,
    SECRETS_SCHEMA,
    validate_config,
    validate_connector,
)

__all__ = ["register_action_types"]


@actions_core.hookimpl
def register_action_types(register):
    register(
        actions_core.ActionType(
            id=".webhook",
            name="Webhook",
            description="Sends a request to a web service.",
            config_schema=CONFIG_SCHEMA,
            secrets_schema=SECRETS_SCHEMA,
            params_schema=PARAMS_SCHEMA,
            validate_config=validate_config,
            validate_connector=validate_connector,
            render_parameter_templates=actions_core.imported_on_first_call(
                f"{__name__}.executor:render"
            ),
            executor=actions_core.imported_on_first_call(f"{__name__}.executor:run"),
            supported_feature_ids=("alerting", "uptime", "siem"),
            minimum_license_required="gold",
        )
    )
