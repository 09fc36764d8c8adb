"""The settings page in a real browser (headless Chromium, driven by Playwright), served over real HTTP: the time
field and the zone list work as a browser fills them, a refusal shows beside its field, and the header's language
switch brings the recruiter back to the page they were on, now in the other language.

Without Chromium or Playwright these tests are skipped with the reason; with BROBYGGER_REQUIRE_BROWSER=1 (CI)
they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.simulators.base import serve
from plugin.extension import get_state
from plugin.login import links
from plugin.models import Recruiter
from tests.helpers import free_port
from tests.pages import make_recruiter

CHROMIUM = os.environ.get("BROBYGGER_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("BROBYGGER_REQUIRE_BROWSER") == "1"

if REQUIRED:
    from playwright.sync_api import Page, expect, sync_playwright
else:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed: pip install -e '.[dev]'")
    Page, expect, sync_playwright = sync_api.Page, sync_api.expect, sync_api.sync_playwright

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not REQUIRED and not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium`, or set BROBYGGER_CHROMIUM")]


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def app_config(app_config: dict[str, Any], app_port: int) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_BASE_URL": f"http://127.0.0.1:{app_port}"}


@pytest.fixture
def page(app: Flask, app_port: int) -> Iterator[Page]:
    with serve(app, port=app_port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser.new_page(locale="en-GB")
        finally:
            browser.close()


def _signed_in(app: Flask, page: Page, recruiter_id: str) -> str:
    state = get_state(app)
    with state.sessions() as session:
        recruiter = session.get(Recruiter, uuid.UUID(recruiter_id))
        token = links.make_token(state.setting("SECRET_KEY"), recruiter, "mail")
    base = state.setting("BASE_URL")
    page.goto(f"{base}/login/{token}")
    return base


def _saved(app: Flask, recruiter_id: str) -> Recruiter:
    with get_state(app).sessions() as session:
        found = session.get(Recruiter, uuid.UUID(recruiter_id))
        assert found is not None
        session.expunge(found)
        return found


def test_the_settings_form_and_the_language_switch_in_chromium(app: Flask, tenant: Any, page: Page) -> None:
    me = make_recruiter(tenant, is_admin=True)
    base = _signed_in(app, page, me["id"])
    page.goto(f"{base}/settings")

    page.fill("#time_zone", "Mars/Olympus")
    page.fill("#digest_time", "06:15")
    page.click("button.primary")
    expect(page.locator("#err-time_zone")).to_have_text("Choose a time zone from the list, such as Europe/Oslo.")
    assert page.get_attribute("#time_zone", "aria-invalid") == "true"
    assert _saved(app, me["id"]).digest_time == "07:30"

    page.fill("#time_zone", "America/New_York")
    page.select_option("#region", "US")
    page.uncheck("input[name=monthly_report_enabled]")
    page.click("button.primary")
    expect(page.locator(".flash")).to_have_text("Your settings are saved.")
    saved = _saved(app, me["id"])
    assert (saved.time_zone, saved.region, saved.digest_time, saved.monthly_report_enabled) == (
        "America/New_York", "US", "06:15", False)

    page.goto(f"{base}/roles?status=anticipated")
    page.click("form.language-switch button")
    page.wait_for_url(f"{base}/roles?status=anticipated")
    assert page.evaluate("document.documentElement.lang") == "nb"
    expect(page.locator("form.language-switch button")).to_have_text("English")
    assert _saved(app, me["id"]).language == "nb"
