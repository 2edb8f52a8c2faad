"""The example next to the built-in ``.gen-ai`` connector, against the kit's fake OpenAI."""

from __future__ import annotations

import actions_core_example

from actions_core.testing import make_actions

MESSAGES = [{"role": "user", "content": "Say hi"}]
# Loopback is refused unless it is an allowed host (the SSRF guard).
CONFIG = {"allowedHosts": ["127.0.0.1"]}


def create_model(actions, url):
    return actions.connectors.create(
        connector_type_id=".gen-ai",
        name="model",
        config={"apiProvider": "Other", "apiUrl": url, "defaultModel": "m"},
        secrets={"apiKey": "sk-test"},
    )


def test_shout_what_the_model_said(tmp_path, fake_openai):
    fake_openai.reply("hi from the model")
    # builtins=True (the default) also loads the installed plugins: .gen-ai among them
    with make_actions(tmp_path, plugins=[actions_core_example], config=CONFIG) as actions:
        model = create_model(actions, fake_openai.url)
        shouter = actions.connectors.create(connector_type_id="example.shout", name="shouter")

        said = actions.execute(
            model.id, {"subAction": "invokeAI", "subActionParams": {"messages": MESSAGES}}
        )
        shouted = actions.execute(
            shouter.id,
            {"subAction": "upper", "subActionParams": {"text": said.data["message"]}},
        )

    assert shouted.data == {"text": "HI FROM THE MODEL"}
    [request] = fake_openai.requests
    assert request.json["messages"] == MESSAGES
    assert request.headers["authorization"] == "Bearer sk-test"


def test_a_model_failure_is_an_error_result(tmp_path, fake_openai):
    fake_openai.fail(500)
    with make_actions(tmp_path, config=CONFIG) as actions:
        model = create_model(actions, fake_openai.url)

        result = actions.execute(
            model.id, {"subAction": "invokeAI", "subActionParams": {"messages": MESSAGES}}
        )

    assert result.status == "error"
    assert result.retry is True
