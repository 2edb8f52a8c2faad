"""Mustache rendering of params for alerting: only run/test bodies, JSON-escaped (§9.8)."""

from __future__ import annotations

VARIABLES = {"context": {"alert": 'disk "full"\non host-1'}}


def test_run_and_test_bodies_are_rendered_with_json_escaping(gen_ai):
    for sub_action in ("run", "test"):
        params = {
            "subAction": sub_action,
            "subActionParams": {
                "body": '{"messages":[{"role":"user","content":"{{context.alert}}"}]}'
            },
        }
        rendered = gen_ai.actions.render_parameter_templates(".gen-ai", params, VARIABLES)
        assert rendered["subActionParams"]["body"] == (
            '{"messages":[{"role":"user","content":"disk \\"full\\"\\non host-1"}]}'
        )
        assert params["subActionParams"]["body"].startswith('{"messages"')  # input untouched


def test_other_sub_actions_are_left_alone(gen_ai):
    params = {
        "subAction": "invokeAI",
        "subActionParams": {"messages": [{"role": "user", "content": "{{context.alert}}"}]},
    }
    assert gen_ai.actions.render_parameter_templates(".gen-ai", params, VARIABLES) == params


def test_a_broken_template_renders_as_an_error_text(gen_ai):
    params = {"subAction": "run", "subActionParams": {"body": "{{#context}}"}}
    rendered = gen_ai.actions.render_parameter_templates(".gen-ai", params, VARIABLES)
    assert rendered["subActionParams"]["body"].startswith(
        'error rendering mustache template "{{#context}}": '
    )
