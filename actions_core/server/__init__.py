"""The Kibana-compatible HTTP service: connector API, streaming execute, spaces, API keys,
audit log and the token usage dashboard. ``actions serve`` runs it on uvicorn."""

from .apikeys import ApiKey, ApiKeyStore, NewApiKey
from .app import OPENAPI_URL, build_openapi, create_app
from .audit import AuditLog
from .auth import Principal
from .passwords import hash_password, verify_password

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
