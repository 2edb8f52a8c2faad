"""The OpenAPI description of the service: Kibana's request and response shapes, as data.

Bodies are read and checked by :mod:`.bodies` (so errors keep Kibana's phrasing); these
schemas describe them for clients and for property-based tests.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "COMPONENTS",
    "SECURITY",
    "SPACE_PARAMETER",
    "XSRF_PARAMETER",
    "json_body",
    "json_content",
    "ref",
    "responses",
]


def ref(name: str) -> dict[str, str]:
    """A reference to one of :data:`SCHEMAS`."""
    return {"$ref": f"#/components/schemas/{name}"}


_RECORD = {"type": "object", "additionalProperties": True}
_TOKENS = {"type": "integer", "minimum": 0}

_usage_sums = {
    "executions": _TOKENS,
    "prompt_tokens": _TOKENS,
    "completion_tokens": _TOKENS,
    "total_tokens": _TOKENS,
    "reported_total_tokens": _TOKENS,
    "estimated_total_tokens": _TOKENS,
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["statusCode", "error", "message"],
        "properties": {
            "statusCode": {"type": "integer"},
            "error": {"type": "string"},
            "message": {"type": "string"},
        },
    },
    "Connector": {
        "type": "object",
        "description": "A connector; secrets are never returned.",
        "required": [
            "id",
            "name",
            "connector_type_id",
            "is_preconfigured",
            "is_deprecated",
            "is_system_action",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "connector_type_id": {"type": "string"},
            "config": {
                "type": "object",
                "additionalProperties": True,
                "description": "Absent for preconfigured connectors unless exposeConfig.",
            },
            "is_preconfigured": {"type": "boolean"},
            "is_deprecated": {"type": "boolean"},
            "is_system_action": {"type": "boolean"},
            "is_missing_secrets": {"type": "boolean"},
            "referenced_by_count": {"type": "integer", "minimum": 0},
        },
    },
    "ConnectorType": {
        "type": "object",
        "required": [
            "id",
            "name",
            "enabled",
            "enabled_in_config",
            "enabled_in_license",
            "minimum_license_required",
            "supported_feature_ids",
            "is_system_action_type",
            "is_deprecated",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "enabled": {"type": "boolean"},
            "enabled_in_config": {"type": "boolean"},
            "enabled_in_license": {"type": "boolean"},
            "minimum_license_required": {"type": "string"},
            "supported_feature_ids": {"type": "array", "items": {"type": "string"}},
            "is_system_action_type": {"type": "boolean"},
            "is_deprecated": {"type": "boolean"},
            "source": {"type": "string"},
            "description": {"type": "string"},
            "config_schema": {**_RECORD, "description": "JSON Schema (Draft 2020-12)"},
            "secrets_schema": {**_RECORD, "description": "JSON Schema (Draft 2020-12)"},
            "params_schema": {**_RECORD, "description": "JSON Schema (Draft 2020-12)"},
            "sub_actions": {
                "type": "object",
                "additionalProperties": _RECORD,
                "description": "Params JSON Schema of each sub-action",
            },
        },
    },
    "CreateConnectorRequest": {
        "type": "object",
        "required": ["name", "connector_type_id"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "connector_type_id": {"type": "string", "minLength": 1},
            "config": _RECORD,
            "secrets": _RECORD,
        },
    },
    "UpdateConnectorRequest": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "config": _RECORD,
            "secrets": {**_RECORD, "description": "Omitted: the stored secrets are kept."},
        },
    },
    "RunConnectorRequest": {
        "type": "object",
        "required": ["params"],
        "additionalProperties": False,
        "properties": {"params": _RECORD},
    },
    "RunConnectorResponse": {
        "type": "object",
        "required": ["connector_id", "status"],
        "properties": {
            "connector_id": {"type": "string"},
            "status": {"type": "string", "enum": ["ok", "error"]},
            "message": {"type": "string"},
            "service_message": {"type": "string"},
            "data": {},
            "retry": {"anyOf": [{"type": "boolean"}, {"type": "string", "format": "date-time"}]},
            "errorSource": {"type": "string", "enum": ["user", "framework"]},
        },
    },
    "UsageSums": {"type": "object", "properties": _usage_sums},
    "UsageBucket": {
        "type": "object",
        "required": ["start", "end", *_usage_sums],
        "properties": {
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            **_usage_sums,
        },
    },
    "UsageGroup": {
        "type": "object",
        "properties": {
            "model": {"type": "string"},
            "user": {"type": ["string", "null"], "description": "api_key:<id> or a user name"},
            "api_key_id": {"type": "string"},
            "name": {"type": "string"},
            **_usage_sums,
        },
    },
    "UsageReport": {
        "type": "object",
        "required": ["connector_id", "from", "to", "interval", "buckets", "totals"],
        "properties": {
            "connector_id": {"type": "string"},
            "connector_name": {"type": "string"},
            "connector_type_id": {"type": "string"},
            "space_id": {"type": "string"},
            "from": {"type": "string", "format": "date-time"},
            "to": {"type": "string", "format": "date-time"},
            "interval": {"type": "string"},
            "interval_seconds": {"type": "integer"},
            "totals": ref("UsageSums"),
            "buckets": {"type": "array", "items": ref("UsageBucket")},
            "by_model": {"type": "array", "items": ref("UsageGroup")},
            "by_api_key": {"type": "array", "items": ref("UsageGroup")},
        },
    },
    "Status": {
        "type": "object",
        "required": ["name", "version", "status"],
        "properties": {
            "name": {"type": "string"},
            "version": {"type": "object", "properties": {"number": {"type": "string"}}},
            "status": {"type": "object"},
        },
    },
}

SECURITY_SCHEMES = {
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`ApiKey <base64 of id:key>`, as printed by `actions api-keys create`.",
    },
    "basicAuth": {"type": "http", "scheme": "basic"},
}
SECURITY: list[dict[str, list[str]]] = [{"apiKeyAuth": []}, {"basicAuth": []}]
COMPONENTS = {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES}

XSRF_PARAMETER = {
    "name": "kbn-xsrf",
    "in": "header",
    "required": True,
    "description": "Cross-site request forgery protection: any value.",
    "schema": {"type": "string"},
}
SPACE_PARAMETER = {
    "name": "spaceId",
    "in": "path",
    "required": True,
    "description": "The space; without `/s/{spaceId}` the default space is used.",
    "schema": {"type": "string", "pattern": "^[a-z0-9_-]{1,100}$"},
}

_ERRORS = {
    400: "Bad request: invalid JSON, body or parameters, or a refused operation.",
    401: "Authorization information is missing or invalid.",
    403: "The caller's role does not allow this, or the connector type is disabled.",
    404: "Object is not found.",
    409: "Conflict: the id is taken, or the connector changed meanwhile.",
    413: "The request body is larger than server.maxPayload.",
    429: "queued.max executions are already queued (nothing was queued).",
}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def json_body(schema_name: str) -> dict[str, Any]:
    """``openapi_extra`` describing a required JSON request body."""
    return {"requestBody": {"required": True, "content": json_content(ref(schema_name))}}


def responses(
    ok: int, schema: dict[str, Any] | None, *errors: int, description: str = "Success."
) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: the success code and Kibana-shaped error bodies."""
    found: dict[int | str, dict[str, Any]] = {ok: {"description": description}}
    if schema is not None:
        found[ok]["content"] = json_content(schema)
    for code in (401, *errors):
        found[code] = {"description": _ERRORS[code], "content": json_content(ref("Error"))}
    return found
