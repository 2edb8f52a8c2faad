"""The registered ``.gen-ai`` type is ``gen_ai_type()``, built without importing the connector.

The plugin registers a type assembled from its light modules so that discovery does not import
requests or the tokenizer (tests/test_startup.py); this keeps it identical to the definition.
"""

from __future__ import annotations

import dataclasses

import actions_core_plugins.openai as plugin
import pytest
from actions_core_plugins.openai.connector import gen_ai_type

import actions_core

#: Callables that the registered type defers: the same behaviour, other function objects.
DEFERRED_FIELDS = ("executor", "async_executor", "validate_config", "validate_secrets")


def test_the_registered_type_matches_gen_ai_type_field_for_field():
    registered, defined = plugin.lazy_gen_ai_type(), gen_ai_type()
    for field in dataclasses.fields(actions_core.ActionType):
        if field.name in DEFERRED_FIELDS:
            continue
        assert getattr(registered, field.name) == getattr(defined, field.name), field.name
    assert list(registered.sub_actions) == list(defined.sub_actions)


@pytest.mark.parametrize("name", ["validate_config", "validate_secrets"])
def test_the_deferred_validators_are_the_connectors_validators(name):
    from actions_core_plugins.openai import validators

    ctx = actions_core.ValidationContext(".gen-ai", actions_core.NetworkPolicy())
    value = {"apiProvider": "Foo", "apiUrl": "https://api.openai.com/v1/chat/completions"}
    outcomes = []
    for validator in (getattr(plugin.lazy_gen_ai_type(), name), getattr(validators, name)):
        try:
            outcomes.append(("ok", validator(dict(value), ctx)))
        except Exception as err:
            outcomes.append((type(err), str(err)))
    assert outcomes[0] == outcomes[1]


def test_the_lazy_exports_are_the_connector_modules_names():
    from actions_core_plugins.openai import aio, connector

    assert plugin.gen_ai_type is connector.gen_ai_type
    assert plugin.OpenAIConnector is connector.OpenAIConnector
    assert plugin.aiter_stream is aio.aiter_stream
    assert set(plugin.__all__) <= set(dir(plugin))
