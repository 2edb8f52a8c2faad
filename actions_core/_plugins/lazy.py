"""Callables that import their implementation on first use.

Every ``Actions()`` start discovers and registers all installed plugins, so a plugin's
registration should not import what only its executor needs (HTTP clients, tokenizers, crypto).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["imported_on_first_call"]


def imported_on_first_call(target: str) -> Callable[..., Any]:
    """A function that imports ``"package.module:name"`` when first called and delegates to it.

    Use it for an ``ActionType``'s executor or validators so that registering the type stays
    cheap; an import error surfaces at the first call, naming the target.
    """
    module_name, _, name = target.partition(":")
    if not module_name or not name:
        raise ValueError(f'expected "package.module:name", got {target!r}')

    @functools.cache
    def resolve() -> Callable[..., Any]:
        function: Callable[..., Any] = getattr(importlib.import_module(module_name), name)
        return function

    def call(*args: Any, **kwargs: Any) -> Any:
        return resolve()(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{target}``, imported on first call."
    return call
