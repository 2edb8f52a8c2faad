"""render_parameter_templates: type renderers, the default deep render, errors never raise."""

from __future__ import annotations

import json

from tests.support import echo_type


def test_default_rendering_renders_every_string_without_escaping(make_actions):
    actions = make_actions(echo_type(".echo"))
    params = {"text": "Hi {{user.name}} <b>", "list": ["{{n}}", 3], "n": 1}
    rendered = actions.render_parameter_templates(
        ".echo", params, {"user": {"name": "A&B"}, "n": 42}
    )
    assert rendered == {"text": "Hi A&B <b>", "list": ["42", 3], "n": 1}
    assert params["text"] == "Hi {{user.name}} <b>"  # input untouched


def test_a_types_own_renderer_is_used(make_actions):
    from actions_core import render_template

    def render(params, variables, connector_id):
        return {**params, "body": render_template(params["body"], variables, "json")}

    actions = make_actions(echo_type(".hook", render_parameter_templates=render))
    rendered = actions.render_parameter_templates(
        ".hook", {"body": '{"text": "{{msg}}"}'}, {"msg": 'say "hi"\nnow'}
    )
    assert json.loads(rendered["body"]) == {"text": 'say "hi"\nnow'}


def test_template_errors_never_raise(make_actions):
    actions = make_actions(echo_type(".echo"))
    rendered = actions.render_parameter_templates(".echo", {"text": "{{#open}}x"}, {})
    assert rendered["text"].startswith('error rendering mustache template "{{#open}}x": ')


def test_server_log_renders_only_its_message(make_actions):
    actions = make_actions()
    rendered = actions.render_parameter_templates(
        ".server-log", {"message": "alert {{rule.name}}", "level": "warn"}, {"rule.name": "cpu"}
    )
    assert rendered == {"message": "alert cpu", "level": "warn"}
