"""Token estimates: cl100k_base offline, and Kibana's formulas (spec §11)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from actions_core_plugins.openai.tokens import (
    completion_tokens_from_message,
    count_tokens,
    functions_prompt_tokens,
    messages_prompt_tokens,
    stream_messages_prompt_tokens,
)

MESSAGES = [
    {"role": "system", "content": "This is a system message"},
    {"role": "user", "content": "This is a user message"},
]


def test_kibanas_reference_counts():
    # the values Kibana's own token-counting tests expect for these inputs
    assert messages_prompt_tokens(MESSAGES) == 36
    assert completion_tokens_from_message("Single", "", "") == 5  # {"content":"Single"}


def test_invoke_stream_prompt_has_no_extra_newline():
    assert stream_messages_prompt_tokens(MESSAGES) == 34
    assert count_tokens("<|start|>system\nThis is a system message<|end|>") < 36


def test_name_and_function_call_are_part_of_the_message_text():
    with_name = [{"role": "user", "content": "hi", "name": "ada"}]
    call = [{"role": "assistant", "content": "", "function_call": {"name": "f", "arguments": "{}"}}]
    assert messages_prompt_tokens(with_name) == count_tokens("<|start|>user\nhi\nada<|end|>")
    assert messages_prompt_tokens(call) == count_tokens("<|start|>assistant\n\nf\n{}<|end|>")


def test_functions_add_name_description_and_parameters():
    functions = [{"name": "myFunction", "description": "My function", "parameters": {"a": 1.0}}]
    assert functions_prompt_tokens(functions) == count_tokens(
        '<|start|>myFunction\nMy function\n{"a":1}<|end|>'
    )
    assert functions_prompt_tokens(None) == 0


def test_completion_with_a_function_call_counts_its_json():
    assert completion_tokens_from_message("", "get_weather", '{"city":"Paris"}') == count_tokens(
        '{"function_call":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}'
    )
    assert completion_tokens_from_message("", "", "") == count_tokens("{}")


def test_special_tokens_in_user_text_are_counted_as_plain_text():
    assert count_tokens("<|endoftext|>") > 1
    assert count_tokens("") == 0


def test_the_tokenizer_works_without_any_network(tmp_path):
    """Plain tiktoken downloads its files; the bundled encoding must not."""
    code = textwrap.dedent(
        """
        import socket
        def refuse(*a, **k):
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from actions_core_plugins.openai.tokens import count_tokens
        print(count_tokens("hello world"))
        """
    )
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
