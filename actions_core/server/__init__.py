"""The Kibana-compatible HTTP service: connector API, streaming execute, spaces, API keys,
audit log, the connectors UI in the browser (sign-in sessions, forms generated from the types'
schemas) and the token usage dashboard. ``actions serve`` runs it on uvicorn."""

from actions_core.server.apikeys import ApiKey, ApiKeyStore, NewApiKey
from actions_core.server.app import OPENAPI_URL, build_openapi, create_app
from actions_core.server.audit import AuditLog
from actions_core.server.auth import Principal
from actions_core.server.passwords import hash_password, verify_password

__all__ = [
    "OPENAPI_URL",
    "ApiKey",
    "ApiKeyStore",
    "AuditLog",
    "NewApiKey",
    "Principal",
    "build_openapi",
    "create_app",
    "hash_password",
    "verify_password",
]
