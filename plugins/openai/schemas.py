"""JSON Schemas (Draft 2020-12) of the ``.gen-ai`` config, secrets and params (§1, §2, §9.1).

Schemas are data: ``Actions.types()`` and the HTTP API serve them so a UI can build forms.
"""

from __future__ import annotations

import json
from typing import Any

from .constants import AZURE, DEFAULT_MODEL, OPENAI, OPENAI_CHAT_URL, OTHER, PROVIDERS

__all__ = [
    "CONFIG_SCHEMA",
    "DASHBOARD_PARAMS",
    "INVOKE_PARAMS",
    "RUN_PARAMS",
    "SECRETS_SCHEMA",
    "STREAM_PARAMS",
    "SUB_ACTION_PARAMS",
]

_STRING = {"type": "string"}
# Numbers, or numeric strings that the config validator turns into numbers (as zod's coerce).
_NUMBERISH = {"type": ["number", "string"]}
_HEADERS = {
    "type": "object",
    "additionalProperties": _STRING,
    "title": "Headers",
    "description": "Extra HTTP headers sent with every request.",
}
_MODEL = {
    "type": "string",
    "title": "Default model",
    "description": "If a request does not include a model, it uses the default.",
}
_AZURE_TEMPLATE = (
    "https://{your-resource-name}.openai.azure.com/openai/deployments/{deployment-id}"
    "/chat/completions?api-version={api-version}"
)


def _provider(
    provider: str, url: dict[str, Any], extra: dict[str, Any], required: tuple[str, ...] = ()
):
    """``if apiProvider == provider then <that provider's strict object>``."""
    return {
        "if": {"properties": {"apiProvider": {"const": provider}}, "required": ["apiProvider"]},
        "then": {
            "properties": {
                "apiProvider": {"const": provider},
                "apiUrl": {"type": "string", "title": "URL", **url},
                **extra,
                "headers": _HEADERS,
                "contextWindowLength": {
                    **_NUMBERISH,
                    "title": "Context window length",
                    "description": "The model's context window, in tokens.",
                },
                "temperature": {**_NUMBERISH, "title": "Temperature"},
            },
            "required": ["apiUrl", *required],
            "additionalProperties": False,
        },
    }


#: One strict variant per provider, chosen by ``apiProvider`` (Kibana's union of objects).
#: ``title``/``oneOf``/``default``/``examples`` are form annotations (docs/plugins.md).
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiProvider": {
            "type": "string",
            "enum": list(PROVIDERS),
            "title": "Select an OpenAI provider",
            "oneOf": [
                {"const": OPENAI, "title": "OpenAI"},
                {"const": AZURE, "title": "Azure OpenAI"},
                {"const": OTHER, "title": "Other (OpenAI Compatible Service)"},
            ],
            "default": OPENAI,
        }
    },
    "required": ["apiProvider"],
    "allOf": [
        _provider(
            OPENAI,
            {"default": OPENAI_CHAT_URL, "format": "uri"},
            {
                "organizationId": {**_STRING, "title": "OpenAI Organization"},
                "projectId": {**_STRING, "title": "OpenAI Project"},
                "defaultModel": {**_MODEL, "default": DEFAULT_MODEL},
            },
        ),
        _provider(
            AZURE,
            {
                "format": "uri",
                "examples": [_AZURE_TEMPLATE],
                "description": f"The Azure OpenAI chat completions URL: {_AZURE_TEMPLATE}",
            },
            {"defaultModel": _MODEL},
        ),
        _provider(
            OTHER,
            {"format": "uri", "description": "The OpenAI-compatible chat completions endpoint."},
            {
                "defaultModel": _MODEL,
                "verificationMode": {
                    "enum": ["full", "certificate", "none"],
                    "title": "SSL verification mode",
                    "oneOf": [
                        {"const": "full", "title": "Full (certificate and host name)"},
                        {"const": "certificate", "title": "Certificate only"},
                        {"const": "none", "title": "None"},
                    ],
                    "description": "PKI authentication: choose how the server is verified "
                    "to enter a client certificate, private key and CA.",
                },
                "enableNativeFunctionCalling": {
                    "type": "boolean",
                    "title": "Enable native function calling",
                },
            },
            required=("defaultModel",),
        ),
    ],
}

_PEM_DATA = {
    "type": "string",
    "minLength": 1,
    "writeOnly": True,
    "contentMediaType": "text/plain",
}
SECRETS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiKey": {**_STRING, "title": "API key", "writeOnly": True, "format": "password"},
        "certificateData": {
            **_PEM_DATA,
            "title": "PKI certificate",
            "description": "Other providers with PKI authentication: base64 of a PEM file.",
        },
        "privateKeyData": {
            **_PEM_DATA,
            "title": "PKI private key",
            "description": "base64 of a PEM file",
        },
        "caData": {**_PEM_DATA, "title": "CA certificate", "description": "base64 of a PEM file"},
    },
    "additionalProperties": False,
    # A form annotation, no rule: secrets never have verificationMode, so this if never holds
    # for them; the form reads it as "shown when the config's verificationMode is set" (PKI).
    "allOf": [
        {
            "if": {
                "properties": {"verificationMode": {"enum": ["full", "certificate", "none"]}},
                "required": ["verificationMode"],
            },
            "then": {"properties": {"certificateData": {}, "privateKeyData": {}, "caData": {}}},
        }
    ],
}

_TELEMETRY = {
    "type": "object",
    "properties": {"pluginId": _STRING, "aggregateBy": _STRING, "useCase": _STRING},
    "additionalProperties": False,
}
#: The longest ``timeout`` accepted, in milliseconds (Node's ``TIMEOUT_MAX``, about 24.8 days).
TIMEOUT_MAX_MS = 2**31 - 1
_COMMON = {
    "signal": {"description": "accepted for Kibana compatibility and ignored"},
    # Node's timers take at most 2^31 - 1 ms (TIMEOUT_MAX); beyond it no clock can wait
    "timeout": {
        "type": "number",
        "maximum": TIMEOUT_MAX_MS,
        "title": "Timeout",
        "description": "milliseconds",
    },
    "telemetryMetadata": {**_TELEMETRY, "title": "Telemetry metadata"},
}
_MAX_CONTENT_LENGTH = {
    "type": "integer",
    "minimum": 1,
    "title": "Maximum response size",
    "description": "bytes",
}
#: Kibana's test body (``Hello world``); a JSON editor in the UI.
_BODY = {
    "type": "string",
    "title": "Body",
    "contentMediaType": "application/json",
    "description": "The JSON body of the chat completions request.",
    "examples": [
        json.dumps({"messages": [{"role": "user", "content": "Hello world"}]}, indent=2),
    ],
}

RUN_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"body": _BODY, **_COMMON, "maxContentLength": _MAX_CONTENT_LENGTH},
    "required": ["body"],
    "additionalProperties": False,
}

STREAM_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "body": _BODY,
        "stream": {"type": "boolean", "default": False, "title": "Stream"},
        **_COMMON,
    },
    "required": ["body"],
    "additionalProperties": False,
}

_FUNCTION_CALL = {
    "type": "object",
    "properties": {"arguments": _STRING, "name": _STRING},
    "required": ["arguments", "name"],
    "additionalProperties": False,
}
_MESSAGE = {
    "type": "object",
    "properties": {
        "role": _STRING,
        "content": _STRING,
        "name": _STRING,
        "function_call": _FUNCTION_CALL,
        "tool_calls": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": _STRING, "type": _STRING, "function": _FUNCTION_CALL},
                "required": ["id", "type", "function"],
                "additionalProperties": False,
            },
        },
        "tool_call_id": _STRING,
    },
    "required": ["role", "content"],
    "additionalProperties": False,
}
_TOOL = {
    "type": "object",
    "properties": {
        "type": {"const": "function"},
        "function": {
            "type": "object",
            "properties": {
                "name": _STRING,
                "description": _STRING,
                "parameters": {"type": "object"},
                "strict": {"type": "boolean"},
            },
            "required": ["name", "parameters"],
        },
    },
    "required": ["type", "function"],
}
_TOOL_CHOICE = {
    "anyOf": [
        {"enum": ["none", "auto", "required"]},
        {
            "type": "object",
            "properties": {
                "type": {"const": "function"},
                "function": {
                    "type": "object",
                    "properties": {"name": _STRING},
                    "required": ["name"],
                },
            },
            "required": ["type", "function"],
            "additionalProperties": False,
        },
    ]
}
_FUNCTION = {
    "type": "object",
    "properties": {
        "name": _STRING,
        "description": _STRING,
        "parameters": {
            "type": "object",
            "properties": {
                "type": _STRING,
                "properties": {"type": "object"},
                "additionalProperties": {"type": "boolean"},
                "$schema": _STRING,
            },
            "required": ["type", "properties", "additionalProperties", "$schema"],
        },
    },
    "required": ["name", "description", "parameters"],
}
_FUNCTION_CHOICE = {
    "anyOf": [
        {"enum": ["none", "auto"]},
        {
            "type": "object",
            "properties": {"name": _STRING},
            "required": ["name"],
            "additionalProperties": False,
        },
    ]
}

INVOKE_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "messages": {"type": "array", "items": _MESSAGE},
        "model": _STRING,
        "tools": {"type": "array", "items": _TOOL},
        "tool_choice": _TOOL_CHOICE,
        "functions": {"type": "array", "items": _FUNCTION},
        "function_call": _FUNCTION_CHOICE,
        "n": {"type": "number"},
        "stop": {"type": ["string", "array", "null"], "items": _STRING},
        "temperature": {"type": "number"},
        "response_format": {},
        **_COMMON,
        "maxContentLength": _MAX_CONTENT_LENGTH,
    },
    "required": ["messages"],
    "additionalProperties": False,
}

DASHBOARD_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"dashboardId": _STRING},
    "required": ["dashboardId"],
    "additionalProperties": False,
}

#: Keys of the invoke params that steer the request instead of going into its body.
REQUEST_OPTIONS = ("signal", "timeout", "telemetryMetadata", "maxContentLength")

#: Every sub-action and its params schema, in Kibana's order. :class:`.connector.OpenAIConnector`
#: takes its methods' schemas from here and the registered type its sub-action table.
SUB_ACTION_PARAMS: dict[str, dict[str, Any]] = {
    "run": RUN_PARAMS,
    "test": RUN_PARAMS,
    "stream": STREAM_PARAMS,
    "invokeAI": INVOKE_PARAMS,
    "invokeStream": INVOKE_PARAMS,
    "invokeAsyncIterator": INVOKE_PARAMS,
    "getDashboard": DASHBOARD_PARAMS,
}
