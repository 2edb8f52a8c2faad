"""The kit's fixtures (``actions``, ``actions_http``, ``actions_http_read``, ``fake_openai``)
come from actions-core's pytest plugin; this file only adds the plugin under test to them."""

from __future__ import annotations

import actions_core_example
import pytest


@pytest.fixture
def actions_plugins():
    # Registered under its own name whether or not the package is also installed.
    return [actions_core_example]
