"""Forms from JSON Schemas: a type's config, secrets and params schemas become form fields, and a
posted form becomes config / secrets / params again, with errors mapped back to the fields.

This is what gives every registered type, third-party ones included, a create / edit / test form
with no UI code. Only standard JSON Schema annotations refine the result:

``title``            the field's label (else the property name, humanised)
``description``      help text under the field
``default``          the initial value of a new connector
``examples``         the first one is the placeholder (or, for a JSON body, the initial text)
``format``           ``password`` → a password input; ``uri`` → a URL input
``writeOnly``        a secret: a password input, never shown again
``contentMediaType`` ``application/json`` on a string: a JSON editor (checked, kept as text);
                     any other media type: a multi-line text area
``enum``, ``oneOf``  a select; ``oneOf`` of ``{const, title}`` gives each choice its label
``if`` / ``then``    (top level or in ``allOf``) ``if`` a property is a ``const`` (or a one-value
                     ``enum``), ``then``'s properties are fields shown only for that value (a
                     property also declared at the top level keeps that schema and is only
                     shown then: ``"then": {"properties": {"authType": {}}}``)
``type``             boolean → checkbox; integer / number → number input; an object of strings →
                     key/value rows; other objects and arrays → a JSON text area; properties
                     with no type, enum or const are not shown

Field names in the posted form are ``<part>.<property>`` (``config.apiUrl``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SHOWN",
    "Choice",
    "FormField",
    "apply_values",
    "controllers",
    "fields_for",
    "map_problems",
    "parse_fields",
    "switched",
    "visible",
    "visible_in",
]

JSON_MEDIA = "application/json"
#: Prefix of the hidden inputs that say which value of a controlling field the form showed.
SHOWN = "__shown."
_PROBLEM = re.compile(r"\[([^\]]+)\]: ((?:(?!; \[).)+)")
_PART_PREFIX = re.compile(r"^error validating connector type (config|secrets): ")


@dataclass(frozen=True)
class Choice:
    value: Any
    label: str

    @property
    def key(self) -> str:
        """The ``<option value>`` of the choice."""
        return _key(self.value)


@dataclass
class FormField:
    """One control of a generated form."""

    part: str
    key: str
    label: str
    widget: str  # text password url number integer checkbox select textarea json jsontext keyvalue
    required: bool = False
    description: str | None = None
    placeholder: str | None = None
    default: Any = None
    choices: list[Choice] = field(default_factory=list)
    when: tuple[str, tuple[str, ...]] | None = None  # (controlling property, its values)
    variant: int = 0
    #: the part of the controlling property when it is not this field's own (secrets that
    #: depend on a config value)
    when_part: str | None = None
    secret: bool = False
    value: Any = None
    errors: list[str] = field(default_factory=list)
    schema_text: str = ""

    @property
    def name(self) -> str:
        return f"{self.part}.{self.key}"

    @property
    def id(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9_-]", "_", f"{self.part}-{self.key}")
        return f"f-{slug}" + (f"-{self.variant}" if self.variant else "")

    @property
    def when_name(self) -> str:
        return f"{self.when_part or self.part}.{self.when[0]}" if self.when else ""

    @property
    def when_values(self) -> str:
        return json.dumps(list(self.when[1])) if self.when else ""

    @property
    def text(self) -> str:
        """The value as the control shows it."""
        value = self.value
        if value is None:
            return ""
        if self.widget == "json":
            return json.dumps(value, indent=2, ensure_ascii=False)
        if self.widget in ("select", "checkbox"):
            return _key(value)
        return str(value)

    @property
    def rows(self) -> list[tuple[str, str]]:
        """Key/value rows (existing ones plus one empty row to add to)."""
        items = list((self.value or {}).items()) if isinstance(self.value, Mapping) else []
        return [(str(k), str(v)) for k, v in items] + [("", "")]


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def humanize(name: str) -> str:
    """``apiUrl`` → ``Api url``; ``defaultModel`` → ``Default model``."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ").split()
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:]


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    return [k for k in kinds if k != "null"]


def _choices(schema: Mapping[str, Any]) -> list[Choice] | None:
    options = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(options, list) and options and all("const" in o for o in options):
        return [
            Choice(o["const"], str(o.get("title", o["const"])))
            for o in options
            if o["const"] is not None  # null is the empty choice of an optional field
        ]
    if isinstance(schema.get("enum"), list):
        return [Choice(v, _key(v)) for v in schema["enum"] if v is not None]
    return None


def _widget(schema: Mapping[str, Any], part: str) -> str | None:
    kinds = _types(schema)
    if "const" in schema and not kinds:
        return None
    if _choices(schema) is not None:
        return "select"
    if not kinds:
        return None
    kind = kinds[0] if len(kinds) == 1 else "string"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return kind
    if kind == "object":
        extra = schema.get("additionalProperties")
        if (
            not schema.get("properties")
            and isinstance(extra, Mapping)
            and _types(extra) == ["string"]
        ):
            return "keyvalue"
        return "json"
    if kind == "array":
        return "json"
    media = schema.get("contentMediaType")
    if media == JSON_MEDIA:
        return "jsontext"
    if media:
        return "textarea"
    if schema.get("writeOnly") or schema.get("format") == "password":
        return "password"
    if schema.get("format") in ("uri", "url"):
        return "url"
    return "text"


def _make(part: str, key: str, schema: Mapping[str, Any], required: bool) -> FormField | None:
    widget = _widget(schema, part)
    if widget is None:
        return None
    examples = schema.get("examples")
    example = examples[0] if isinstance(examples, list) and examples else None
    made = FormField(
        part=part,
        key=key,
        label=str(schema.get("title") or humanize(key)),
        widget=widget,
        required=required,
        description=schema.get("description"),
        placeholder=example if isinstance(example, str) and widget != "jsontext" else None,
        default=schema.get("default", example if widget == "jsontext" else None),
        choices=_choices(schema) or [],
        secret=part == "secrets" or bool(schema.get("writeOnly")),
        schema_text=json.dumps(schema, sort_keys=True) + f"|{required}",
    )
    return made


def _condition(schema: Any) -> tuple[str, tuple[str, ...]] | None:
    """``{"properties": {"p": {"const": v}}}`` → ``("p", (v,))``; an ``enum`` gives its values."""
    if not isinstance(schema, Mapping):
        return None
    props = schema.get("properties")
    if not isinstance(props, Mapping) or len(props) != 1:
        return None
    ((name, rule),) = props.items()
    if isinstance(rule, Mapping):
        if "const" in rule:
            return name, (_key(rule["const"]),)
        if isinstance(rule.get("enum"), list) and rule["enum"]:
            return name, tuple(_key(v) for v in rule["enum"])
    return None


def fields_for(schema: Mapping[str, Any] | None, part: str) -> list[FormField]:
    """The form fields of an object schema, in the schema's order; conditional fields after the
    unconditional ones they depend on."""
    if not isinstance(schema, Mapping):
        return []
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    fields: list[FormField] = []
    for key, prop in properties.items():
        if isinstance(prop, Mapping):
            made = _make(part, key, prop, key in required)
            if made is not None:
                fields.append(made)
    branches = [b for b in schema.get("allOf") or [] if isinstance(b, Mapping)]
    if "if" in schema:
        branches.append(schema)
    for branch in branches:
        condition = _condition(branch.get("if"))
        then = branch.get("then")
        if condition is None or not isinstance(then, Mapping):
            continue
        controller, values = condition
        # a property this part does not have: the connector's config (secrets that depend on it)
        outer = "config" if controller not in properties and part != "config" else None
        then_required = set(then.get("required") or []) | required
        for key, prop in (then.get("properties") or {}).items():
            if key == controller or not isinstance(prop, Mapping):
                continue
            if key in properties:  # a top-level field that applies only when the if holds
                _restrict(fields, key, controller, values, outer)
                continue
            made = _make(part, key, prop, key in then_required)
            if made is None:
                continue
            made.when_part = outer
            _merge(fields, made, controller, values)
    return fields


def _restrict(
    fields: list[FormField],
    key: str,
    controller: str,
    values: tuple[str, ...],
    outer: str | None,
) -> None:
    for f in fields:
        if f.key != key:
            continue
        if f.when is None:
            f.when = (controller, values)
            f.when_part = outer
        elif f.when[0] == controller:
            f.when = (controller, (*f.when[1], *(v for v in values if v not in f.when[1])))


def _merge(
    fields: list[FormField], made: FormField, controller: str, values: tuple[str, ...]
) -> None:
    """One field per distinct schema of a property: the same schema under several values of the
    controller is one field shown for all of them."""
    same_key = [f for f in fields if f.key == made.key and f.when and f.when[0] == controller]
    for existing in same_key:
        if existing.schema_text == made.schema_text:
            assert existing.when is not None
            existing.when = (controller, (*existing.when[1], *values))
            return
    made.when = (controller, values)
    made.variant = len(same_key)
    index = max((i for i, f in enumerate(fields) if f.key == made.key), default=None)
    if index is None:
        fields.append(made)
    else:
        fields.insert(index + 1, made)


def visible(f: FormField, values: Mapping[str, Any]) -> bool:
    """Whether ``f`` applies to ``values`` (the values of its controller's part)."""
    if f.when is None:
        return True
    return _key(values.get(f.when[0])) in f.when[1]


def visible_in(f: FormField, parts: Mapping[str, Mapping[str, Any]]) -> bool:
    """:func:`visible` with the values of every part (``{"config": {...}, "secrets": {...}}``)."""
    return visible(f, parts.get(f.when_part or f.part) or {})


def controllers(fields: Iterable[FormField]) -> list[FormField]:
    """The fields other fields depend on (``apiProvider``, ``verificationMode``)."""
    fields = list(fields)
    names = {(f.when_part or f.part, f.when[0]) for f in fields if f.when}
    return [f for f in fields if (f.part, f.key) in names and f.variant == 0]


def switched(fields: Sequence[FormField], form: Any) -> bool:
    """Whether a controlling field was changed without the page showing the fields of its new
    value (JavaScript off): then the form must be shown again, not stored, since what was
    posted are the old value's fields. Resets the dependent fields to their defaults."""
    changed = [
        f
        for f in controllers(fields)
        if form.all(SHOWN + f.name) and form.all(SHOWN + f.name)[-1] != form.get(f.name)
    ]
    for controller in changed:
        for f in fields:
            if f.when and (f.when_part or f.part, f.when[0]) == (controller.part, controller.key):
                f.value = None if f.secret else f.default
    if changed:
        for f in fields:
            f.errors.clear()
    return bool(changed)


def apply_values(
    fields: Iterable[FormField], values: Mapping[str, Any] | None, *, use_defaults: bool
) -> None:
    """Set each field's shown value: ``values[key]``, else its default for a new connector."""
    values = values or {}
    for f in fields:
        if f.secret and f.part == "secrets":
            f.value = None  # secrets are never sent back to the browser
        elif f.key in values:
            f.value = values[f.key]
        elif use_defaults:
            f.value = f.default
            if f.widget == "select" and f.value is None and f.required and f.choices:
                f.value = f.choices[0].value


def parse_fields(
    fields: Sequence[FormField], form: Any, part: str, *, keep_secrets: bool = False
) -> tuple[dict[str, Any], bool]:
    """The ``part`` values of a posted ``form`` (empty fields left out); sets each field's
    ``value`` (to show the form again) and ``errors``; returns ``(values, ok)``.

    ``form`` has ``get(name)`` (last value) and ``all(name)``. With ``keep_secrets`` (editing),
    an empty secret field is not an error: the stored value stays."""
    values: dict[str, Any] = {}
    ok = True
    for f in fields:
        if f.part != part or (f.when is not None and form.get(f.when_name) not in f.when[1]):
            continue  # a field of another choice (JavaScript disables those; we ignore them)
        try:
            value = _parse_one(f, form, keep_secrets and f.part == "secrets")
        except ValueError as err:
            f.errors.append(str(err))
            ok = False
            continue
        f.value = None if f.secret and f.part == "secrets" else value
        if value is None:
            continue
        values[f.key] = value
    return values, ok


def _parse_one(f: FormField, form: Any, optional: bool = False) -> Any:
    if f.widget == "checkbox":
        posted = form.all(f.name)
        return bool(posted) and posted[-1] in ("true", "on")
    if f.widget == "keyvalue":
        keys, vals = form.all(f.name + ".key"), form.all(f.name + ".value")
        rows = {k.strip(): v for k, v in zip(keys, vals, strict=False) if k.strip()}
        return rows or None
    text = form.get(f.name)
    if f.widget != "password" and f.widget not in ("textarea", "jsontext", "json"):
        text = text.strip()
    if text == "":
        if f.required and not optional:
            raise ValueError(f"{f.label} is required.")
        return None
    if f.widget == "select":
        for choice in f.choices:
            if choice.key == text:
                return choice.value
        raise ValueError(f"{f.label}: choose one of the options.")
    if f.widget in ("integer", "number"):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{f.label} must be a number.") from None
        if f.widget == "integer":
            if not number.is_integer():
                raise ValueError(f"{f.label} must be a whole number.")
            return int(number)
        return int(number) if number.is_integer() and "." not in text else number
    if f.widget in ("json", "jsontext"):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ValueError(f"{f.label} does not have a valid JSON format.") from None
        return text if f.widget == "jsontext" else parsed
    return text


def map_problems(
    message: str,
    problems: Sequence[tuple[str, str]],
    fields: Sequence[FormField],
    values: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[str]:
    """Put a validation error's problems under their fields (``[apiUrl]: …`` under the field of
    ``apiUrl``, the variant shown for ``values`` = part → that part's values); returns the
    messages that belong to no field (shown above the form)."""
    values = values or {}
    prefix = _PART_PREFIX.match(message)
    parts = (prefix.group(1),) if prefix else ("config", "secrets", "params")
    found = list(problems) or [(m.group(1), m.group(2).strip()) for m in _PROBLEM.finditer(message)]
    rest: list[str] = []
    for path, text in found:
        head = re.split(r"[.\[]", str(path), maxsplit=1)[0]
        matching = [f for f in fields if f.key == head and f.part in parts]
        shown = [f for f in matching if visible(f, values.get(f.part, {}))]
        candidates = shown or matching
        target = candidates[0] if candidates else None
        if target is None:
            rest.append(f"[{path}]: {text}")
        else:
            target.errors.append(text)
    if not found:
        rest.append(message)
    return rest
