"""An example actions-core plugin: ``example.greeting`` and the sub-action type ``example.shout``.

actions-core finds this module through its entry point (group ``actions_core``, name ``example``)
and calls the hook below once per ``Actions`` instance.
"""

from __future__ import annotations

import actions_core

from .greeting import greeting_type
from .shout import shout_type

__all__ = ["greeting_type", "register_action_types", "shout_type"]


@actions_core.hookimpl
def register_action_types(register):
    register(greeting_type())
    register(shout_type())
