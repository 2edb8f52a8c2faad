"""A connector's own secret values never leave an execution: whatever the plugin, and wherever
an upstream or an executor puts them (result message, service message, error data, the event
log, the server log, the plugin's log, the HTTP ``_execute`` answer and ``actions events``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from werkzeug import Request, Response

import actions_core
from actions_core.cli import cli
from actions_core.testing import api_client
from tests.servers import Upstream
from tests.support import KEY

PASSWORD = "pa55-echoed-by-the-upstream-7f3a"
TOKEN = "sk-echoed-bearer-token-1c9e"


@pytest.fixture(autouse=True)
def _webhook_plugin(monkeypatch) -> None:
    monkeypatch.setenv("ACTIONS_PLUGINS", "server-log,webhook")


@pytest.fixture
def echoing() -> Iterator[Upstream]:
    """An upstream that answers 401 and puts the credentials it was sent into its body."""

    def refuse(request: Request) -> Response:
        auth = request.authorization
        body = {"message": f"invalid credentials {auth.username}:{auth.password}", "echo": TOKEN}
        return Response(json.dumps(body), status=401, content_type="application/json")

    with Upstream() as server:
        server.expect_request("/hook").respond_with_handler(refuse)
        yield server


def settings() -> dict:
    return {"actions": {"encryptionKey": KEY, "allowedHosts": ["127.0.0.1"]}}


def webhook(actions: actions_core.Actions, url: str) -> str:
    return actions.connectors.create(
        connector_type_id=".webhook",
        name="hook",
        id="hook",
        config={"url": url, "hasAuth": True, "authType": "webhook-authentication-basic"},
        secrets={"user": "elastic", "password": PASSWORD},
    ).id


def events_text(actions: actions_core.Actions) -> str:
    actions.events.flush()
    return json.dumps([event.to_dict() for event in actions.recent_events()], default=str)


def test_an_upstream_echoing_the_password_never_shows_it(make_actions, echoing, caplog):
    actions = make_actions(config=settings())
    cid = webhook(actions, echoing.url("/hook"))
    with caplog.at_level(logging.DEBUG):
        result = actions.execute(cid, {"body": "{}"})
    assert result.status == "error"
    assert "invalid credentials [REDACTED]:[REDACTED]" in result.service_message
    assert PASSWORD not in repr(result)
    assert "[REDACTED]" in caplog.text  # the webhook's own log line was there, masked
    assert PASSWORD not in caplog.text
    events = events_text(actions)
    assert "[REDACTED]" in events
    assert PASSWORD not in events


def test_the_http_execute_answer_and_the_server_log_never_show_it(make_actions, echoing, caplog):
    actions = make_actions(config=settings())
    cid = webhook(actions, echoing.url("/hook"))
    with caplog.at_level(logging.DEBUG), api_client(actions) as http:
        answer = http.post(
            f"/api/actions/connector/{cid}/_execute", json={"params": {"body": "{}"}}
        )
    assert answer.status_code == 200
    assert answer.json()["status"] == "error"
    assert "[REDACTED]" in answer.text
    assert PASSWORD not in answer.text
    assert PASSWORD not in caplog.text
    assert PASSWORD not in events_text(actions)


def test_actions_events_never_shows_it(make_actions, echoing, tmp_path):
    data_dir = tmp_path / "cli-data"
    actions = make_actions(config=settings(), data_dir=data_dir)
    webhook(actions, echoing.url("/hook"))
    actions.execute("hook", {"body": "{}"})
    actions.close()
    config = tmp_path / "actions.yaml"
    config.write_text(json.dumps(settings()))
    shown = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "--config", str(config), "events", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert "[REDACTED]" in shown.output
    assert PASSWORD not in shown.output


def secret_type(executor) -> actions_core.ActionType:
    return actions_core.ActionType(
        id=".secretive",
        name="Secretive",
        secrets_schema={"type": "object", "properties": {"token": {"type": "string"}}},
        executor=executor,
    )


def run_secretive(make_actions, executor):
    actions = make_actions(secret_type(executor))
    actions.connectors.create(
        connector_type_id=".secretive", name="s", id="s", config={}, secrets={"token": TOKEN}
    )
    return actions, actions.execute("s", {})


def test_an_error_result_carrying_the_secret_is_masked_in_every_field(make_actions, caplog):
    def executor(ctx):
        token = ctx.secrets["token"]
        ctx.logger.warning("calling with %s", token)
        return actions_core.ActionResult(
            status="error",
            connector_id=ctx.connector_id,
            message=f"refused {token}",
            service_message=f"upstream said {token}",
            data={"detail": [f"token={token}"]},
        )

    with caplog.at_level(logging.DEBUG):
        actions, result = run_secretive(make_actions, executor)
    assert result.message == "refused [REDACTED]"
    assert result.service_message == "upstream said [REDACTED]"
    assert result.data == {"detail": ["token=[REDACTED]"]}
    assert "calling with [REDACTED]" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in events_text(actions)


def test_a_plugin_logging_an_exception_with_the_secret_is_masked(make_actions, caplog):
    def executor(ctx):
        try:
            raise ValueError(f"bad token {ctx.secrets['token']}")
        except ValueError:
            ctx.logger.exception("call failed")
        return "done"

    with caplog.at_level(logging.DEBUG):
        _, result = run_secretive(make_actions, executor)
    assert result.status == "ok"
    assert "ValueError: bad token [REDACTED]" in caplog.text
    assert TOKEN not in caplog.text


def test_a_stream_failing_with_the_secret_is_masked_for_the_caller_too(make_actions, caplog):
    def executor(ctx):
        def chunks():
            yield {"n": 1}
            raise ValueError(f"upstream dropped {ctx.secrets['token']}")

        return chunks()

    with caplog.at_level(logging.DEBUG):
        actions, result = run_secretive(make_actions, executor)
        with pytest.raises(ValueError) as raised:
            list(result.data)
    assert str(raised.value) == "upstream dropped [REDACTED]"  # same type, masked text
    assert result.data.result.service_message == "ValueError: upstream dropped [REDACTED]"
    assert TOKEN not in caplog.text
    assert TOKEN not in events_text(actions)
