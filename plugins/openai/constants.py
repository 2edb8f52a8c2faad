"""Identity and constants of the ``.gen-ai`` connector (spec §0)."""

from __future__ import annotations

import re

TYPE_ID = ".gen-ai"
TYPE_NAME = "OpenAI"
MINIMUM_LICENSE = "enterprise"
SUPPORTED_FEATURE_IDS = (
    "generativeAIForSecurity",
    "generativeAIForObservability",
    "generativeAIForSearchPlayground",
)

OPENAI = "OpenAI"
AZURE = "Azure OpenAI"
OTHER = "Other"
PROVIDERS = (OPENAI, AZURE, OTHER)

OPENAI_CHAT_URL = "https://api.openai.com/v1/chat/completions"
OPENAI_LEGACY_COMPLETION_URL = "https://api.openai.com/v1/completions"
OPENAI_URLS = frozenset({OPENAI_CHAT_URL, OPENAI_LEGACY_COMPLETION_URL})

AZURE_CHAT_URL = "/openai/deployments/{deployment-id}/chat/completions?api-version={api-version}"
AZURE_COMPLETION_URL = "/openai/deployments/{deployment-id}/completions?api-version={api-version}"
AZURE_EXTENSIONS_CHAT_URL = (
    "/openai/deployments/{deployment-id}/extensions/chat/completions?api-version={api-version}"
)


def _azure_pattern(template: str) -> re.Pattern[str]:
    """Kibana's matcher: the template without its query, the deployment id one path segment."""
    path = template.split("?", 1)[0]
    before, after = path.split("{deployment-id}")
    return re.compile(re.escape(before) + "[^/]+" + re.escape(after))


AZURE_URL_PATTERNS = tuple(
    _azure_pattern(t) for t in (AZURE_CHAT_URL, AZURE_COMPLETION_URL, AZURE_EXTENSIONS_CHAT_URL)
)

#: The model used when neither the request nor the connector names one (Kibana's DEFAULT_MODEL).
DEFAULT_MODEL = "gpt-4.1"
#: Default timeout of run, test and invokeAI, in milliseconds (never below the platform's).
DEFAULT_TIMEOUT_MS = 120_000

#: The type's description in ``Actions.types()`` and the HTTP API.
DESCRIPTION = (
    "Chat completions from OpenAI, Azure OpenAI and OpenAI-compatible services "
    "(vLLM, llama.cpp, LM Studio, Ollama ...), with token usage in the event log."
)
