"""The token usage dashboard in a real headless browser (Debian's Chromium through Playwright),
with JavaScript switched off: the charts are server-rendered SVG and must show the right totals.
A screenshot of the page is saved under ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from actions_core.server.apikeys import decode_api_key
from tests.server.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.server.conftest import Server
from tests.server.support import known_usage


@pytest.fixture(scope="module")
def browser_context(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_chromium()  # a missing browser fails the test, never skips it
    from playwright.sync_api import sync_playwright

    key_id, secret = decode_api_key(server.keys["reader"].encoded)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            java_script_enabled=False,
            viewport={"width": 1200, "height": 1400},
            timeout=30_000,
        )
        context.set_default_timeout(15_000)
        # sign in through the login form with an API key: its id as user name, key as password
        page = context.new_page()
        page.goto(f"{server.url}/login")
        page.get_by_label("Username").fill(key_id)
        page.get_by_label("Password").fill(secret)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/app/connectors")
        page.close()
        try:
            yield context
        finally:
            context.close()


def _values(page: Any, selector: str) -> list[int]:
    return [int(el.get_attribute("data-value")) for el in page.locator(selector).all()]


def test_the_dashboard_shows_the_known_usage(server: Server, browser_context: Any) -> None:
    space, cid = known_usage(server)
    page = browser_context.new_page()
    page.goto(f"{server.url}/s/{space}/app/connectors/{cid}/usage?from=now-7d&interval=day")

    assert page.locator("#total-tokens").inner_text() == "177"
    assert page.locator("#prompt-tokens").inner_text() == "120"
    assert page.locator("#completion-tokens").inner_text() == "57"
    assert page.locator("#executions").inner_text() == "4"
    assert page.locator("#estimated-tokens").inner_text() == "12"

    chart = page.locator("#tokens-over-time")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 150
    bars = page.locator("#tokens-over-time rect.bar")
    assert sum(_values(page, "#tokens-over-time rect.bar")) == 177
    assert sum(_values(page, '#tokens-over-time rect[data-series="prompt_tokens"]')) == 120
    for bar in bars.all():
        bar_box = bar.bounding_box()
        assert bar_box is not None and bar_box["height"] > 0 and bar_box["width"] > 0
    assert sum(_values(page, "#tokens-per-api-key rect.bar")) == 177
    admin = server.keys["admin"].key.id
    assert f"admin ({admin})" in (page.locator("#tokens-per-api-key").text_content() or "")
    assert page.locator("#per-model").get_by_text("gpt-a").count() == 1
    assert page.locator("script:not([src])").count() == 0  # no inline script

    # 30 days by default: the last day's label stays inside the chart
    page.goto(f"{server.url}/s/{space}/app/connectors/{cid}/usage")
    chart_box = page.locator("#tokens-over-time").bounding_box()
    last = page.locator("#tokens-over-time text.tick").last.bounding_box()
    assert chart_box is not None and last is not None
    assert last["x"] + last["width"] <= chart_box["x"] + chart_box["width"] + 0.5

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard-usage.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()


def test_the_range_form_works_without_javascript(server: Server, browser_context: Any) -> None:
    space, cid = known_usage(server)
    page = browser_context.new_page()
    page.goto(f"{server.url}/s/{space}/app/connectors/{cid}/usage")
    page.locator('input[name="from"]').fill("now-1d")
    page.locator('input[name="interval"]').fill("hour")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**interval=hour**")
    assert page.locator("#total-tokens").inner_text() == "20"
    page.close()


def test_pages_are_html_with_a_strict_csp_and_escape_names(server: Server) -> None:
    body = {"name": "<script>alert(1)</script>", "connector_type_id": ".tokens"}
    created = server.request("POST", "/s/xss/api/actions/connector/xss", json=body)
    assert created.status_code in (200, 409)
    for path in (
        "/s/xss/app/connectors",
        "/s/xss/app/connectors/xss",
        "/s/xss/app/connectors/xss/usage",
    ):
        response = server.request("GET", path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        policy = dict(
            part.strip().split(" ", 1)
            for part in response.headers["content-security-policy"].split(";")
        )
        assert policy["default-src"] == "'none'"
        # at most this site's own script file: no inline script can ever run
        assert policy.get("script-src", "'self'") == "'self'"
        assert "<script>alert" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    missing = server.request("GET", "/app/connectors/nope/usage")
    assert missing.status_code == 404


def test_a_browser_without_a_session_is_sent_to_the_login_page(server: Server) -> None:
    response = server.request("GET", "/s/x/app/connectors/c1/usage?from=now-1d", who=None)
    assert response.status_code == 302
    assert (
        response.headers["location"]
        == "/login?next=%2Fs%2Fx%2Fapp%2Fconnectors%2Fc1%2Fusage%3Ffrom%3Dnow-1d"
    )
    assert "www-authenticate" not in response.headers
