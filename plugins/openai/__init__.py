"""``.gen-ai``: the OpenAI connector (OpenAI, Azure OpenAI and OpenAI-compatible services).

A built-in plugin that uses only actions-core's public API and is discovered through the
``actions_core`` entry point ``openai``, like any third-party plugin. See docs/openai.md.
"""

from __future__ import annotations

import actions_core

from .aio import aiter_stream
from .connector import OpenAIConnector, gen_ai_type
from .constants import DEFAULT_MODEL, DEFAULT_TIMEOUT_MS, TYPE_ID

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT_MS",
    "TYPE_ID",
    "OpenAIConnector",
    "aiter_stream",
    "gen_ai_type",
    "register_action_types",
]


@actions_core.hookimpl
def register_action_types(register):
    register(gen_ai_type())
