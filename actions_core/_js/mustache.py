"""Mustache rendering of action parameters, with Kibana's escaping, variables and lambdas.

Kibana renders every string in an action's parameters as a Mustache template over the alert's
variables. Connector authors rely on its exact behaviour, so this module re-implements it rather
than using a generic Mustache library:

* the value of ``{{x}}`` goes through an escape chosen per connector (JSON bodies, Markdown,
  Slack, HTML), while ``{{{x}}}`` and ``{{& x}}`` are never escaped;
* objects render as their JSON and lists as JS ``Array.toString`` does, so ``{{context}}`` is
  useful instead of a Python ``repr``;
* variables are pre-processed first (see :func:`prepare_variables`);
* a broken template never raises: the rendered text becomes an error string, so one bad template
  fails visibly in the message sent instead of failing the whole execution.

Partials are not supported (they render as nothing), as Kibana provides none.
"""

from __future__ import annotations

import ast
import copy
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

from actions_core._js.json import json_parse, json_quote, json_stringify
from actions_core._js.values import js_number_to_string, js_to_string, js_truthy
from actions_core.errors import TemplateError

__all__ = [
    "ESCAPES",
    "MAX_NESTING",
    "MAX_OUTPUT",
    "TemplateError",
    "prepare_variables",
    "render",
    "render_deep",
]

_DEFAULT_DELIMITERS = ("{{", "}}")
#: Sections nested deeper than this make the template an error (each level is a recursion).
MAX_NESTING = 100
#: A rendered template longer than this many characters is an error (a section over a list
#: repeats its content per item, so nesting can multiply a small template's output).
MAX_OUTPUT = 16 * 1024 * 1024
# Keys that would pollute prototypes in Kibana's JavaScript; dropped to behave the same.
_FORBIDDEN_KEYS = frozenset({"__proto__", "constructor", "prototype"})
_MISSING = object()


# --- escaping -------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"[\\|`*_{}\[\]()#+\-.!]")
_SLACK_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "`": "'"})
_HTML_TABLE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "`": "&#x60;",
        "=": "&#x3D;",
    }
)
_URL = re.compile(r"https?://\S*")


def _escape_json(text: str) -> str:
    """Escape for use *inside* a JSON string literal, so ``"{{x}}"`` stays valid JSON (Kibana's
    ``JSON.stringify(text).slice(1, -1)``)."""
    return json_quote(text)[1:-1]


def _escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


def _escape_slack(text: str) -> str:
    """Slack mrkdwn has no escape for ``*``/``_``: quote such values as code instead.

    URLs are left out of the code quoting so that Slack still turns them into links.
    """
    if ("*" in text or "_" in text) and not _URL.fullmatch(text):
        return "`" + text.replace("`", "'") + "`"
    return text.translate(_SLACK_TABLE)


def _escape_html(text: str) -> str:
    return text.translate(_HTML_TABLE)


ESCAPES: dict[str, Callable[[str], str]] = {
    "none": lambda text: text,
    "json": _escape_json,
    "markdown": _escape_markdown,
    "slack": _escape_slack,
    "html": _escape_html,
}


def _escape_function(escape: str) -> Callable[[str], str]:
    try:
        return ESCAPES[escape]
    except KeyError:
        raise ValueError(f"unknown escape {escape!r}; expected one of {sorted(ESCAPES)}") from None


# --- values ---------------------------------------------------------------------------------


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | time) else str(value)


def _to_json(value: Any) -> str:
    """Compact JSON, as ``JSON.stringify`` writes it (dates as ISO text)."""
    return json_stringify(value, default=_json_default)


def _to_text(value: Any) -> str:
    """The text a value renders as, before escaping (Kibana's ``toString`` semantics, except
    that ``null`` renders as nothing and objects as their JSON)."""
    if value is None:
        return ""
    if isinstance(value, str | bool | int | float):
        return js_to_string(value)
    if isinstance(value, Mapping):
        return _to_json(value)
    if isinstance(value, list | tuple):
        return ",".join(_to_text(item) for item in value)
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _truthy(value: Any) -> bool:
    """Whether a section renders: JavaScript truthiness, except that an empty list or object
    renders nothing (a section over a list repeats per item; ``{}`` has been falsy here from the
    start, where mustache.js would render it)."""
    if isinstance(value, list | tuple | Mapping):
        return len(value) > 0
    return js_truthy(value)


# --- variables ------------------------------------------------------------------------------


def prepare_variables(variables: Mapping[str, Any]) -> dict:
    """Return a copy of ``variables`` pre-processed as Kibana does before rendering.

    Dotted keys (``{"a.b": 1}``, as alerting rules produce from flattened documents) become
    nested dicts merged with any existing ones, so ``{{a.b}}`` finds them; ``__proto__``,
    ``constructor`` and ``prototype`` keys are dropped at any depth; dicts are copied and tuples
    become lists. Lists gain ``asJSON`` (and ``length``) at lookup time, not here.
    """
    result: dict = {}
    for raw_key, raw_value in variables.items():
        key = str(raw_key)
        parts = key.split(".")
        if _FORBIDDEN_KEYS.intersection(parts):
            continue
        target = result
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        _merge(target, parts[-1], _prepare_value(raw_value))
    return result


def _prepare_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return prepare_variables(value)
    if isinstance(value, list | tuple):
        return [_prepare_value(item) for item in value]
    return value


def _merge(target: dict, key: str, value: Any) -> None:
    """Set ``target[key]``, merging dicts so ``a.b`` and ``a`` combine in any key order."""
    existing = target.get(key)
    if isinstance(value, dict) and isinstance(existing, dict):
        for sub_key, sub_value in value.items():
            _merge(existing, sub_key, sub_value)
    else:
        target[key] = value


def _get(container: Any, key: str) -> Any:
    """One step of a name lookup; ``_MISSING`` when ``container`` has no such member.

    Only dicts and lists have members: looking up attributes of arbitrary objects would expose
    Python internals to whoever writes the template.
    """
    if isinstance(container, Mapping):
        return container.get(key, _MISSING)
    if isinstance(container, list | tuple):
        if key == "asJSON":
            return _to_json(container)
        if key == "length":
            return len(container)
        if key.isdigit() and int(key) < len(container):
            return container[int(key)]
    return _MISSING


def _lookup(stack: list[Any], name: str) -> Any:
    """Resolve ``name`` per the Mustache spec: the first dotted part searches the context stack
    from the innermost frame outwards, the other parts only descend from what it found."""
    if name == ".":
        return stack[-1]
    first, *rest = name.split(".")
    for frame in reversed(stack):
        value = _get(frame, first)
        if value is not _MISSING:
            break
    else:
        return None
    for part in rest:
        value = _get(value, part)
        if value is _MISSING:
            return None
    return value


# --- parsing --------------------------------------------------------------------------------


@dataclass
class _Text:
    text: str


@dataclass
class _Variable:
    name: str
    escaped: bool


@dataclass
class _Section:
    name: str
    inverted: bool
    delimiters: tuple[str, str]
    template: str
    inner_start: int
    inner_end: int = 0
    children: list[_Node] = field(default_factory=list)

    @property
    def raw(self) -> str:
        """The unparsed inner template, which section lambdas receive. Sliced only when a
        lambda asks: slicing it for every section would copy nested templates quadratically."""
        return self.template[self.inner_start : self.inner_end]


_Node = _Text | _Variable | _Section
# Tags that vanish with their whole line when alone on it ("standalone" in the spec).
_STANDALONE_SIGILS = frozenset("#^/!>=")


_BLANK = re.compile(r"[ \t]*")
# What may follow a standalone tag: blanks, then the end of the line (or of the template).
_BLANK_TO_LINE_END = re.compile(r"[ \t]*\r?(?:\n|\Z)")


def _read_tag(template: str, start: int, delimiters: tuple[str, str]) -> tuple[str, str, int]:
    """Read the tag opening at ``start``: return its sigil, its trimmed content and its end."""
    opening, closing = delimiters
    body = start + len(opening)
    while body < len(template) and template[body].isspace():
        body += 1
    sigil = template[body : body + 1]
    if sigil in ("{", "="):
        closing = ("}" if sigil == "{" else "=") + closing
    if sigil in ("{", "=", "&", "#", "^", "/", "!", ">"):
        body += 1
    else:
        sigil = ""
    end = template.find(closing, body)
    if end == -1:
        raise TemplateError(f"Unclosed tag at {start}")
    return sigil, template[body:end].strip(), end + len(closing)


def _parse(template: str, delimiters: tuple[str, str] = _DEFAULT_DELIMITERS) -> list[_Node]:
    """Parse ``template`` into a tree of nodes, dropping standalone tag lines per the spec."""
    root: list[_Node] = []
    open_sections: list[_Section] = []
    pos = 0
    previous_end = -1  # where the previous tag ended (-1: no tag yet)
    # Every character is looked at a bounded number of times (time linear in the template):
    # the standalone check scans back only to the previous tag and forward only over blanks.
    while (start := template.find(delimiters[0], pos)) != -1:
        sigil, content, end = _read_tag(template, start, delimiters)
        text_start, text_end, pos = pos, start, end
        if sigil in _STANDALONE_SIGILS:
            line_start = _blank_line_start(template, start, previous_end)
            after = _BLANK_TO_LINE_END.match(template, end)
            if line_start is not None and after is not None:
                text_end, pos = line_start, after.end()
        previous_end = end
        nodes = open_sections[-1].children if open_sections else root
        if text_start < text_end:
            nodes.append(_Text(template[text_start:text_end]))
        if sigil in ("", "{", "&"):
            nodes.append(_Variable(content, escaped=sigil == ""))
        elif sigil in ("#", "^"):
            if len(open_sections) >= MAX_NESTING:
                raise TemplateError(f"sections nested deeper than {MAX_NESTING} at {start}")
            section = _Section(content, sigil == "^", delimiters, template, inner_start=end)
            nodes.append(section)
            open_sections.append(section)
        elif sigil == "/":
            if not open_sections:
                raise TemplateError(f'Unopened section "{content}" at {start}')
            section = open_sections.pop()
            if section.name != content:
                raise TemplateError(f'Unclosed section "{section.name}" at {start}')
            section.inner_end = start
        elif sigil == "=":
            parts = content.split()
            if len(parts) != 2 or "=" in content:
                raise TemplateError(f"Invalid tags: {content!r}")
            delimiters = (parts[0], parts[1])
        # "!" comments and ">" partials produce nothing
    if open_sections:
        raise TemplateError(f'Unclosed section "{open_sections[-1].name}" at {len(template)}')
    if pos < len(template):
        root.append(_Text(template[pos:]))
    return root


def _blank_line_start(template: str, start: int, previous_end: int) -> int | None:
    """Where the line of the tag at ``start`` begins, if only blanks precede the tag on it;
    ``None`` otherwise. A previous tag on the same line makes it non-blank, so the scan back
    stops at the previous tag's end."""
    newline = template.rfind("\n", max(previous_end, 0), start)
    if newline != -1:
        line_start = newline + 1
    elif previous_end == -1:
        line_start = 0
    else:
        return None  # the previous tag is on this line
    return line_start if _BLANK.fullmatch(template, line_start, start) else None


# --- rendering ------------------------------------------------------------------------------


class _SubRender:
    """The ``render`` argument of section lambdas: renders text in the section's context.

    ``lookup`` lets the built-in lambdas read variables, as Kibana's do through ``this``.
    """

    def __init__(self, renderer: _Renderer, stack: list[Any], delimiters: tuple[str, str]):
        self._renderer = renderer
        self._stack = stack
        self._delimiters = delimiters

    def __call__(self, text: str) -> str:
        return self._renderer.render(_parse(text, self._delimiters), self._stack)

    def lookup(self, name: str) -> Any:
        return _lookup(self._stack, name)


@dataclass
class _Renderer:
    escape: Callable[[str], str]
    #: characters still allowed in the output (shared by every nested render)
    budget: int = MAX_OUTPUT

    def render(self, nodes: list[_Node], stack: list[Any]) -> str:
        return "".join(self._render_node(node, stack) for node in nodes)

    def _counted(self, text: str) -> str:
        """``text``, charged to the output budget (only leaves are: a section's output is
        the sum of its leaves)."""
        self.budget -= len(text)
        if self.budget < 0:
            raise TemplateError(f"the rendered text is longer than {MAX_OUTPUT} characters")
        return text

    def _render_node(self, node: _Node, stack: list[Any]) -> str:
        if isinstance(node, _Text):
            return self._counted(node.text)
        value = _lookup(stack, node.name)
        if isinstance(node, _Variable):
            if callable(value):
                value = value()
            text = _to_text(value)
            return self._counted(self.escape(text) if node.escaped else text)
        if node.inverted:
            return "" if _truthy(value) else self.render(node.children, stack)
        if callable(value):
            # As in mustache.js, the lambda's result is inserted as is: it is neither escaped
            # nor rendered again, so variable values containing "{{" are never expanded.
            return self._counted(
                _to_text(value(node.raw, _SubRender(self, stack, node.delimiters)))
            )
        if not _truthy(value):
            return ""
        if isinstance(value, list | tuple):
            return "".join(self.render(node.children, [*stack, item]) for item in value)
        if value is True:
            return self.render(node.children, stack)
        return self.render(node.children, [*stack, value])


def render(template: str, variables: Mapping[str, Any], escape: str = "none") -> str:
    """Render ``template`` over ``variables``, escaping ``{{x}}`` values with ``escape``.

    Never raises for a bad template or a failing lambda: returns Kibana's error string instead,
    so the problem shows up in the rendered message. An unknown ``escape`` raises ``ValueError``.
    """
    return _render_string(template, _root_context(variables), _escape_function(escape))


def render_deep(value: Any, variables: Mapping[str, Any], escape: str = "none") -> Any:
    """Return a deep copy of ``value`` with every string inside dicts and lists rendered.

    Dict keys and non-string values are copied as they are (Kibana's ``renderMustacheObject``).
    """
    return _render_value(value, _root_context(variables), _escape_function(escape))


def _render_value(value: Any, root: dict, escape: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return _render_string(value, root, escape)
    if isinstance(value, dict):
        return {key: _render_value(item, root, escape) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_value(item, root, escape) for item in value]
    return copy.deepcopy(value)


def _root_context(variables: Mapping[str, Any]) -> dict:
    """Kibana's lambdas, overridden by any variable of the same name."""
    return {**_LAMBDAS, **prepare_variables(variables)}


def _render_string(template: str, root: dict, escape: Callable[[str], str]) -> str:
    try:
        return _Renderer(escape).render(_parse(template), [root])
    except Exception as err:  # any failure, a lambda's included, becomes the rendered text
        return f'error rendering mustache template "{template}": {err}'


# --- Kibana's lambdas -----------------------------------------------------------------------

_MATH_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: math.fmod,  # JS remainder: takes the sign of the dividend
    ast.Pow: operator.pow,
}


def _eval_math(text: str, render: _SubRender) -> str:
    """``{{#EvalMath}} a.b * 2 {{/EvalMath}}``: arithmetic over the context's numbers.

    Only a whitelist of ``ast`` nodes is evaluated (never ``eval``), in floats like JS numbers,
    so huge powers overflow into an error instead of exhausting memory.
    """
    expression = render(text.strip()).strip()
    try:
        result = _eval_math_node(ast.parse(expression, mode="eval").body, render.lookup)
    except Exception as err:
        reason = "result out of range" if isinstance(err, OverflowError) else err
        raise TemplateError(f'error evaluating math expression "{expression}": {reason}') from err
    return js_number_to_string(result)


def _eval_math_node(node: ast.expr, lookup: Callable[[str], Any]) -> float:
    if isinstance(node, ast.BinOp) and type(node.op) in _MATH_OPERATORS:
        left, right = _eval_math_node(node.left, lookup), _eval_math_node(node.right, lookup)
        return _MATH_OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _eval_math_node(node.operand, lookup)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Constant) and _is_number(node.value):
        return float(node.value)
    if isinstance(node, ast.Name | ast.Attribute):
        name = ast.unparse(node)
        value = lookup(name)
        if not _is_number(value):
            raise TemplateError(f'"{name}" is not a number')
        return float(value)
    raise TemplateError(f"unsupported syntax: {ast.unparse(node)}")


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _format_date(text: str, render: _SubRender) -> str:
    """``{{#FormatDate}} date; time zone; format {{/FormatDate}}``.

    The date is ISO 8601 (naive means UTC), the zone an IANA name (default UTC) and the format
    uses ``strftime`` directives; the default matches Kibana's ``YYYY-MM-DD hh:mma``.
    """
    date_text, zone_name, date_format = (
        [part.strip() for part in render(text.strip()).split(";", 2)] + ["", ""]
    )[:3]
    if not date_text:
        raise TemplateError("date is empty")
    try:
        moment = datetime.fromisoformat(date_text)
    except ValueError:
        raise TemplateError(f'invalid date "{date_text}"') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone_name = zone_name or "UTC"
    try:
        zone: tzinfo = UTC if zone_name == "UTC" else ZoneInfo(zone_name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        raise TemplateError(f'unknown timeZone value "{zone_name}"') from None
    moment = moment.astimezone(zone)
    if date_format:
        return moment.strftime(date_format)
    return moment.strftime("%Y-%m-%d %I:%M") + ("am" if moment.hour < 12 else "pm")


_LEADING_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NUMBER_OPTIONS = frozenset({"minimumFractionDigits", "maximumFractionDigits", "useGrouping"})


def _format_number(text: str, render: _SubRender) -> str:
    """``{{#FormatNumber}} number; locale; options {{/FormatNumber}}``, like ``Intl.NumberFormat``.

    Only en-US output and the fraction-digit and grouping options are supported; anything else
    is an error rather than a silently different number.
    """
    number_text, locale, options_text = (
        [part.strip() for part in render(text.strip()).split(";", 2)] + ["", ""]
    )[:3]
    match = _LEADING_NUMBER.match(number_text)  # parseFloat ignores trailing text
    if not match:
        raise TemplateError(f'invalid number: "{number_text}"')
    if locale.lower() not in ("", "en", "en-us"):
        raise TemplateError(f'unsupported locale "{locale}"')
    try:
        options = json_parse(options_text) if options_text else {}
    except ValueError as err:
        raise TemplateError(f'invalid options "{options_text}": {err}') from None
    if not isinstance(options, dict) or not _NUMBER_OPTIONS.issuperset(options):
        raise TemplateError(
            f"unsupported options {options_text}; supported: {sorted(_NUMBER_OPTIONS)}"
        )
    minimum = options.get("minimumFractionDigits", 0)
    maximum = options.get("maximumFractionDigits", max(minimum, 3))
    if (
        not all(isinstance(n, int) and 0 <= n <= 100 for n in (minimum, maximum))
        or minimum > maximum
    ):
        raise TemplateError(f"invalid fraction digits in {options_text}")
    # Round the shortest decimal form half away from zero, as ICU does.
    number = Decimal(repr(float(match.group())))
    rounded = number.quantize(Decimal(1).scaleb(-maximum), ROUND_HALF_UP, Context(prec=500))
    whole, _, fraction = format(abs(rounded), "f").partition(".")
    fraction = fraction.rstrip("0").ljust(minimum, "0")
    if options.get("useGrouping", True):
        whole = f"{int(whole):,}"
    return ("-" if rounded < 0 else "") + whole + (f".{fraction}" if fraction else "")


_LAMBDAS: dict[str, Callable[[str, _SubRender], str]] = {
    "EvalMath": _eval_math,
    "FormatDate": _format_date,
    "FormatNumber": _format_number,
}
