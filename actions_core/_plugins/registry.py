"""The registry of action types and its rules.

Registration is strict where Kibana is lenient (ids are validated, schemas are checked up front),
because a type that registers cleanly should never fail later on a malformed schema.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from actions_core._plugins.action_type import FEATURE_IDS, ActionType
from actions_core._run.validation import check_schema
from actions_core.errors import ActionTypeDisabledError, RegistrationError, ValidationError

__all__ = ["ID_PATTERN", "ActionTypeRegistry"]

ID_PATTERN = re.compile(r"^\.?[a-z0-9][a-z0-9._-]*$")
_MAX_ID_LENGTH = 255
_LICENSES = ("basic", "standard", "gold", "platinum", "enterprise", "trial")


class ActionTypeRegistry:
    """Holds registered types; ``enabled_action_types`` is Kibana's ``enabledActionTypes``."""

    def __init__(self, enabled_action_types: Iterable[str] = ("*",)) -> None:
        self._types: dict[str, ActionType] = {}
        self._plugins: dict[str, str | None] = {}
        self._enabled = tuple(enabled_action_types)
        self._lock = threading.Lock()

    # --- registration ---

    def register(self, action_type: ActionType, *, plugin: str | None = None) -> None:
        """Add ``action_type``; raises :class:`RegistrationError` naming the broken rule."""
        if not isinstance(action_type, ActionType):
            raise RegistrationError(
                f"register() takes an actions_core.ActionType, got {type(action_type).__name__}"
            )
        type_id = action_type.id
        _check_id(type_id)
        if not isinstance(action_type.name, str) or not action_type.name.strip():
            raise RegistrationError(f'Action type "{type_id}" must have a non-empty name.')
        if not callable(action_type.executor):
            raise RegistrationError(f'Action type "{type_id}": executor must be callable.')
        _check_features(type_id, action_type.supported_feature_ids)
        if action_type.minimum_license_required not in _LICENSES:
            raise RegistrationError(
                f'Action type "{type_id}": minimum_license_required must be one of '
                f"{', '.join(_LICENSES)}."
            )
        frozen: dict[str, Any] = {}
        for label in ("config_schema", "secrets_schema", "params_schema"):
            schema = getattr(action_type, label)
            problem = check_schema(schema)
            if problem:
                raise RegistrationError(
                    f'Action type "{type_id}": {label} is not a valid JSON Schema: {problem}'
                )
            # A private deep copy: later changes to the plugin's dict cannot affect validation.
            frozen[label] = copy.deepcopy(dict(schema))
        frozen["sub_actions"] = copy.deepcopy(dict(action_type.sub_actions))
        frozen["supported_feature_ids"] = tuple(action_type.supported_feature_ids)
        stored = replace(action_type, **frozen)
        with self._lock:
            if type_id in self._types:
                raise RegistrationError(_duplicate(type_id, self._plugins[type_id], plugin))
            self._types[type_id] = stored
            self._plugins[type_id] = plugin

    # --- queries ---

    def has(self, type_id: str) -> bool:
        return type_id in self._types

    def get(self, type_id: str) -> ActionType:
        try:
            return self._types[type_id]
        except KeyError:
            raise ValidationError(f'Action type "{type_id}" is not registered.') from None

    def plugin_of(self, type_id: str) -> str | None:
        return self._plugins.get(type_id)

    def list(self, feature_id: str | None = None) -> list[ActionType]:
        types = sorted(self._types.values(), key=lambda t: t.id)
        if feature_id is not None:
            types = [t for t in types if feature_id in t.supported_feature_ids]
        return types

    def is_enabled(self, type_id: str) -> bool:
        return "*" in self._enabled or type_id in self._enabled

    def ensure_enabled(self, type_id: str) -> None:
        if not self.is_enabled(type_id):
            raise ActionTypeDisabledError(
                f'action type "{type_id}" is not enabled in the configuration '
                "actions.enabledActionTypes"
            )

    def is_executable(self, type_id: str, *, is_preconfigured: bool) -> bool:
        """Preconfigured connectors run even when their type is not in ``enabledActionTypes``."""
        return self.is_enabled(type_id) or is_preconfigured


def _duplicate(type_id: str, first: str | None, second: str | None) -> str:
    """Kibana's message, plus both plugins and the way out when two plugins claim one id."""
    message = f'Action type "{type_id}" is already registered'
    if first is None and second is None:
        return message + "."
    if first is not None:
        message += f' by plugin "{first}"'
    if second is not None:
        message += f'; plugin "{second}" registers it again'
    return (
        f"{message}. Two plugins cannot register the same type id: leave one of them out with "
        "ACTIONS_PLUGINS (the comma-separated names of the plugins to load)."
    )


def _check_id(type_id: object) -> None:
    if not isinstance(type_id, str) or not type_id:
        raise RegistrationError("Action type id must be a non-empty string.")
    if len(type_id) > _MAX_ID_LENGTH or not ID_PATTERN.match(type_id):
        raise RegistrationError(
            f'Action type id "{type_id}" is invalid: it must match {ID_PATTERN.pattern} '
            "(lowercase letters, digits, '.', '_' and '-', optionally starting with '.') and "
            f"be at most {_MAX_ID_LENGTH} characters."
        )


def _check_features(type_id: str, feature_ids: Iterable[str]) -> None:
    features = list(feature_ids)
    if not features:
        raise RegistrationError(
            f'At least one "supportedFeatureId" value must be supplied for connector type '
            f'"{type_id}".'
        )
    if any(len(f) > 100 for f in features):
        raise RegistrationError(
            f'Feature IDs for connector type "{type_id}" must not exceed 100 characters.'
        )
    unknown = [f for f in features if f not in FEATURE_IDS]
    if unknown:
        raise RegistrationError(
            f'Invalid feature ids "{",".join(unknown)}" for connector type "{type_id}".'
        )
