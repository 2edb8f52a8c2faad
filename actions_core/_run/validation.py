"""JSON Schema validation with readable, complete error lists.

Validators are compiled once per schema object and cached: the registry freezes every schema at
registration, so the schema object's identity is a safe cache key and a lookup costs a dict probe.
Errors mimic the phrasing Kibana users know (``[field]: expected value of type [string] but got
[undefined]``) and list *every* problem, because fixing one field at a time is tedious.

jsonschema is imported on first use, not with this module: registration only needs the
meta-schema check, which :mod:`.schema_cache` usually answers without jsonschema, and importing
jsonschema costs more than the rest of start-up.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from actions_core._js.json_values import check_json_value
from actions_core._js.values import expected_type_message, js_type_name
from actions_core._run import schema_cache
from actions_core.errors import ValidationError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as JsonSchemaError

    from actions_core._plugins.action_type import ActionType
    from actions_core._run.context import ValidationContext

__all__ = [
    "SchemaValidationError",
    "check_schema",
    "format_problems",
    "validate",
    "validate_connector_values",
    "validator_for",
]

_cache: dict[int, tuple[Any, Draft202012Validator]] = {}
_cache_lock = threading.Lock()
_checked: dict[str, str | None] = {}


class SchemaValidationError(ValidationError):
    """A value failed its JSON Schema; ``problems`` holds every ``(path, message)`` found."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(format_problems(problems), problems)


def check_schema(schema: Any) -> str | None:
    """Return why ``schema`` is not a valid Draft 2020-12 schema, or ``None`` when it is.

    Checking against the meta-schema is slow for large schemas, and plugins register the same
    schema objects at every start, so results are remembered per schema content: in this
    process, and passes also across processes (see :mod:`.schema_cache`).
    """
    if not isinstance(schema, Mapping):
        return f"a schema must be an object, got {js_type_name(schema)}"
    key = _canonical_json(schema)
    if key is not None:
        if key in _checked:
            return _checked[key]
        if schema_cache.passed(key):
            _checked[key] = None
            return None
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
        problem = None
    except SchemaError as err:
        where = ".".join(str(p) for p in err.absolute_path)
        problem = f"[{where}]: {err.message}" if where else err.message
    if key is not None:
        _checked[key] = problem
        if problem is None:
            schema_cache.remember(key)
    return problem


def _canonical_json(schema: Mapping[str, Any]) -> str | None:
    """The schema's JSON with sorted keys, or ``None`` when JSON cannot represent it exactly.

    Tuples, non-string keys and other non-JSON values would share a text with a different
    schema (``("a",)`` and ``["a"]`` dump alike, but only the list is a JSON array to
    jsonschema), so such schemas are never looked up by content.
    """
    try:
        text = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return None
    if json.loads(text) != schema:
        return None
    return text


def validator_for(schema: Mapping[str, Any]) -> Draft202012Validator:
    """The compiled validator of ``schema``, built on first use and then reused."""
    entry = _cache.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    with _cache_lock:
        # Keeping the schema in the entry keeps it alive, so its id cannot be reused.
        _cache[id(schema)] = (schema, validator)
    return validator


def validate(schema: Mapping[str, Any], value: Any, *, secret: bool = False) -> Any:
    """Validate ``value`` and return a copy with the schema's declared defaults filled in.

    Raises :class:`SchemaValidationError` listing every problem. With ``secret=True`` (a
    connector's secrets) no message quotes the value: they reach API responses and event logs.
    """
    validator = validator_for(schema)
    problems = _problems(validator.iter_errors(value), secret)
    if problems:
        raise SchemaValidationError(problems)
    if not _has_defaults(schema):
        return value
    result = copy.deepcopy(value)
    _apply_defaults(schema, result, schema)
    return result


def validate_connector_values(
    action_type: ActionType,
    config: Any,
    secrets: Any,
    ctx: ValidationContext,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Schema then custom checks for config, secrets and the pair; returns the validated values.

    Used by the connectors service on every write and by the executor before a run. Raises
    :class:`ValidationError` with Kibana's prefixes (``error validating connector type config:
    ...``) and every problem found in that part.
    """
    config = _validate_part(
        "config", action_type.config_schema, action_type.validate_config, config, ctx
    )
    secrets = _validate_part(
        "secrets", action_type.secrets_schema, action_type.validate_secrets, secrets, ctx
    )
    if action_type.validate_connector is not None:
        try:
            problem = action_type.validate_connector(config, secrets, ctx)
        except Exception as err:
            problem = getattr(err, "message", None) or str(err)
        if problem:
            raise ValidationError(f"error validating action type connector: {problem}")
    return config, secrets


def _validate_part(
    part: str,
    schema: Mapping[str, Any],
    custom: Callable[[dict[str, Any], ValidationContext], dict[str, Any] | None] | None,
    value: Any,
    ctx: ValidationContext,
) -> dict[str, Any]:
    """Schema first, then the type's own check; any failure is prefixed the way Kibana does."""
    try:
        not_json = check_json_value(value)
        if not_json:  # NaN, Infinity, a lone surrogate: nothing that cannot be stored and read back
            raise ValidationError(format_problems(not_json), not_json)
        value = validate(schema, value, secret=part == "secrets")
        if custom is not None:
            value = custom(value, ctx) or value
    except Exception as err:
        problems = getattr(err, "problems", None) or []
        message = getattr(err, "message", None) or str(err)
        raise ValidationError(
            f"error validating connector type {part}: {message}", problems
        ) from None
    return value


def format_problems(problems: Iterable[tuple[str, str]]) -> str:
    return "; ".join(f"[{path}]: {message}" if path else message for path, message in problems)


# --- error formatting ------------------------------------------------------------------------


def _expected(schema: Any) -> str:
    declared = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(declared, list):
        return " | ".join(declared)
    if declared:
        return declared
    if isinstance(schema, Mapping) and "const" in schema:
        return repr(schema["const"])
    return "any"


def _join(path: Iterable[Any], *more: Any) -> str:
    return ".".join(str(p) for p in (*path, *more))


def _problems(errors: Iterable[JsonSchemaError], secret: bool) -> list[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for error in errors:
        for problem in _describe(error, secret):
            if problem not in seen:
                seen.add(problem)
                out.append(problem)
    return out


def _describe(error: JsonSchemaError, secret: bool) -> list[tuple[str, str]]:
    path = list(error.absolute_path)
    kind = error.validator
    validator_value: Any = error.validator_value  # set on every error a validator reports
    instance = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if kind == "required":
        properties = schema.get("properties", {})
        return [
            (
                _join(path, name),
                expected_type_message(_expected(properties.get(name))),
            )
            for name in validator_value
            if isinstance(instance, Mapping) and name not in instance
        ]
    if kind in ("additionalProperties", "unevaluatedProperties"):
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [
            key
            for key in (instance if isinstance(instance, Mapping) else ())
            if key not in known and not any(p.search(key) for p in patterns)
        ]
        if extra:
            return [(_join(path, key), "definition for this key is missing") for key in extra]
    if kind == "type":
        return [
            (
                _join(path),
                expected_type_message(_expected(schema), instance),
            )
        ]
    if kind == "enum":
        allowed = ", ".join(str(v) for v in validator_value)
        got = "" if secret else f" but got [{instance}]"
        return [(_join(path), f"expected one of [{allowed}]{got}")]
    if kind == "const":
        return [(_join(path), f"expected value to equal [{error.validator_value}]")]
    if kind in ("minLength", "maxLength") and isinstance(instance, str):
        bound = "minimum" if kind == "minLength" else "maximum"
        return [
            (
                _join(path),
                f"value has length [{len(instance)}] but it must have a {bound} "
                f"length of [{error.validator_value}].",
            )
        ]
    if kind == "minimum":
        return [(_join(path), f"Value must be equal to or greater than [{error.validator_value}].")]
    if kind == "maximum":
        return [(_join(path), f"Value must be equal to or lower than [{error.validator_value}].")]
    if kind == "oneOf" and _labelled_choices(error.validator_value):
        # issue 10: a oneOf of {const, title} is a form's labelled choices; word it as an enum
        options = error.validator_value if isinstance(error.validator_value, list) else []
        allowed = ", ".join(str(option["const"]) for option in options)
        got = "" if secret else f" but got [{instance}]"
        return [(_join(path), f"expected one of [{allowed}]{got}")]
    if kind in ("oneOf", "anyOf") and error.context:
        branch = _closest_branch(error.context)
        if branch:
            return _problems(branch, secret)
    return [(_join(path), _without_value(error) if secret else error.message)]


def _labelled_choices(options: Any) -> bool:
    """``[{"const": v, "title": ...}, ...]``: choices, not alternatives to explain."""
    return (
        isinstance(options, list)
        and bool(options)
        and all(isinstance(o, Mapping) and set(o) == {"const", "title"} for o in options)
    )


def _without_value(error: JsonSchemaError) -> str:
    """A message for ``error`` that does not quote the value (jsonschema's own messages do)."""
    kind, rule = error.validator, error.validator_value
    if kind == "pattern":
        return f"value does not match the pattern [{rule}]"
    if kind == "format":
        return f"value is not a valid [{rule}]"
    if isinstance(rule, str | int | float) and not isinstance(rule, bool):
        return f"value does not satisfy [{kind}: {rule}]"
    return f"value does not satisfy the schema's [{kind}] rule"


def _closest_branch(context: list[JsonSchemaError]) -> list[JsonSchemaError] | None:
    """Pick the alternative the value was most likely meant to match.

    Alternatives that fail on a ``const``/``enum`` discriminator (``apiProvider: "OpenAI"``) are
    the ones the value did not aim at; among the rest, the one with the fewest problems wins.
    """
    branches: dict[Any, list[JsonSchemaError]] = {}
    for err in context:
        branches.setdefault(err.relative_schema_path[0], []).append(err)
    candidates = [
        errs
        for errs in branches.values()
        if not any(e.validator in ("const", "enum") and len(e.relative_path) <= 1 for e in errs)
    ]
    if not candidates:
        return None
    return min(candidates, key=len)


# --- defaults --------------------------------------------------------------------------------

_defaults_memo: dict[int, tuple[Any, bool]] = {}


def _has_defaults(schema: Mapping[str, Any]) -> bool:
    memo = _defaults_memo.get(id(schema))
    if memo is not None and memo[0] is schema:
        return memo[1]
    found = '"default"' in json.dumps(schema, default=str)
    _defaults_memo[id(schema)] = (schema, found)
    return found


def _resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    ref = schema.get("$ref") if isinstance(schema, Mapping) else None
    if not isinstance(ref, str) or not ref.startswith("#"):
        return schema
    target: Any = root
    for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        target = target[int(part)] if isinstance(target, list) else target[part]
    return target


_branch_memo: dict[tuple[int, int], tuple[Any, Any, Draft202012Validator]] = {}


def _matches(schema: Any, instance: Any, root: Mapping[str, Any]) -> bool:
    """Whether ``instance`` matches the branch ``schema`` (its validator is built once)."""
    key = (id(schema), id(root))
    memo = _branch_memo.get(key)
    if memo is None or memo[0] is not schema or memo[1] is not root:
        sub = dict(schema)
        if "$defs" in root and "$defs" not in sub:
            sub["$defs"] = root["$defs"]
        from jsonschema import Draft202012Validator

        # Keeping schema and root in the entry keeps them alive, so their ids cannot be reused.
        memo = (schema, root, Draft202012Validator(sub))
        _branch_memo[key] = memo
    return memo[2].is_valid(instance)


def _apply_defaults(schema: Any, instance: Any, root: Mapping[str, Any]) -> None:
    schema = _resolve(schema, root)
    if not isinstance(schema, Mapping):
        return
    if isinstance(instance, dict):
        for name, sub in schema.get("properties", {}).items():
            sub = _resolve(sub, root)
            if name not in instance and isinstance(sub, Mapping) and "default" in sub:
                instance[name] = copy.deepcopy(sub["default"])
            if name in instance:
                _apply_defaults(sub, instance[name], root)
    if isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for item in instance:
            _apply_defaults(schema["items"], item, root)
    for sub in schema.get("allOf", ()):
        _apply_defaults(sub, instance, root)
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, ()):
            if _matches(_resolve(sub, root), instance, root):
                _apply_defaults(sub, instance, root)
                break
    if "if" in schema:
        branch = "then" if _matches(_resolve(schema["if"], root), instance, root) else "else"
        if branch in schema:
            _apply_defaults(schema[branch], instance, root)
