"""The connectors UI in a real browser (Debian's Chromium through Playwright), with Kibana's
texts as role and label locators: sign in, create an OpenAI connector of provider Other through
the generated form against a local OpenAI-compatible server, test it, see a failing upstream's
error, follow the usage dashboard link, edit without re-entering the key, delete; a read user
sees no write controls; a third-party type gets a working form; a cross-site form post changes
nothing. Screenshots of every page land in ``test-artifacts/``."""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from actions_core._store import open_engine, sqlite_url
from actions_core.server import ApiKeyStore, hash_password
from tests.plugins.openai.support import USAGE, completion
from tests.server.browser import launch, screenshot
from tests.server.support import RunningServer, clean_env, start_test_server
from tests.server.upstream import ScriptedUpstream
from tests.servers import Upstream
from tests.support import KEY

ALICE = ("alice", "alice-ui-password-4d1a")  # role all
BOB = ("bob", "bob-ui-password-8e2c")  # role read
API_KEY = "sk-local-ui-secret-6a9b"
REPLY = "Hello from the local model!"


class UI:
    def __init__(
        self, running: RunningServer, upstream: Upstream, scripted: ScriptedUpstream
    ) -> None:
        self.running = running
        self.upstream = upstream
        self.scripted = scripted

    @property
    def url(self) -> str:
        return self.running.url

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            self.url + path,
            auth=ALICE,
            headers={"kbn-xsrf": "true"},
            timeout=20,
            **kwargs,
        )


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    workdir = tmp_path_factory.mktemp("ui")
    config = {
        "actions": {
            "encryptionKey": KEY,
            "allowedHosts": ["127.0.0.1", "localhost"],
            "preconfigured": {
                "pre-log": {"name": "Preconfigured log", "actionTypeId": ".server-log"}
            },
            "server": {
                "users": {
                    ALICE[0]: {"role": "all", "passwordHash": hash_password(ALICE[1])},
                    BOB[0]: {"role": "read", "password": BOB[1]},
                }
            },
        }
    }
    (workdir / "actions.yml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "tests.server.ui_app_under_test", "actions.yml", "data"]
    env = clean_env(ACTIONS_PLUGINS="server-log,webhook,openai")
    with Upstream() as upstream, ScriptedUpstream() as scripted:
        upstream.expect_request("/v1/chat/completions", method="POST").respond_with_json(
            completion(REPLY, usage=USAGE)
        )
        upstream.expect_request("/down/v1/chat/completions", method="POST").respond_with_json(
            {"error": {"message": "The model is overloaded", "type": "server_error"}},
            status=503,
        )
        running = RunningServer(command, workdir, env)
        try:
            yield UI(running, upstream, scripted)
        finally:
            running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch(playwright)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def sign_in(page: Any, ui: UI, who: tuple[str, str] = ALICE) -> None:
    page.goto(ui.url + "/")
    page.wait_for_url("**/login**")
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/app/connectors")


def shown(locator: Any) -> Any:
    """The one visible match (fields of other providers are in the page, hidden)."""
    return locator.filter(visible=True)


def test_sign_in_fails_without_saying_why_then_works_and_logs_out(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    page.goto(ui.url + "/")
    page.wait_for_url("**/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")
    page.get_by_label("Username").fill(ALICE[0])
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Username or password is incorrect. Please try again."
    )
    sign_in(page, ui)
    expect(page.get_by_role("heading", name="Connectors", exact=True)).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "actions_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.goto(ui.url + "/")
    page.wait_for_url("**/app/connectors")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?msg=LOGGED_OUT")
    page.goto(ui.url + "/app/connectors")
    page.wait_for_url("**/login?next=%2Fapp%2Fconnectors")


def test_the_openai_connector_flow(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    sign_in(page, ui)
    expect(page.get_by_role("cell", name="Preconfigured log", exact=True)).to_be_visible()
    screenshot(page, "connectors")

    # create: the type picker, then the OpenAI form with provider Other
    page.get_by_role("link", name="Create connector").click()
    expect(page.get_by_role("heading", name="Select a connector")).to_be_visible()
    screenshot(page, "select-a-connector")
    page.get_by_role("button", name="OpenAI", exact=True).click()
    expect(page.get_by_role("heading", name="OpenAI connector")).to_be_visible()
    provider = page.get_by_label("Select an OpenAI provider")
    expect(provider).to_have_value("OpenAI")
    expect(shown(page.get_by_label("URL", exact=True))).to_have_value(
        "https://api.openai.com/v1/chat/completions"
    )
    expect(page.get_by_label("PKI certificate")).to_be_hidden()
    provider.select_option(label="Other (OpenAI Compatible Service)")
    expect(shown(page.get_by_label("URL", exact=True))).to_have_value("")
    # PKI: choosing a verification mode reveals the certificate, key and CA
    expect(page.get_by_label("PKI certificate")).to_be_hidden()
    verification = page.get_by_label("SSL verification mode")
    verification.select_option("full")
    for label in ("PKI certificate", "PKI private key", "CA certificate"):
        expect(page.get_by_label(label)).to_be_visible()
    verification.select_option("")
    expect(page.get_by_label("PKI certificate")).to_be_hidden()
    page.get_by_label("Connector name").fill("Local LLM")
    page.get_by_label("Connector ID").fill("local-llm")
    shown(page.get_by_label("URL", exact=True)).fill("not a url")
    shown(page.get_by_label("Default model")).fill("local-model")
    page.get_by_label("API key").fill(API_KEY)
    expect(page.get_by_text("stored encrypted and are not shown again")).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()

    # the API's words under the field; nothing stored
    expect(page.get_by_text("There are errors in the form")).to_be_visible()
    url_field = shown(page.get_by_label("URL", exact=True))
    expect(url_field).to_have_accessible_description(re.compile("Invalid URL"))
    screenshot(page, "create-errors")
    assert ui.api("GET", "/api/actions/connector/local-llm").status_code == 404
    assert API_KEY not in page.content()

    url_field.fill(ui.upstream.url("/v1/chat/completions"))
    page.get_by_label("API key").fill(API_KEY)
    page.get_by_role("button", name="Save & test").click()
    page.wait_for_url("**/app/connectors/local-llm?tab=test")

    # the Test tab: Kibana's Hello world body with the default model for Other
    expect(page.get_by_role("heading", name="Local LLM")).to_be_visible()
    expect(page.get_by_role("tab", name="Test")).to_have_attribute("aria-selected", "true")
    body = page.get_by_label("Body")
    expect(body).to_have_value(re.compile('"content": "Hello world"'))
    expect(body).to_have_value(re.compile('"model": "local-model"'))
    body.fill("{not json")
    expect(page.get_by_role("button", name="Run")).to_be_disabled()
    expect(page.get_by_text("Body does not have a valid JSON format.")).to_be_visible()
    body.fill('{"messages": [{"role": "user", "content": "Hello world"}]}')
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Test was successful")).to_be_visible()
    expect(page.locator("#test-response")).to_contain_text(REPLY)
    screenshot(page, "test-successful")
    sent = ui.upstream.log[-1][0]
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"

    # the usage dashboard link
    page.get_by_role("tab", name="Configuration").click()
    link = page.get_by_role("link", name='View Other Usage Dashboard for "Local LLM" Connector')
    screenshot(page, "connector-configuration")
    link.click()
    page.wait_for_url("**/app/connectors/local-llm/usage")
    expect(page.locator("#total-tokens")).to_have_text("18")
    expect(page.locator("#executions")).to_have_text("1")
    screenshot(page, "usage")

    # edit without re-entering the key; no test run with unsaved changes
    page.goto(ui.url + "/app/connectors/local-llm")
    expect(page.get_by_label("API key")).to_have_value("")
    page.get_by_label("Connector name").fill("Local LLM (edited)")
    page.get_by_role("tab", name="Test").click()
    expect(page.get_by_role("button", name="Run")).to_be_disabled()
    expect(page.get_by_text("Save your changes before testing the connector.")).to_be_visible()
    page.get_by_role("tab", name="Configuration").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Changes saved")
    expect(page.get_by_role("heading", name="Local LLM (edited)")).to_be_visible()
    page.get_by_role("tab", name="Test").click()
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Test was successful")).to_be_visible()
    assert ui.upstream.log[-1][0].headers["Authorization"] == f"Bearer {API_KEY}"

    # delete, with a confirmation naming it
    page.goto(ui.url + "/app/connectors")
    page.get_by_role("link", name="Delete Local LLM (edited)").click()
    expect(page.get_by_role("heading", name="Delete 1 connector?")).to_be_visible()
    expect(page.get_by_role("listitem")).to_contain_text("Local LLM (edited)")
    screenshot(page, "delete-confirmation")
    page.get_by_role("button", name="Delete 1 connector").click()
    expect(page.get_by_role("status")).to_have_text("Deleted 1 connector")
    expect(page.get_by_role("link", name="Local LLM (edited)", exact=True)).to_have_count(0)
    assert ui.api("GET", "/api/actions/connector/local-llm").status_code == 404

    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_role("cell", name="Local LLM (edited)", exact=True).first).to_be_visible()
    screenshot(page, "logs")

    # the page's writes were audited like the API's, as alice
    audit = ui.running.workdir / "data" / "audit.log"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    done = [
        (r["event"]["action"], r["user"]["name"])
        for r in records
        if r["kibana"]["saved_object"] == {"type": "action", "id": "local-llm"}
        and r["event"]["outcome"] == "success"
    ]
    for action in ("connector_create", "connector_update", "connector_execute", "connector_delete"):
        assert (action, "alice") in done, action
    assert API_KEY not in audit.read_text()


def test_leaving_with_unsaved_changes_asks_first(page: Any, ui: UI) -> None:
    ui.api(
        "POST",
        "/api/actions/connector/unsaved",
        json={"name": "Unsaved", "connector_type_id": ".server-log"},
    )
    sign_in(page, ui)
    page.goto(ui.url + "/app/connectors/unsaved")
    page.get_by_label("Connector name").fill("Unsaved, edited")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]


def test_a_failing_upstream_shows_its_error(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    created = ui.api(
        "POST",
        "/api/actions/connector/down-llm",
        json={
            "name": "Down LLM",
            "connector_type_id": ".gen-ai",
            "config": {
                "apiProvider": "Other",
                "apiUrl": ui.upstream.url("/down/v1/chat/completions"),
                "defaultModel": "local-model",
            },
            "secrets": {"apiKey": API_KEY},
        },
    )
    assert created.status_code == 200, created.text
    sign_in(page, ui)
    page.goto(ui.url + "/app/connectors/down-llm?tab=test")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Test failed to run")).to_be_visible()
    expect(page.get_by_text("The following error was found:")).to_be_visible()
    expect(page.locator("#test-details")).to_contain_text("The model is overloaded")
    screenshot(page, "test-failed")

    page.goto(ui.url + "/app/connectors/_logs")
    page.get_by_label("Outcome").select_option(label="Failure")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("#logs tbody tr")
    expect(rows.filter(has_text="Down LLM").first).to_contain_text("Failure")
    expect(rows.filter(has_text="Success")).to_have_count(0)


def test_a_read_user_sees_no_write_controls(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    ui.api(
        "POST",
        "/api/actions/connector/read-view",
        json={
            "name": "Seen by readers",
            "connector_type_id": ".ticket",
            "config": {"url": "https://desk.example", "project": "OPS"},
            "secrets": {"token": "t0ken"},
        },
    )
    sign_in(page, ui, BOB)
    expect(page.get_by_role("link", name="Seen by readers", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Create connector")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Delete"))).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    page.get_by_role("link", name="Seen by readers", exact=True).click()
    expect(page.get_by_label("Desk URL")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    screenshot(page, "read-only-connector")
    page.get_by_role("tab", name="Test").click()
    page.get_by_label("Summary").fill("Disk full")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Test was successful")).to_be_visible()

    # the server refuses writes anyway, whatever the page shows
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for path, form in (
        ("/app/connectors/read-view", {"name": "Renamed by a reader"}),
        ("/app/connectors/_delete", {"ids": "read-view"}),
        ("/app/connectors/_create?type=.server-log", {"name": "New"}),
    ):
        refused = httpx.post(
            ui.url + path,
            data={"csrf_token": token, **form},
            cookies=cookies,
            headers={"Origin": ui.url, "Accept": "text/html"},
            timeout=20,
        )
        assert refused.status_code == 403, (path, refused.status_code)
        assert "text/html" in refused.headers["content-type"]
    assert ui.api("GET", "/api/actions/connector/read-view").json()["name"] == "Seen by readers"


def test_a_third_party_type_gets_a_working_form(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    sign_in(page, ui)
    page.goto(ui.url + "/app/connectors/_create")
    page.get_by_label("Search").fill("ticket")
    expect(page.get_by_role("button", name="OpenAI", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Ticket desk").click()
    expect(page.get_by_role("heading", name="Ticket desk connector")).to_be_visible()
    page.get_by_label("Connector name").fill("Desk")
    page.get_by_label("Desk URL").fill("https://desk.example/api")
    page.get_by_label("Project").select_option(label="Security")
    expect(page.get_by_label("Notify the team")).to_be_checked()
    page.get_by_label("Access token").fill("desk-token-123")
    screenshot(page, "third-party-form")
    page.get_by_role("button", name="Save & test").click()
    page.wait_for_url(re.compile(r"/app/connectors/[0-9a-f-]{36}\?tab=test$"))
    page.get_by_label("Summary").fill("Printer on fire")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Test was successful")).to_be_visible()
    response = page.locator("#test-response")
    expect(response).to_contain_text('"ticket": "SEC-1"')
    expect(response).to_contain_text('"priority": "high"')
    expect(response).to_contain_text('"token_length": 14')
    screenshot(page, "third-party-test")


def test_a_cross_site_form_post_changes_nothing(page: Any, ui: UI) -> None:
    """An attacker's page on another site posts a delete form to the UI while the user is
    signed in: the SameSite cookie is not sent, and without the page's token and with a foreign
    Origin the server refuses anyway."""
    ui.api(
        "POST",
        "/api/actions/connector/victim",
        json={"name": "Victim", "connector_type_id": ".server-log"},
    )
    sign_in(page, ui)
    target = ui.url + "/app/connectors/_delete"
    evil = (
        f'<form id="f" method="post" action="{target}">'
        '<input name="ids" value="victim"><input name="csrf_token" value="guess"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )
    with Upstream(host="localhost") as attacker:
        attacker.expect_request("/").respond_with_data(evil, content_type="text/html")
        page.goto(attacker.url("/", host="localhost"))
        page.wait_for_url(re.compile(re.escape(ui.url)))
    assert ui.api("GET", "/api/actions/connector/victim").status_code == 200

    # the same post with the session cookie itself: refused for its Origin and its token
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.goto(ui.url + "/app/connectors")
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    for headers, sent_token in (
        ({"Origin": "http://localhost:1"}, token),
        ({"Origin": ui.url}, "not-the-token"),
        ({}, ""),
    ):
        refused = httpx.post(
            target,
            data={"ids": "victim", "csrf_token": sent_token},
            cookies=cookies,
            headers=headers,
            timeout=20,
        )
        assert refused.status_code == 403
    assert ui.api("GET", "/api/actions/connector/victim").status_code == 200
    allowed = httpx.post(
        target,
        data={"ids": "victim", "csrf_token": token},
        cookies=cookies,
        headers={"Origin": ui.url},
        timeout=20,
    )
    assert allowed.status_code == 303
    assert ui.api("GET", "/api/actions/connector/victim").status_code == 404


def test_the_list_reads_well_on_a_narrow_window(browser: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 780})
    try:
        page = context.new_page()
        sign_in(page, ui)
        expect(page.get_by_role("link", name="Create connector")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400
        screenshot(page, "connectors-narrow")
    finally:
        context.close()


def test_without_javascript_choosing_a_provider_shows_its_fields_before_saving(
    browser: Any, ui: UI
) -> None:
    """Plain form posts: changing the provider and saving shows that provider's fields first
    (the OpenAI URL and model that were posted are not stored for an Other connector)."""
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, ui)
        page.goto(ui.url + "/app/connectors/_create?type=.gen-ai")
        page.get_by_label("Connector name").fill("No script")
        page.get_by_label("Connector ID").fill("no-script")
        page.get_by_label("Select an OpenAI provider").select_option("Other")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("There are errors in the form")).to_have_count(0)
        assert ui.api("GET", "/api/actions/connector/no-script").status_code == 404
        expect(page.get_by_label("Select an OpenAI provider")).to_have_value("Other")
        expect(page.get_by_label("Connector name")).to_have_value("No script")
        shown(page.get_by_label("URL", exact=True)).fill(ui.upstream.url("/v1/chat/completions"))
        shown(page.get_by_label("Default model")).fill("local-model")
        page.get_by_label("API key").fill(API_KEY)
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url("**/app/connectors/no-script")
        stored = ui.api("GET", "/api/actions/connector/no-script").json()
        assert stored["config"]["apiProvider"] == "Other"
        assert stored["config"]["apiUrl"] == ui.upstream.url("/v1/chat/completions")
        assert stored["config"]["defaultModel"] == "local-model"

        # Run as a plain form post: the result is rendered by the server
        page.goto(ui.url + "/app/connectors/no-script?tab=test")
        page.get_by_role("button", name="Run").click()
        expect(page.get_by_text("Test was successful")).to_be_visible()
        expect(page.locator("#test-response")).to_contain_text(REPLY)

        # a stream, read to its end by the server
        ui.api(
            "POST",
            "/api/actions/connector/plain-stream",
            json={
                "name": "Plain stream",
                "connector_type_id": ".upstream-stream",
                "config": {"url": ui.scripted.url},
            },
        )
        page.goto(ui.url + "/app/connectors/plain-stream?tab=test")
        page.get_by_label("Path").fill("/stream?tag=ui-plain&chunks=3")
        page.get_by_role("button", name="Run").click()
        expect(page.get_by_text("Test was successful")).to_be_visible()
        expect(page.locator("#test-response")).to_contain_text('data: {"n": 2}')
    finally:
        context.close()


def test_search_and_the_type_filter_narrow_the_list(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    for cid, name, type_id, config, secrets in (
        ("alpha-log", "Alpha log", ".server-log", {}, {}),
        (
            "beta-desk",
            "Beta desk",
            ".ticket",
            {"url": "https://d", "project": "OPS"},
            {"token": "t"},
        ),
    ):
        created = ui.api(
            "POST",
            f"/s/filters/api/actions/connector/{cid}",
            json={"name": name, "connector_type_id": type_id, "config": config, "secrets": secrets},
        )
        assert created.status_code == 200, created.text
    sign_in(page, ui)
    page.goto(ui.url + "/s/filters/app/connectors")
    rows = page.locator("#connectors tbody tr")
    expect(rows).to_have_count(3)  # and the preconfigured one
    page.get_by_label("Search").fill("alpha")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_role("link", name="Alpha log", exact=True)).to_be_visible()
    page.get_by_label("Search").fill("")
    page.get_by_label("Type").select_option(label="Ticket desk (1)")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_role("cell", name="Ticket desk")).to_be_visible()
    page.get_by_role("link", name="Beta desk", exact=True).click()
    page.wait_for_url("**/s/filters/app/connectors/beta-desk")

    # delete the selected rows (the preconfigured one cannot be selected)
    page.goto(ui.url + "/s/filters/app/connectors")
    expect(page.get_by_role("checkbox")).to_have_count(2)
    bulk = page.locator("#bulk-delete")
    expect(bulk).to_be_hidden()
    page.get_by_role("checkbox", name="Select Alpha log").check()
    page.get_by_role("checkbox", name="Select Beta desk").check()
    expect(bulk).to_have_text("Delete 2")
    bulk.click()
    expect(page.get_by_role("heading", name="Delete 2 connectors?")).to_be_visible()
    expect(page.get_by_role("listitem")).to_have_count(2)
    page.get_by_role("button", name="Delete 2 connectors").click()
    expect(page.get_by_role("status")).to_have_text("Deleted 2 connectors")
    expect(rows).to_have_count(1)


def test_an_empty_space_offers_to_create_a_connector(tmp_path: Path) -> None:
    config = {
        "actions": {
            "encryptionKey": KEY,
            "server": {
                "users": {
                    ALICE[0]: {"role": "all", "password": ALICE[1]},
                    BOB[0]: {"role": "read", "password": BOB[1]},
                }
            },
        }
    }
    running = start_test_server(tmp_path, config)
    try:
        for who, expected in (
            (ALICE, "Create connector"),
            (BOB, "No permissions to create connectors"),
        ):
            page = httpx.get(
                running.url + "/app/connectors",
                auth=who,
                headers={"Accept": "text/html"},
                timeout=20,
            )
            assert page.status_code == 200
            assert "Create your first connector" in page.text
            assert expected in page.text
    finally:
        running.stop()


def test_a_streaming_result_shows_its_text_as_it_arrives(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    created = ui.api(
        "POST",
        "/api/actions/connector/live-stream",
        json={
            "name": "Live stream",
            "connector_type_id": ".upstream-stream",
            "config": {"url": ui.scripted.url},
        },
    )
    assert created.status_code == 200, created.text
    record = ui.scripted.record("ui-live")
    sign_in(page, ui)
    page.goto(ui.url + "/app/connectors/live-stream?tab=test")
    page.get_by_label("Path").fill("/stream?tag=ui-live&chunks=3&hold=1")
    page.get_by_role("button", name="Run").click()
    output = page.locator("#test-response")
    expect(output).to_contain_text('data: {"n": 0}')
    expect(page.get_by_role("status")).to_have_text("Streaming the response…")
    assert not record.finished.is_set()  # the first chunk is shown while the stream holds
    screenshot(page, "test-streaming")
    record.release.set()
    expect(page.get_by_text("Test was successful")).to_be_visible()
    expect(output).to_contain_text('data: {"n": 2}')


def test_an_api_key_signs_in_and_revoking_it_ends_the_session(ui: UI) -> None:
    data = ui.running.workdir / "data"
    key_id, secret = base64.b64decode((data / "api-key").read_text().strip()).decode().split(":")
    with httpx.Client(base_url=ui.url, timeout=20) as browser:
        signed_in = browser.post(
            "/login", data={"username": key_id, "password": secret, "next": "/app/connectors"}
        )
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/app/connectors"
        assert browser.get("/app/connectors").status_code == 200
        engine = open_engine(sqlite_url(data / "actions.sqlite3"))
        try:
            ApiKeyStore(engine).revoke(key_id)
        finally:
            engine.dispose()
        after = browser.get("/app/connectors")
        assert after.status_code == 302
        assert after.headers["location"].startswith("/login")


def test_browsers_get_html_error_pages_and_the_login_never_redirects_away(
    page: Any, ui: UI
) -> None:
    from playwright.sync_api import expect

    sign_in(page, ui)
    missing = page.goto(ui.url + "/app/connectors/no-such-connector")
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("not found")
    screenshot(page, "not-found")
    api = httpx.get(ui.url + "/api/actions/connector/no-such-connector", auth=ALICE, timeout=20)
    assert api.status_code == 404 and api.json()["statusCode"] == 404

    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = httpx.post(
            ui.url + "/login",
            data={"username": ALICE[0], "password": ALICE[1], "next": target},
            timeout=20,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/app/connectors"


def test_the_session_cookie_is_secure_behind_https(ui: UI) -> None:
    form = {"username": BOB[0], "password": BOB[1]}
    plain = httpx.post(ui.url + "/login", data=form, timeout=20)
    behind_tls = httpx.post(
        ui.url + "/login", data=form, headers={"X-Forwarded-Proto": "https"}, timeout=20
    )
    assert plain.status_code == behind_tls.status_code == 303
    assert "secure" not in plain.headers["set-cookie"].lower()
    cookie = behind_tls.headers["set-cookie"].lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_the_webhook_form_shows_fields_as_its_choices_need_them(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    sign_in(page, ui)
    page.goto(ui.url + "/app/connectors/_create?type=.webhook")
    expect(page.get_by_label("Method")).to_have_value("post")
    authentication = page.get_by_label("Authentication", exact=True)
    expect(authentication).to_be_visible()
    expect(page.get_by_label("CA file")).to_be_hidden()
    authentication.select_option(label="SSL")
    expect(page.get_by_label("CA file")).to_be_visible()
    page.get_by_label("Require authentication").uncheck()
    expect(authentication).to_be_hidden()
    expect(page.get_by_label("CA file")).to_be_hidden()
    page.get_by_label("Connector name").fill("Hook")
    page.get_by_label("Connector ID").fill("hook")
    page.get_by_label("URL", exact=True).fill(ui.upstream.url("/hook"))
    page.get_by_label("Key", exact=True).fill("X-Team")
    page.get_by_label("Value", exact=True).fill("ops")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/app/connectors/hook")
    stored = ui.api("GET", "/api/actions/connector/hook").json()["config"]
    assert stored["hasAuth"] is False and stored["headers"] == {"X-Team": "ops"}
    assert "authType" not in stored or stored["authType"] is None


def test_the_name_and_id_are_checked_with_kibanas_messages(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    ui.api(
        "POST",
        "/api/actions/connector/taken",
        json={"name": "Taken", "connector_type_id": ".server-log"},
    )
    sign_in(page, ui)
    page.goto(ui.url + "/app/connectors/_create?type=.server-log")
    page.get_by_label("Connector ID").fill("Not Valid!")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Connector name")).to_have_accessible_description("Name is required.")
    expect(page.get_by_label("Connector ID")).to_have_accessible_description(
        re.compile("must contain only lowercase letters, numbers, and hyphens")
    )
    page.get_by_label("Connector name").fill("Another")
    page.get_by_label("Connector ID").fill("taken")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Connector ID")).to_have_accessible_description(
        re.compile("A connector is already using this ID.")
    )
    assert ui.api("GET", "/api/actions/connector/taken").json()["name"] == "Taken"
