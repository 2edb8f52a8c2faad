"""Mustache rendering: the spec subset Kibana uses, its escapes, variables and lambdas."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime

import pytest

from actions_core._js.mustache import (
    ESCAPES,
    MAX_NESTING,
    MAX_OUTPUT,
    TemplateError,
    prepare_variables,
    render,
    render_deep,
)


def error(template: str, message: str) -> str:
    return f'error rendering mustache template "{template}": {message}'


# --- variables ------------------------------------------------------------------------------


def test_variable_is_replaced_by_its_value() -> None:
    assert render("Hello, {{name}}!", {"name": "world"}) == "Hello, world!"


def test_missing_variable_renders_empty() -> None:
    assert render("[{{missing}}]", {}) == "[]"


def test_whitespace_inside_tags_is_ignored() -> None:
    assert render("|{{ a }}|{{{ a }}}|{{& a }}|", {"a": "x"}) == "|x|x|x|"


def test_dotted_name_descends_into_dicts() -> None:
    assert render("{{a.b.c}}", {"a": {"b": {"c": "deep"}}}) == "deep"


def test_dotted_name_with_broken_chain_renders_empty() -> None:
    assert render("[{{a.b.c}}]", {"a": {}, "c": "wrong"}) == "[]"


def test_dotted_name_resolves_later_parts_only_against_the_first() -> None:
    variables = {"a": {"b": {}}, "b": {"c": "wrong"}}

    assert render("[{{#a}}{{b.c}}{{/a}}]", variables) == "[]"


# --- value rendering ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (1.0, "1"),
        (1.5, "1.5"),
        (-2.0, "-2"),
        (1e-7, "1e-7"),
        (0.000015, "0.000015"),
        (1e21, "1e+21"),
    ],
)
def test_scalars_render_like_javascript(value: object, text: str) -> None:
    assert render("{{v}}", {"v": value}) == text


def test_dict_renders_as_compact_json() -> None:
    assert render("{{obj}}", {"obj": {"a": 1, "b": ["x", None], "c": "é"}}) == (
        '{"a":1,"b":["x",null],"c":"é"}'
    )


def test_list_renders_comma_joined_like_js_array_to_string() -> None:
    assert render("{{list}}", {"list": [1, "two", None, True, {"k": 1}]}) == '1,two,,true,{"k":1}'


def test_datetime_renders_as_iso_8601() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    assert render("{{at}}", {"at": moment}) == "2024-01-02T03:04:05+00:00"


def test_datetime_inside_dict_renders_as_iso_8601_in_json() -> None:
    moment = datetime(2024, 1, 2, tzinfo=UTC)

    assert render("{{obj}}", {"obj": {"at": moment}}) == '{"at":"2024-01-02T00:00:00+00:00"}'


def test_list_as_json_renders_the_list_as_json() -> None:
    assert render("{{list.asJSON}}", {"list": ["a", 1, None]}) == '["a",1,null]'


def test_list_members_are_reachable_by_index_and_length() -> None:
    variables = {"alerts": [{"id": "a1"}, {"id": "a2"}]}

    assert render("{{alerts.1.id}} of {{alerts.length}}", variables) == "a2 of 2"


# --- escaping -------------------------------------------------------------------------------


def test_escape_modes_are_the_documented_five() -> None:
    assert set(ESCAPES) == {"none", "json", "markdown", "slack", "html"}


def test_unknown_escape_mode_raises_value_error() -> None:
    with pytest.raises(ValueError, match="bogus"):
        render("{{x}}", {"x": 1}, escape="bogus")


def test_none_escape_leaves_value_untouched() -> None:
    assert render("{{x}}", {"x": '<a href="x">&</a>'}) == '<a href="x">&</a>'


def test_json_escape_keeps_a_json_body_valid() -> None:
    message = 'he said "hi" \\ then\nleft \u00e9\u2603'

    body = render('{"text": "{{msg}}"}', {"msg": message}, escape="json")

    assert json.loads(body) == {"text": message}


def test_json_escape_does_not_add_quotes_or_escape_unicode() -> None:
    assert render("{{x}}", {"x": 'a"é'}, escape="json") == 'a\\"é'


def test_triple_braces_bypass_escaping() -> None:
    assert render("{{{x}}}", {"x": '"quoted"'}, escape="json") == '"quoted"'


def test_ampersand_bypasses_escaping() -> None:
    assert render("{{& x}}", {"x": "<b>"}, escape="html") == "<b>"


def test_markdown_escape_backslashes_special_characters() -> None:
    special = "\\|`*_{}[]()#+-.!"

    assert render("{{x}}", {"x": f"a{special}z"}, escape="markdown") == (
        "a" + "".join("\\" + char for char in special) + "z"
    )


def test_slack_escape_quotes_values_with_emphasis_characters_as_code() -> None:
    assert render("{{x}}", {"x": "*bold* and `tick`"}, escape="slack") == "`*bold* and 'tick'`"


def test_slack_escape_leaves_urls_with_underscores_linkable() -> None:
    url = "https://example.com/a_b?q=1&r=2"

    assert render("{{x}}", {"x": url}, escape="slack") == "https://example.com/a_b?q=1&amp;r=2"


def test_slack_escape_encodes_control_characters_otherwise() -> None:
    assert render("{{x}}", {"x": "<a> & `b`"}, escape="slack") == "&lt;a&gt; &amp; 'b'"


def test_html_escape_encodes_like_mustache_js() -> None:
    assert render("{{x}}", {"x": "&<>\"'`="}, escape="html") == (
        "&amp;&lt;&gt;&quot;&#39;&#x60;&#x3D;"
    )


def test_escape_applies_to_the_json_of_a_dict() -> None:
    assert render("{{obj}}", {"obj": {"a": "b"}}, escape="json") == '{\\"a\\":\\"b\\"}'


# --- sections -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [False, None, "", 0, [], {}, float("nan")])
def test_section_with_falsy_value_is_skipped(value: object) -> None:
    assert render("[{{#x}}shown{{/x}}]", {"x": value}) == "[]"


def test_section_with_true_renders_once() -> None:
    assert render("[{{#x}}shown{{/x}}]", {"x": True}) == "[shown]"


def test_section_with_missing_value_is_skipped() -> None:
    assert render("[{{#x}}shown{{/x}}]", {}) == "[]"


def test_section_over_list_renders_once_per_item() -> None:
    variables = {"items": [{"name": "a"}, {"name": "b"}]}

    assert render("{{#items}}<{{name}}>{{/items}}", variables) == "<a><b>"


def test_implicit_iterator_renders_the_current_item() -> None:
    assert render("{{#items}}({{.}}){{/items}}", {"items": [1, "x", 2.5]}) == "(1)(x)(2.5)"


def test_section_with_dict_pushes_it_as_context() -> None:
    assert render("{{#person}}{{name}}{{/person}}", {"person": {"name": "Joe"}}) == "Joe"


def test_section_with_truthy_scalar_pushes_it_as_context() -> None:
    assert render("{{#word}}{{.}} is {{word}}{{/word}}", {"word": "bar"}) == "bar is bar"


def test_nested_sections_see_outer_context() -> None:
    variables = {
        "rule": {"name": "cpu"},
        "alerts": [{"host": "h1"}, {"host": "h2"}],
    }
    template = "{{#rule}}{{#alerts}}{{name}}@{{host}} {{/alerts}}{{/rule}}"

    assert render(template, variables) == "cpu@h1 cpu@h2 "


def test_inner_context_shadows_outer_names() -> None:
    variables = {"name": "outer", "inner": {"name": "inner"}}

    assert render("{{#inner}}{{name}}{{/inner}} {{name}}", variables) == "inner outer"


def test_inverted_section_renders_when_value_is_falsy() -> None:
    assert render("{{^items}}no items{{/items}}", {"items": []}) == "no items"


def test_inverted_section_renders_when_value_is_missing() -> None:
    assert render("{{^items}}no items{{/items}}", {}) == "no items"


def test_inverted_section_is_skipped_when_value_is_truthy() -> None:
    assert render("[{{^items}}no items{{/items}}]", {"items": [1]}) == "[]"


# --- comments, delimiters, whitespace, partials ---------------------------------------------


def test_comment_renders_nothing() -> None:
    assert render("12{{! a\nmulti-line comment }}34", {}) == "1234"


def test_set_delimiters_changes_tag_markers() -> None:
    assert render("{{=<% %>=}}(<% x %>) {{x}}", {"x": "y"}) == "(y) {{x}}"


def test_set_delimiters_applies_to_triple_braces() -> None:
    assert render("{{=<% %>=}}<%{x}%>", {"x": "<b>"}, escape="html") == "<b>"


def test_standalone_section_lines_are_removed() -> None:
    template = "| start\n  {{#on}}\n| inside\n  {{/on}}\n| end\n"

    assert render(template, {"on": True}) == "| start\n| inside\n| end\n"


def test_standalone_comment_and_delimiter_lines_are_removed() -> None:
    template = "Begin.\n  {{! note }}\n{{=<% %>=}}\r\nEnd.\n"

    assert render(template, {}) == "Begin.\nEnd.\n"


def test_tags_sharing_a_line_with_content_keep_the_whitespace() -> None:
    assert render(" {{#on}}YES{{/on}}\n", {"on": True}) == " YES\n"


def test_variable_alone_on_a_line_is_not_standalone() -> None:
    assert render("  {{x}}\n", {"x": "-"}) == "  -\n"


def test_partials_render_empty() -> None:
    assert render("[{{> footer}}]", {"footer": "x"}) == "[]"


# --- template errors ------------------------------------------------------------------------


def test_unclosed_section_renders_error_string() -> None:
    template = "Hi {{#items}}{{.}}"

    assert render(template, {"items": [1]}) == error(template, 'Unclosed section "items" at 18')


def test_unopened_section_renders_error_string() -> None:
    assert render("a{{/x}}", {}) == error("a{{/x}}", 'Unopened section "x" at 1')


def test_mismatched_section_close_renders_error_string() -> None:
    template = "{{#a}}{{/b}}"

    assert render(template, {}) == error(template, 'Unclosed section "a" at 6')


def test_unclosed_tag_renders_error_string() -> None:
    assert render("{{name", {"name": "x"}) == error("{{name", "Unclosed tag at 0")


def test_invalid_delimiters_render_error_string() -> None:
    assert render("{{=x=}}", {}).startswith(error("{{=x=}}", "Invalid tags"))


def test_template_error_is_an_exception_type() -> None:
    assert issubclass(TemplateError, Exception)


# --- lambdas --------------------------------------------------------------------------------


def test_section_lambda_receives_raw_text_and_a_render_function() -> None:
    def shout(text: str, render_text) -> str:
        return f"{text}=>{render_text(text).upper()}"

    assert render("{{#shout}}hi {{name}}{{/shout}}", {"shout": shout, "name": "bo"}) == (
        "hi {{name}}=>HI BO"
    )


def test_section_lambda_result_is_not_rendered_again() -> None:
    def echo(text: str, render_text) -> str:
        return render_text(text)

    variables = {"echo": echo, "value": "{{secret}}", "secret": "leaked"}

    assert render("{{#echo}}{{value}}{{/echo}}", variables) == "{{secret}}"


def test_variable_lambda_is_called_and_its_value_rendered() -> None:
    assert render("{{now}}", {"now": lambda: 2.0}) == "2"


def test_failing_lambda_renders_error_string() -> None:
    def broken(text: str, render_text) -> str:
        raise RuntimeError("lambda exploded")

    template = "{{#broken}}x{{/broken}}"

    assert render(template, {"broken": broken}) == error(template, "lambda exploded")


# --- prepare_variables ----------------------------------------------------------------------


def test_dotted_keys_expand_into_nested_dicts() -> None:
    assert prepare_variables({"a.b.c": 1}) == {"a": {"b": {"c": 1}}}


@pytest.mark.parametrize(
    "variables",
    [{"a.b": 1, "a": {"c": 2}}, {"a": {"c": 2}, "a.b": 1}],
    ids=["dotted-first", "nested-first"],
)
def test_dotted_keys_merge_with_existing_dicts_in_any_order(variables: dict) -> None:
    assert prepare_variables(variables) == {"a": {"b": 1, "c": 2}}


@pytest.mark.parametrize(
    "variables",
    [{"a.b.c": 1, "a": {"b": {"d": 2}}}, {"a": {"b": {"d": 2}}, "a.b.c": 1}],
    ids=["dotted-first", "nested-first"],
)
def test_dotted_keys_merge_deeply(variables: dict) -> None:
    assert prepare_variables(variables) == {"a": {"b": {"c": 1, "d": 2}}}


def test_dotted_keys_expand_inside_nested_dicts_and_lists() -> None:
    assert prepare_variables({"x": [{"k.v": 1}]}) == {"x": [{"k": {"v": 1}}]}


def test_dotted_keys_are_reachable_from_templates() -> None:
    assert render("{{kibana.alert.id}}", {"kibana.alert.id": "a-1"}) == "a-1"


@pytest.mark.parametrize("key", ["__proto__", "constructor", "prototype"])
def test_prototype_keys_are_dropped_at_any_depth(key: str) -> None:
    variables = {key: 1, "a": {key: 2, "keep": 3}, "l": [{key: 4}], f"b.{key}.c": 5}

    assert prepare_variables(variables) == {"a": {"keep": 3}, "l": [{}]}


def test_proto_key_is_not_reachable_from_templates() -> None:
    assert render("[{{__proto__.x}}]", {"__proto__": {"x": "polluted"}}) == "[]"


def test_prepare_variables_does_not_mutate_its_input() -> None:
    variables = {"a.b": 1, "a": {"c": [1, {"d.e": 2}]}, "__proto__": {}}
    snapshot = copy.deepcopy(variables)

    prepare_variables(variables)
    render("{{a}}", variables)

    assert variables == snapshot


# --- render_deep ----------------------------------------------------------------------------


def test_render_deep_renders_strings_in_nested_dicts_and_lists() -> None:
    params = {"subject": "{{title}}", "to": ["{{who}}", "ops@x"], "body": {"text": "{{title}}!"}}

    assert render_deep(params, {"title": "Down", "who": "me@x"}) == {
        "subject": "Down",
        "to": ["me@x", "ops@x"],
        "body": {"text": "Down!"},
    }


def test_render_deep_leaves_keys_and_non_strings_as_they_are() -> None:
    params = {"{{k}}": 1, "n": None, "flag": True, "ratio": 0.5}

    assert render_deep(params, {"k": "rendered"}) == params


def test_render_deep_does_not_mutate_or_share_its_input() -> None:
    params = {"a": ["{{x}}", {"b": "{{x}}"}], "s": {1, 2}}
    snapshot = copy.deepcopy(params)

    result = render_deep(params, {"x": "X"})

    assert params == snapshot
    assert result["s"] == params["s"]
    assert result["s"] is not params["s"]


def test_render_deep_applies_the_escape() -> None:
    assert render_deep({"body": '"{{x}}"'}, {"x": 'a"b'}, escape="json") == {"body": '"a\\"b"'}


def test_render_deep_renders_a_bare_string() -> None:
    assert render_deep("{{x}}", {"x": 1}) == "1"


def test_render_deep_turns_a_broken_string_into_the_error_string() -> None:
    assert render_deep(["{{#a}}"], {}) == [error("{{#a}}", 'Unclosed section "a" at 6')]


# --- EvalMath -------------------------------------------------------------------------------


def test_eval_math_evaluates_arithmetic_over_variables() -> None:
    variables = {"context": {"value": 5}, "limit": 4}
    template = "{{#EvalMath}} (context.value - limit) * 10 / 4 + 2 ** 3 {{/EvalMath}}"

    assert render(template, variables) == "10.5"


def test_eval_math_renders_its_text_first() -> None:
    assert render("{{#EvalMath}}{{a}} * 3{{/EvalMath}}", {"a": 2}) == "6"


def test_eval_math_remainder_keeps_the_dividend_sign_like_js() -> None:
    assert render("{{#EvalMath}}-7 % 3{{/EvalMath}}", {}) == "-1"


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("__import__('os')", "unsupported syntax: __import__('os')"),
        ("[1][0]", "unsupported syntax: [1][0]"),
        ("flag + 1", '"flag" is not a number'),
        ("missing * 2", '"missing" is not a number'),
        ("2 ** 99999", "result out of range"),
    ],
)
def test_eval_math_rejects_anything_but_arithmetic(expression: str, reason: str) -> None:
    template = f"{{{{#EvalMath}}}}{expression}{{{{/EvalMath}}}}"

    assert render(template, {"flag": True}) == error(
        template, f'error evaluating math expression "{expression}": {reason}'
    )


def test_variables_override_builtin_lambdas() -> None:
    assert render("{{EvalMath}}", {"EvalMath": "mine"}) == "mine"


# --- FormatDate -----------------------------------------------------------------------------


def test_format_date_defaults_to_utc_and_kibana_format() -> None:
    template = "{{#FormatDate}}{{at}}{{/FormatDate}}"

    assert render(template, {"at": "2024-01-02T15:04:05.123Z"}) == "2024-01-02 03:04pm"


def test_format_date_converts_to_the_given_time_zone() -> None:
    template = "{{#FormatDate}}2024-01-02T15:04:05Z; America/New_York{{/FormatDate}}"

    assert render(template, {}) == "2024-01-02 10:04am"


def test_format_date_uses_the_given_strftime_format() -> None:
    template = "{{#FormatDate}}2024-07-02T15:04:05Z; Europe/Paris; %d/%m %H:%M %Z{{/FormatDate}}"

    assert render(template, {}) == "02/07 17:04 CEST"


def test_format_date_accepts_a_datetime_variable() -> None:
    at = datetime(2024, 1, 2, 0, 30, tzinfo=UTC)

    assert render("{{#FormatDate}}{{at}};;%H:%M{{/FormatDate}}", {"at": at}) == "00:30"


def test_format_date_with_invalid_date_renders_error_string() -> None:
    template = "{{#FormatDate}}yesterday{{/FormatDate}}"

    assert render(template, {}) == error(template, 'invalid date "yesterday"')


def test_format_date_with_unknown_time_zone_renders_error_string() -> None:
    template = "{{#FormatDate}}2024-01-02; Mars/Olympus{{/FormatDate}}"

    assert render(template, {}) == error(template, 'unknown timeZone value "Mars/Olympus"')


# --- FormatNumber ---------------------------------------------------------------------------


def test_format_number_groups_and_keeps_three_decimals_by_default() -> None:
    assert render("{{#FormatNumber}}1234567.8915{{/FormatNumber}}", {}) == "1,234,567.892"


def test_format_number_pads_to_minimum_fraction_digits() -> None:
    template = '{{#FormatNumber}}{{n}}; en-US; {"minimumFractionDigits": 2}{{/FormatNumber}}'

    assert render(template, {"n": 1234.5}) == "1,234.50"


def test_format_number_rounds_half_away_from_zero_to_maximum_fraction_digits() -> None:
    template = '{{#FormatNumber}}-0.125;; {"maximumFractionDigits": 2}{{/FormatNumber}}'

    assert render(template, {}) == "-0.13"


def test_format_number_can_disable_grouping() -> None:
    template = '{{#FormatNumber}}12345;; {"useGrouping": false}{{/FormatNumber}}'

    assert render(template, {}) == "12345"


def test_format_number_with_invalid_number_renders_error_string() -> None:
    template = "{{#FormatNumber}}lots{{/FormatNumber}}"

    assert render(template, {}) == error(template, 'invalid number: "lots"')


def test_format_number_with_unsupported_options_renders_error_string() -> None:
    template = '{{#FormatNumber}}1; en-US; {"style": "currency"}{{/FormatNumber}}'

    assert render(template, {}).startswith(error(template, "unsupported options"))


# --- limits: time linear in the template, bounded nesting and output (issue 12, defect 3) ---


def timed_render(template: str, variables: dict) -> tuple[str, float]:
    began = time.perf_counter()
    out = render(template, variables)
    return out, time.perf_counter() - began


def test_many_standalone_sections_on_one_line_render_in_linear_time() -> None:
    """100k sections on one line took 32 s (each tag rescanned the line); now well under
    a second alone, so 10 s holds on a loaded machine and still fails the quadratic parser."""
    out, seconds = timed_render("{{#a}}x{{/a}}" * 100_000, {"a": True})
    assert out == "x" * 100_000
    assert seconds < 10


def test_sections_nested_deeper_than_the_limit_are_a_clear_error() -> None:
    depth = MAX_NESTING + 1
    template = "{{#a}}" * depth + "x" + "{{/a}}" * depth
    out, seconds = timed_render(template, {"a": True})
    assert out == error(template, f"sections nested deeper than {MAX_NESTING} at {6 * MAX_NESTING}")
    assert seconds < 5


def test_sections_nested_to_the_limit_render() -> None:
    template = "{{#a}}" * MAX_NESTING + "x" + "{{/a}}" * MAX_NESTING
    assert render(template, {"a": True}) == "x"


def test_nesting_40k_deep_is_refused_quickly_and_in_little_memory() -> None:
    template = "{{#a}}" * 40_000 + "x" + "{{/a}}" * 40_000
    out, seconds = timed_render(template, {"a": True})
    assert out.endswith(f"sections nested deeper than {MAX_NESTING} at {6 * MAX_NESTING}")
    assert seconds < 5


def test_output_larger_than_the_limit_is_a_clear_error_not_a_memory_blowup() -> None:
    # 100 ** 4 repetitions of 10 characters: 10^9 characters if nothing stopped it
    template = "{{#l}}" * 4 + "0123456789" + "{{/l}}" * 4
    out, seconds = timed_render(template, {"l": list(range(100))})
    assert out == error(template, f"the rendered text is longer than {MAX_OUTPUT} characters")
    assert seconds < 30


def test_a_section_lambda_still_receives_its_raw_inner_template() -> None:
    seen = []

    def upper(text, render_inner):
        seen.append(text)
        return render_inner(text).upper()

    assert render("{{#up}}hi {{name}}{{/up}}", {"up": upper, "name": "bo"}) == "HI BO"
    assert seen == ["hi {{name}}"]
