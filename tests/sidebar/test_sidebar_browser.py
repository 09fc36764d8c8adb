"""The sidebar in a real browser: headless Chromium (Debian's), driven by Playwright.

The app is served over real HTTP on 127.0.0.1 and embedded by a host page on another site (localhost, another
port) in an iframe, with third-party cookies blocked. The launch succeeds, quick actions work by mouse and
keyboard, their result shows in the recruiter's queue, a tampered token shows the refusal page, a reload of the
frame keeps the sidebar, a double click logs one touch, a date before today is refused in the recruiter's
language, and screenshots in both languages land in test-artifacts/.

Without Chromium or Playwright these tests are skipped with the reason; with BROBYGGER_REQUIRE_BROWSER=1
(CI) they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jwt
import pytest
from flask import Flask
from werkzeug.wrappers import Request, Response

from connectors.simulators.base import serve
from plugin.sidebar.launch import LAUNCH_PATH
from tests.helpers import ROOT, free_port
from tests.sidebar_support import launch_token, set_origins

CHROMIUM = os.environ.get("BROBYGGER_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("BROBYGGER_REQUIRE_BROWSER") == "1"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--test-third-party-cookie-phaseout"]  # Chromium's switch that blocks third-party cookies

if REQUIRED:
    from playwright.sync_api import BrowserContext, Frame, Page, expect, sync_playwright
else:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed: pip install -e '.[dev]'")
    BrowserContext, Frame, Page = sync_api.BrowserContext, sync_api.Frame, sync_api.Page
    expect, sync_playwright = sync_api.expect, sync_api.sync_playwright

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not REQUIRED and not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make test does it as root), "
           "or set BROBYGGER_CHROMIUM")]


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def app_config(app_config: dict[str, Any], app_port: int) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_BASE_URL": f"http://127.0.0.1:{app_port}"}


class HostPage:
    """The ATS: a page on another site whose iframe loads whatever launch URL it is given."""

    def __init__(self) -> None:
        self.frame_url = "about:blank"

    def __call__(self, environ: dict, start_response: Any) -> Any:
        Request(environ)
        html = ("<!doctype html><html lang='en'><head><title>ATS</title></head><body><h1>Candidate profile</h1>"
                f"<iframe id='bb' title='Brobygger' src='{self.frame_url}' width='460' height='1300'></iframe>"
                "</body></html>")
        return Response(html, mimetype="text/html")(environ, start_response)


@pytest.fixture
def served(app: Flask, app_port: int, tenant: Any) -> Iterator[tuple[str, str, HostPage]]:
    host = HostPage()
    with serve(app, port=app_port) as app_url, serve(host) as host_url:
        host_origin = host_url.replace("127.0.0.1", "localhost")
        set_origins(app, tenant.id, [host_origin])
        yield app_url, host_origin, host


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    profile = tmp_path / "chromium-profile"
    (profile / "Default").mkdir(parents=True)
    # A fresh profile that blocks third-party cookies, as the strictest browsers do by default.
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"profile": {"cookie_controls_mode": 1, "block_third_party_cookies": True}}))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS, locale="en-GB",
            viewport={"width": 600, "height": 1400})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def person(tenant: Any) -> dict:
    kari = tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Nordmann", "language": "en",
                                         "time_zone": "Europe/Oslo"})
    person = tenant.create("/people", {"first_name": "Øystein", "last_name": "Bråten", "employer": "Kahoot!",
                                       "title": "Staff engineer", "owner_id": kari["id"]})
    tenant.post(f"/people/{person['id']}/touchpoints",
                json={"kind": "meeting", "occurred_at": "2026-10-01T09:00:00Z", "summary": "Kaffe på Grünerløkka"})
    return person


def _embed(browser: BrowserContext, host: HostPage, host_url: str, app_url: str, token: str) -> tuple[Page, Frame]:
    host.frame_url = f"{app_url}{LAUNCH_PATH}?jwt={token}"
    page = browser.new_page()
    page.goto(host_url)
    handle = page.wait_for_selector("iframe#bb")
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_selector("h1")
    return page, frame


def test_launch_and_quick_actions_in_a_cross_site_iframe(browser: BrowserContext, served: Any, tenant: Any,
                                                         person: dict) -> None:
    app_url, host_url, host = served
    page, frame = _embed(browser, host, host_url, app_url, launch_token(tenant, {"person_id": person["id"]}))
    assert "Øystein Bråten" in frame.inner_text("#person-name")
    assert frame.evaluate("document.documentElement.lang") == "en"
    # Third-party cookies are blocked in this frame; the sidebar does not need them.
    assert frame.evaluate("document.cookie = 'probe=1; SameSite=None'; document.cookie") == ""
    unlabelled = frame.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)""")
    assert unlabelled == []

    today = datetime.now(ZoneInfo("Europe/Oslo")).date().isoformat()
    frame.click("form[data-sidebar=followup] summary")
    frame.fill("#fu-reason", "Ask about the data platform team")
    frame.fill("#fu-day", today)
    frame.click("#fu-schedule")
    expect(frame.locator("#announce")).to_contain_text("Follow-up scheduled.")
    assert "Ask about the data platform team" in frame.inner_text("#timeline")

    # Keyboard only: open the section, type a summary, submit with Enter; Tab moves a visible focus ring.
    frame.focus("form[data-sidebar=touch] summary")
    page.keyboard.press("Enter")
    frame.focus("#touch-summary")
    frame.type("#touch-summary", "Coffee by keyboard")
    frame.press("#touch-summary", "Enter")
    expect(frame.locator("#announce")).to_contain_text("Touch logged.")
    assert "Coffee by keyboard" in frame.inner_text("#timeline")
    frame.focus("form[data-sidebar=touch] summary")
    page.keyboard.press("Enter")
    frame.focus("#touch-kind")
    page.keyboard.press("Tab")
    ring = frame.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                          "getComputedStyle(document.activeElement).outlineWidth")
    assert ring.split()[0] != "none" and ring.split()[1] != "0px"
    assert browser.cookies(app_url) == []  # everything so far ran without a single cookie

    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("iframe#bb").screenshot(path=str(ARTIFACTS / "sidebar-en.png"))

    # The result shows in the recruiter's queue, opened from the sidebar in a first-party tab.
    with browser.expect_page() as opened:
        frame.click("#open-queue")
    queue = opened.value
    queue.wait_for_load_state()
    assert queue.url.startswith(f"{app_url}/queue")
    assert "Ask about the data platform team" in queue.inner_text("body")


def test_sidebar_in_norwegian(app: Flask, browser: BrowserContext, served: Any, tenant: Any, person: dict) -> None:
    from tests.sidebar_support import set_languages

    set_languages(app, tenant.id, "nb", None)
    app_url, host_url, host = served
    page, frame = _embed(browser, host, host_url, app_url, launch_token(tenant, {"person_id": person["id"]}))
    assert frame.evaluate("document.documentElement.lang") == "nb"
    assert "1. okt. 2026" in frame.inner_text("#timeline")
    assert frame.text_content("#h-next") == "Neste oppfølging" and frame.text_content("#h-timeline") == "Tidslinje"
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("iframe#bb").screenshot(path=str(ARTIFACTS / "sidebar-nb.png"))


def test_tampered_token_shows_the_refusal_page(browser: BrowserContext, served: Any, tenant: Any,
                                               person: dict) -> None:
    app_url, host_url, host = served
    # Someone edits a claim (the person) and keeps the signature: the tenant is still readable, so its ATS
    # may frame the refusal, which shows nothing of anyone.
    head, _, signature = launch_token(tenant, {"person_id": person["id"]}).split(".")
    claims = jwt.decode(launch_token(tenant, {"person_id": person["id"]}), options={"verify_signature": False})
    claims["ctx"] = {"person_id": "01a2198c-0000-7000-8000-000000000000"}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    tampered = f"{head}.{body}.{signature}"
    _, frame = _embed(browser, host, host_url, app_url, tampered)
    assert frame.inner_text("h1") == "This sidebar could not be opened"
    assert "signature" in frame.inner_text("#refusal-reason")
    assert frame.query_selector("form") is None


# --- reloads, double clicks and refusals (issue 14) ------------------------------------------------------------------

def test_a_reload_of_the_frame_after_launch_still_shows_the_sidebar(browser: BrowserContext, served: Any,
                                                                    tenant: Any, person: dict) -> None:
    app_url, host_url, host = served
    _, frame = _embed(browser, host, host_url, app_url, launch_token(tenant, {"person_id": person["id"]}))
    assert "jwt=" not in frame.url and frame.url.startswith(f"{app_url}/sidebar/view?token=")
    frame.click("form[data-sidebar=touch] summary")
    frame.fill("#touch-summary", "Before the reload")
    frame.click("form[data-sidebar=touch] button[type=submit]")
    expect(frame.locator("#announce")).to_contain_text("Touch logged.")
    for _ in range(2):  # as the browser's "Reload frame" does, or an ATS that reloads its frame
        with frame.expect_navigation():
            frame.evaluate("window.setTimeout(function () { window.location.reload(); }, 0)")
        frame.wait_for_selector("h1")
        assert "Øystein Bråten" in frame.inner_text("#person-name")
        assert "used already" not in frame.inner_text("body") and "Before the reload" in frame.inner_text("#timeline")
    frame.click("form[data-sidebar=touch] summary")  # and it still acts
    frame.fill("#touch-summary", "After the reload")
    frame.click("form[data-sidebar=touch] button[type=submit]")
    expect(frame.locator("#announce")).to_contain_text("Touch logged.")
    assert browser.cookies(app_url) == []


def test_a_double_click_sends_one_request_with_the_buttons_disabled_meanwhile(
        browser: BrowserContext, served: Any, tenant: Any, person: dict) -> None:
    app_url, host_url, host = served
    page, frame = _embed(browser, host, host_url, app_url, launch_token(tenant, {"person_id": person["id"]}))
    held: list[Any] = []
    browser.route("**/sidebar/api/touch", lambda route: held.append(route))  # it waits until we let it go
    frame.click("form[data-sidebar=touch] summary")
    frame.fill("#touch-summary", "Double click")
    submit = frame.locator("form[data-sidebar=touch] button[type=submit]")
    submit.dblclick()
    expect(submit).to_be_disabled()
    frame.press("#touch-summary", "Enter")  # Enter while the request is in flight: ignored too
    page.wait_for_timeout(500)
    assert len(held) == 1
    held[0].continue_()
    browser.unroute("**/sidebar/api/touch")
    expect(frame.locator("#announce")).to_contain_text("Touch logged.")
    touches = tenant.get(f"/people/{person['id']}/touchpoints").json["data"]
    assert [t["summary"] for t in touches].count("Double click") == 1

    # Without the page's guard (two requests at once from the frame), the server still logs it once.
    answers = frame.evaluate("""() => {
        const token = document.querySelector('meta[name="brobygger-token"]').content;
        const send = () => fetch('/sidebar/api/touch', {method: 'POST', credentials: 'omit',
            headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'},
            body: JSON.stringify({summary: 'Racing'})}).then(r => r.json()).then(b => b.message);
        return Promise.all([send(), send()]);
    }""")
    assert sorted(answers) == ["This was just done; it counts once.", "Touch logged."]
    touches = tenant.get(f"/people/{person['id']}/touchpoints").json["data"]
    assert [t["summary"] for t in touches].count("Racing") == 1


def test_a_follow_up_before_today_is_refused_in_the_form(app: Flask, browser: BrowserContext, served: Any,
                                                         tenant: Any, person: dict) -> None:
    from tests.sidebar_support import set_languages

    set_languages(app, tenant.id, "nb", None)
    app_url, host_url, host = served
    _, frame = _embed(browser, host, host_url, app_url, launch_token(tenant, {"person_id": person["id"]}))
    today = datetime.now(ZoneInfo("Europe/Oslo")).date()
    assert frame.get_attribute("#fu-day", "min") == today.isoformat()  # the picker offers today and later
    before = tenant.get("/followups").json["data"]  # the fixture's meeting earned a thank-you
    frame.click("form[data-sidebar=followup] summary")
    frame.fill("#fu-reason", "Kaffe")
    frame.fill("#fu-day", (today - timedelta(days=1)).isoformat())  # typed in past the picker
    frame.click("#fu-schedule")
    error = frame.locator("form[data-sidebar=followup] .form-error")
    expect(error).to_have_text("Velg en dato fra i dag og fremover.")
    expect(frame.locator("#fu-schedule")).to_be_enabled()
    assert tenant.get("/followups").json["data"] == before
