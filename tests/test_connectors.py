"""Connector CRUD with Kibana's rules; nothing is written when input is refused."""

from __future__ import annotations

import pytest

from actions_core import (
    ActionTypeDisabledError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from tests.support import KEY, echo_type

pytestmark = pytest.mark.both_stores

GOOD_CONFIG = {"url": "https://example.com"}
GOOD_SECRETS = {"token": "s3cret-token"}


@pytest.fixture
def actions(make_actions):
    return make_actions(echo_type(".echo"))


def create(actions, **overrides):
    fields = {
        "connector_type_id": ".echo",
        "name": "echo",
        "config": GOOD_CONFIG,
        "secrets": GOOD_SECRETS,
    }
    fields.update(overrides)
    return actions.connectors.create(**fields)


def test_create_returns_the_connector_with_schema_defaults_applied(actions):
    connector = create(actions)
    assert connector.config == {"url": "https://example.com", "model": "small"}
    assert connector.connector_type_id == ".echo"
    assert connector.is_preconfigured is False
    assert connector.is_missing_secrets is False
    assert actions.connectors.get(connector.id) == connector


def test_a_generated_id_is_a_uuid(actions):
    import uuid

    assert uuid.UUID(create(actions).id).version == 4


def test_caller_supplied_ids_are_accepted(actions):
    assert create(actions, id="my-connector-1").id == "my-connector-1"
    assert create(actions, id="a" * 36).id == "a" * 36


@pytest.mark.parametrize(
    ("bad_id", "message"),
    [
        ("", "Connector ID is required."),
        ("a" * 37, "Connector ID must be 36 characters or less."),
        ("Upper", "Connector ID must contain only lowercase letters, numbers, and hyphens."),
        (
            "with_underscore",
            "Connector ID must contain only lowercase letters, numbers, and hyphens.",
        ),
        ("dot.ted", "Connector ID must contain only lowercase letters, numbers, and hyphens."),
    ],
)
def test_invalid_ids_are_refused_with_kibanas_messages(actions, bad_id, message):
    with pytest.raises(ValidationError) as err:
        create(actions, id=bad_id)
    assert err.value.message == message
    assert actions.connectors.list() == []


def test_creating_an_existing_id_is_a_conflict(actions):
    create(actions, id="same")
    with pytest.raises(ConflictError) as err:
        create(actions, id="same", name="other")
    assert err.value.message == "Saved object [action/same] conflict"
    assert err.value.status_code == 409
    assert actions.connectors.get("same").name == "echo"


def test_unknown_type_is_refused(actions):
    with pytest.raises(ValidationError) as err:
        create(actions, connector_type_id=".nope")
    assert err.value.message == 'Action type ".nope" is not registered.'


def test_bad_config_lists_every_field_and_writes_nothing(actions):
    with pytest.raises(ValidationError) as err:
        create(actions, config={"url": 1, "model": 2, "extra": True})
    assert err.value.message.startswith("error validating connector type config: ")
    assert "[url]: expected value of type [string] but got [number]" in err.value.message
    assert "[model]: expected value of type [string] but got [number]" in err.value.message
    assert "[extra]: definition for this key is missing" in err.value.message
    assert len(err.value.problems) == 3
    assert actions.connectors.list() == []


def test_bad_secrets_are_refused_without_echoing_them(actions):
    with pytest.raises(ValidationError) as err:
        create(actions, secrets={"token": "", "password": "hunter2-secret"})
    assert err.value.message.startswith("error validating connector type secrets: ")
    assert "[password]: definition for this key is missing" in err.value.message
    assert "hunter2-secret" not in err.value.message
    assert actions.connectors.list() == []


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "pattern": "^[a-z]+$"}, "does not match the pattern [^[a-z]+$]"),
        ({"enum": ["a", "b"]}, "expected one of [a, b]"),
        ({"type": "string", "format": "email"}, "value is not a valid [email]"),
        ({"not": {"type": "string"}}, "value does not satisfy the schema's [not] rule"),
        ({"anyOf": [{"const": "a"}, {"const": "b"}]}, "the schema's [anyOf] rule"),
    ],
)
def test_secrets_schema_errors_never_quote_the_value(make_actions, schema, expected):
    secrets_schema = {"type": "object", "properties": {"token": schema}}
    actions = make_actions(echo_type(".echo", secrets_schema=secrets_schema))
    with pytest.raises(ValidationError) as err:
        create(actions, secrets={"token": "Hunter2-Secret"})
    assert expected in err.value.message
    assert "Hunter2-Secret" not in f"{err.value.message} {err.value.problems}"


def test_missing_secrets_are_refused(actions):
    with pytest.raises(ValidationError) as err:
        create(actions, secrets=None)
    assert err.value.message == (
        "error validating connector type secrets: [token]: expected value of type [string] "
        "but got [undefined]"
    )


@pytest.mark.parametrize("bad_name", ["", "   ", None, 5])
def test_name_is_required(actions, bad_name):
    with pytest.raises(ValidationError, match=r"\[name\]"):
        create(actions, name=bad_name)
    assert actions.connectors.list() == []


def test_custom_config_validator_sees_the_network_policy(make_actions):
    def only_allowed_urls(config, ctx):
        ctx.network.ensure_uri_allowed(config["url"])

    actions = make_actions(
        echo_type(".echo", validate_config=only_allowed_urls),
        config={"actions": {"encryptionKey": KEY, "allowedHosts": ["good.example"]}},
    )
    create(actions, config={"url": "https://good.example/x"})
    with pytest.raises(ValidationError) as err:
        create(actions, config={"url": "https://evil.example/x"})
    assert err.value.message == (
        'error validating connector type config: target url "https://evil.example/x" is not '
        "added to the configuration actions.allowedHosts"
    )


def test_custom_validators_may_normalise_values(make_actions):
    def strip_slash(config, ctx):
        return {**config, "url": config["url"].rstrip("/")}

    actions = make_actions(echo_type(".echo", validate_config=strip_slash))
    assert create(actions, config={"url": "https://x/"}).config["url"] == "https://x"


def test_connector_validator_sees_config_and_secrets_together(make_actions):
    def same_host(config, secrets, ctx):
        if secrets["token"] == "bad":
            return "token does not fit this url"
        return None

    actions = make_actions(echo_type(".echo", validate_connector=same_host))
    with pytest.raises(ValidationError) as err:
        create(actions, secrets={"token": "bad"})
    assert (
        err.value.message == "error validating action type connector: token does not fit this url"
    )


def test_creating_a_connector_of_a_disabled_type_is_forbidden(make_actions):
    actions = make_actions(
        echo_type(".echo"),
        config={"actions": {"encryptionKey": KEY, "enabledActionTypes": [".server-log"]}},
    )
    with pytest.raises(ActionTypeDisabledError):
        create(actions)
    assert actions.connectors.list() == []


def test_list_is_sorted_by_name_and_includes_preconfigured(make_actions):
    actions = make_actions(
        echo_type(".echo"),
        config={
            "actions": {
                "encryptionKey": KEY,
                "preconfigured": {
                    "pre-log": {"name": "Middle", "actionTypeId": ".server-log"},
                },
            }
        },
    )
    create(actions, name="zeta")
    create(actions, name="Alpha")
    names = [c.name for c in actions.connectors.list()]
    assert names == ["Alpha", "Middle", "zeta"]


def test_update_changes_name_and_config_and_keeps_omitted_secrets(actions):
    connector = create(actions)
    updated = actions.connectors.update(
        connector.id, name="renamed", config={"url": "https://other.example"}
    )
    assert updated.name == "renamed"
    assert updated.config == {"url": "https://other.example", "model": "small"}
    result = actions.execute(connector.id, {"text": "hi"})
    assert result.data["secret_keys"] == ["token"]


def test_update_with_secrets_replaces_them(make_actions):
    seen = []

    def run(ctx):
        seen.append(ctx.secrets["token"])

    actions = make_actions(echo_type(".echo", executor=run))
    connector = create(actions)
    actions.connectors.update(connector.id, secrets={"token": "new-token"})
    actions.execute(connector.id, {"text": "x"})
    assert seen == ["new-token"]


def test_update_validates_and_writes_nothing_on_failure(actions):
    connector = create(actions)
    with pytest.raises(ValidationError, match=r"\[url\]"):
        actions.connectors.update(connector.id, name="new", config={"url": 3})
    assert actions.connectors.get(connector.id) == connector


def test_update_of_a_missing_connector_is_not_found(actions):
    with pytest.raises(NotFoundError) as err:
        actions.connectors.update("missing", name="x")
    assert err.value.message == "Saved object [action/missing] not found"
    assert err.value.status_code == 404


def test_update_cannot_change_the_type(actions):
    connector = create(actions)
    with pytest.raises(TypeError):
        actions.connectors.update(connector.id, connector_type_id=".server-log")
    assert actions.connectors.get(connector.id).connector_type_id == ".echo"


def test_delete_removes_the_connector(actions):
    connector = create(actions)
    actions.connectors.delete(connector.id)
    with pytest.raises(NotFoundError):
        actions.connectors.get(connector.id)
    with pytest.raises(NotFoundError):
        actions.connectors.delete(connector.id)


def test_connectors_are_isolated_per_space(actions):
    connector = create(actions, id="shared-id", space_id="team-a")
    create(actions, id="shared-id", space_id="team-b", name="b")
    assert [c.id for c in actions.connectors.list(space_id="team-a")] == ["shared-id"]
    assert actions.connectors.list() == []
    with pytest.raises(NotFoundError):
        actions.connectors.get(connector.id)
    assert actions.connectors.get("shared-id", space_id="team-b").name == "b"


def test_invalid_space_ids_are_refused(actions):
    with pytest.raises(ValidationError, match="Space ID"):
        actions.connectors.list(space_id="Bad Space")


def test_secrets_never_appear_in_connectors_or_their_api_form(actions):
    connector = create(actions)
    for text in (repr(connector), str(connector.to_api()), repr(actions.connectors.list())):
        assert "s3cret-token" not in text
    assert "secrets" not in connector.to_api()


def test_to_api_uses_kibanas_field_names(actions):
    body = create(actions, id="api-form").to_api(referenced_by_count=0)
    assert body == {
        "id": "api-form",
        "name": "echo",
        "connector_type_id": ".echo",
        "config": {"url": "https://example.com", "model": "small"},
        "is_preconfigured": False,
        "is_deprecated": False,
        "is_system_action": False,
        "is_missing_secrets": False,
        "referenced_by_count": 0,
    }


# --- values that cannot be stored as JSON (NaN, Infinity, lone surrogates) ---

OPEN = {"type": "object"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"config": {"url": "https://example.com", "extra": {"t": float("inf")}}},
            "error validating connector type config: [extra.t]: expected a finite number "
            "but got [Infinity]",
        ),
        (
            {"config": {"url": "https://example.com", "extra": float("nan")}},
            "error validating connector type config: [extra]: expected a finite number "
            "but got [NaN]",
        ),
        (
            {"config": {"url": "https://example.com/\ud800"}},
            "error validating connector type config: [url]: contains a lone surrogate",
        ),
        (
            {"secrets": {"token": "abc\udfff"}},
            "error validating connector type secrets: [token]: contains a lone surrogate",
        ),
        ({"name": "bad \ud800 name"}, "[name]: contains a lone surrogate"),
    ],
)
def test_values_that_cannot_be_stored_are_refused_naming_the_field(make_actions, fields, message):
    actions = make_actions(echo_type(".open", config_schema=OPEN, secrets_schema=OPEN))
    with pytest.raises(ValidationError) as raised:
        actions.connectors.create(**{"connector_type_id": ".open", "name": "n", **fields})
    assert raised.value.message.startswith(message)
    assert actions.connectors.list() == []

    stored = actions.connectors.create(connector_type_id=".open", name="ok", config={"a": 1})
    with pytest.raises(ValidationError):
        actions.connectors.update(stored.id, **{"name": "ok", "config": {"a": 1}, **fields})
    assert actions.connectors.get(stored.id).config == {"a": 1}
    assert actions.connectors.get(stored.id).name == "ok"


def test_params_that_are_not_json_are_an_error_result_not_a_crash(make_actions):
    actions = make_actions(echo_type(".open", params_schema=OPEN))
    connector = actions.connectors.create(
        connector_type_id=".open", name="n", config=GOOD_CONFIG, secrets=GOOD_SECRETS
    )
    result = actions.execute(connector.id, {"text": "x", "n": float("inf")})
    assert result.status == "error"
    assert result.message == (
        "error validating action params: [n]: expected a finite number but got [Infinity]"
    )
    assert actions.recent_events(connector.id) == []  # refused before it ran, as Kibana does
