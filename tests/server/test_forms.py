"""Forms from JSON Schemas (``actions_core.server.forms``): annotations become labels, widgets,
choices and conditional fields; posted forms become values again; the API's ``[path]: message``
problems land under their fields."""

from __future__ import annotations

from actions_core_plugins.openai.schemas import CONFIG_SCHEMA, SECRETS_SCHEMA

from actions_core.server.forms import (
    controllers,
    fields_for,
    map_problems,
    parse_fields,
    visible,
    visible_in,
)


class Posted:
    def __init__(self, *pairs: tuple[str, str]) -> None:
        self.pairs = list(pairs)

    def get(self, name: str, default: str = "") -> str:
        found = [v for k, v in self.pairs if k == name]
        return found[-1] if found else default

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]


SCHEMA = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "title": "Desk URL", "format": "uri", "examples": ["https://x"]},
        "mode": {"oneOf": [{"const": "a", "title": "Mode A"}, {"const": "b", "title": "Mode B"}]},
        "retries": {"type": "integer", "default": 3},
        "verbose": {"type": "boolean"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "extra": {"type": "object"},
        "ignored": {"description": "no type: not a field"},
    },
    "required": ["url"],
    "if": {"properties": {"mode": {"const": "b"}}},
    "then": {"properties": {"depth": {"type": "number", "title": "Depth"}}, "required": ["depth"]},
}


def test_annotations_make_the_fields() -> None:
    fields = {f.key: f for f in fields_for(SCHEMA, "config")}
    assert list(fields) == ["url", "mode", "retries", "verbose", "headers", "extra", "depth"]
    assert (fields["url"].label, fields["url"].widget, fields["url"].required) == (
        "Desk URL",
        "url",
        True,
    )
    assert fields["url"].placeholder == "https://x"
    assert [(c.key, c.label) for c in fields["mode"].choices] == [("a", "Mode A"), ("b", "Mode B")]
    assert fields["retries"].widget == "integer" and fields["retries"].default == 3
    assert fields["verbose"].widget == "checkbox"
    assert fields["headers"].widget == "keyvalue"
    assert fields["extra"].widget == "json"
    assert fields["depth"].when == ("mode", ("b",)) and fields["depth"].required
    assert not visible(fields["depth"], {"mode": "a"}) and visible(fields["depth"], {"mode": "b"})


def test_a_posted_form_becomes_values_and_hidden_branches_are_left_out() -> None:
    fields = fields_for(SCHEMA, "config")
    form = Posted(
        ("config.url", " https://desk.example "),
        ("config.mode", "a"),
        ("config.retries", "5"),
        ("config.verbose", "false"),
        ("config.verbose", "true"),
        ("config.headers.key", "X-A"),
        ("config.headers.value", "1"),
        ("config.headers.key", ""),
        ("config.headers.value", ""),
        ("config.extra", '{"k": [1]}'),
        ("config.depth", "7"),  # posted, but mode a does not have it
    )
    values, ok = parse_fields(fields, form, "config")
    assert ok
    assert values == {
        "url": "https://desk.example",
        "mode": "a",
        "retries": 5,
        "verbose": True,
        "headers": {"X-A": "1"},
        "extra": {"k": [1]},
    }


def test_form_errors_use_kibanas_words() -> None:
    fields = fields_for(SCHEMA, "config")
    form = Posted(("config.mode", "b"), ("config.retries", "x"), ("config.extra", "{"))
    _, ok = parse_fields(fields, form, "config")
    assert not ok
    errors = {f.key: f.errors for f in fields if f.errors}
    assert errors == {
        "url": ["Desk URL is required."],
        "retries": ["Retries must be a number."],
        "extra": ["Extra does not have a valid JSON format."],
        "depth": ["Depth is required."],
    }


def test_secrets_are_never_shown_and_may_be_kept_on_edit() -> None:
    fields = fields_for(SECRETS_SCHEMA, "secrets")
    key = next(f for f in fields if f.key == "apiKey")
    assert (key.label, key.widget, key.secret) == ("API key", "password", True)
    values, ok = parse_fields(fields, Posted(("secrets.apiKey", "sk-1")), "secrets")
    assert ok and values == {"apiKey": "sk-1"} and key.value is None
    strict = {**SECRETS_SCHEMA, "required": ["apiKey"]}
    kept = fields_for(strict, "secrets")
    assert parse_fields(kept, Posted(), "secrets", keep_secrets=True) == ({}, True)
    assert parse_fields(fields_for(strict, "secrets"), Posted(), "secrets")[1] is False


def test_the_openai_form_has_one_url_field_per_provider_variant() -> None:
    fields = fields_for(CONFIG_SCHEMA, "config")
    provider = fields[0]
    assert provider.label == "Select an OpenAI provider"
    assert [c.label for c in provider.choices] == [
        "OpenAI",
        "Azure OpenAI",
        "Other (OpenAI Compatible Service)",
    ]
    urls = [f for f in fields if f.key == "apiUrl"]
    assert [(f.when, f.default) for f in urls] == [
        (("apiProvider", ("OpenAI",)), "https://api.openai.com/v1/chat/completions"),
        (("apiProvider", ("Azure OpenAI",)), None),
        (("apiProvider", ("Other",)), None),
    ]
    assert "{deployment-id}" in (urls[1].placeholder or "")
    headers = [f for f in fields if f.key == "headers"]
    assert len(headers) == 1 and headers[0].when == (
        "apiProvider",
        ("OpenAI", "Azure OpenAI", "Other"),
    )


def test_api_problems_land_under_the_shown_variant_of_their_field() -> None:
    fields = fields_for(CONFIG_SCHEMA, "config")
    rest = map_problems(
        "error validating connector type config: [apiUrl]: URL Error: Invalid URL: x; "
        "[nope]: definition for this key is missing",
        [],
        fields,
        {"config": {"apiProvider": "Other"}},
    )
    assert rest == ["[nope]: definition for this key is missing"]
    shown = [f for f in fields if f.errors]
    assert [(f.key, f.when, f.errors) for f in shown] == [
        ("apiUrl", ("apiProvider", ("Other",)), ["URL Error: Invalid URL: x"])
    ]
    assert map_problems("error validating action type connector: bad pair", [], fields) == [
        "error validating action type connector: bad pair"
    ]


def test_a_then_can_make_a_top_level_field_conditional() -> None:
    from actions_core_plugins.webhook.schema import CONFIG_SCHEMA as WEBHOOK

    fields = {f.key: f for f in fields_for(WEBHOOK, "config")}
    assert fields["authType"].when == ("hasAuth", ("true",))
    assert [c.label for c in fields["authType"].choices] == ["Basic", "SSL"]
    assert fields["ca"].when == ("authType", ("webhook-authentication-ssl",))
    assert fields["ca"].widget == "textarea"
    assert fields["method"].text == "" and fields["method"].default == "post"


def test_secrets_can_depend_on_a_config_value() -> None:
    """The PKI secrets of ``.gen-ai`` are shown once the config's verification mode is set:
    a condition on a property the secrets do not have refers to the config."""
    fields = fields_for(CONFIG_SCHEMA, "config") + fields_for(SECRETS_SCHEMA, "secrets")
    certificate = next(f for f in fields if f.key == "certificateData")
    assert certificate.when_name == "config.verificationMode"
    other = {"apiProvider": "Other"}
    assert not visible_in(certificate, {"config": other})
    assert visible_in(certificate, {"config": {**other, "verificationMode": "full"}})
    posted = Posted(("config.verificationMode", "none"), ("secrets.certificateData", "Y2VydA=="))
    assert parse_fields(fields, posted, "secrets") == ({"certificateData": "Y2VydA=="}, True)
    ignored = Posted(("secrets.certificateData", "Y2VydA=="))  # PKI not chosen
    assert parse_fields(fields, ignored, "secrets") == ({}, True)
    assert [c.name for c in controllers(fields)] == [
        "config.apiProvider",
        "config.verificationMode",
    ]
