"""The message pages in a real browser: headless Chromium (Debian's), driven by Playwright, against the app served
over real HTTP on 127.0.0.1, each recruiter signed in through a real sign-in link, in Norwegian and in English.

The author opens a draft from /messages/new, types «veldig god lønn» and sees the tone panel flag it and the score
drop without a reload, fills the reason line, marks it important and asks a colleague to read it; the colleague
finds it under "Waiting for you to read", changes a line and approves; the author sees the change as a diff in
the trail and sends it, and the message shows as queued. A LinkedIn message is copied to the clipboard and logged
as sent. The sidebar's "Write a message" opens the draft in a new tab, signed in. At 400 px nothing scrolls
sideways. Screenshots land in tests/artifacts/messages/ (ignored by git).

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
from plugin.models import Message, Recruiter
from tests.helpers import ROOT, free_port
from tests.messages.test_pages import SAID
from tests.sidebar_support import launch_token

CHROMIUM = os.environ.get("BROBYGGER_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("BROBYGGER_REQUIRE_BROWSER") == "1"
ARTIFACTS = ROOT / "tests" / "artifacts" / "messages"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCALES = {"nb": "nb-NO", "en": "en-GB"}
STATUS = {"queued": {"nb": "i kø", "en": "queued"}, "sent": {"nb": "sendt", "en": "sent"},
          "approved": {"nb": "godkjent", "en": "approved"}}
APPROVE = {"nb": "Godkjenn", "en": "Approve"}

if REQUIRED:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
else:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed: pip install -e '.[dev]'")
    Browser, Page = sync_api.Browser, sync_api.Page
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


@pytest.fixture
def app_url(app: Flask, app_port: int) -> Iterator[str]:
    with serve(app, port=app_port) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


class Team:
    """Kari writes, Ola reads; both in `language`. Nina (who speaks Norwegian) is the recipient."""

    def __init__(self, app: Flask, tenant: Any, language: str) -> None:
        self.state = get_state(app)
        self.ids = {}
        for key, email, name in (("kari", "kari@acme.no", "Kari Nordmann"), ("ola", "ola@acme.no", "Ola Berg")):
            self.ids[key] = tenant.create("/recruiters", {"email": email, "name": name, "language": language,
                                                          "time_zone": "Europe/Oslo"})["id"]
        self.person = tenant.create("/people", {"first_name": "Nina", "last_name": "Hansen",
                                                "emails": ["nina@example.no"], "languages": ["nb"],
                                                "owner_id": self.ids["kari"]})

    def sign_in_url(self, app_url: str, who: str) -> str:
        with self.state.sessions() as session:
            recruiter = session.get(Recruiter, uuid.UUID(self.ids[who]))
            token = links.make_token(self.state.setting("SECRET_KEY"), recruiter, "mail")
        return f"{app_url}/login/{token}"

    def message(self, message_id: str) -> Message:
        with self.state.sessions() as session:
            found = session.get(Message, uuid.UUID(message_id))
            assert found is not None
            session.expunge(found)
            return found


def _signed_in(browser: Browser, team: Team, app_url: str, who: str, language: str, width: int = 1280) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=LOCALES[language])
    page = context.new_page()
    page.goto(team.sign_in_url(app_url, who))
    page.wait_for_url(f"{app_url}/queue")
    return page


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
    assert max(width[0], width[1]) <= width[2], width


def _score(page: Page) -> int:
    return int(page.inner_text("#tone-score"))


@pytest.mark.parametrize("language", ["nb", "en"])
def test_write_review_and_send(app: Flask, tenant: Any, browser: Browser, app_url: str, language: str) -> None:
    team = Team(app, tenant, language)
    kari = _signed_in(browser, team, app_url, "kari", language)
    kari.goto(f"{app_url}/messages/new?person_id={team.person['id']}")
    kari.wait_for_url(f"{app_url}/messages/*")
    message_id = kari.url.rsplit("/", 1)[1]
    assert kari.evaluate("document.documentElement.lang") == language
    expect(kari.locator("label[for=reason]")).to_have_text(SAID["reason_label"][language])
    before = _score(kari)
    assert before == 100 and kari.locator("#tone-flags li").count() == 0

    # Typing: the panel follows without a reload (a marker on window survives), the score drops, both flagged.
    kari.evaluate("() => { window.brobyggerMarker = 'still here'; }")
    kari.click("#body")
    kari.keyboard.press("Control+End")
    kari.locator("#body").press_sequentially("\nVi har veldig god lønn.", delay=15)
    expect(kari.locator("#tone-flags li mark")).to_have_text(["veldig", "god lønn"])
    assert _score(kari) < before
    assert kari.evaluate("window.brobyggerMarker") == "still here"
    flags = kari.inner_text("#tone-flags")
    assert "Lønn og goder uten tall" in flags  # why and suggestion in the message's language (Norwegian)
    assert ("Forsterkende ord" if language == "nb" else "Intensifier") in flags  # the kind in the reader's
    kari.fill("#reason", "Vi møttes på fagdagen i mai, og teamet hennes vokser.")
    expect(kari.locator("#review-free")).to_be_visible()
    kari.check("input[name=important]")  # the team's rule asks a reader for important messages: said at once
    expect(kari.locator("#review-needed")).to_be_visible()
    expect(kari.locator("#review-free")).to_be_hidden()
    expect(kari.locator("#send-email")).to_be_hidden()
    kari.select_option("#reviewer", team.ids["ola"])
    _shot(kari, f"message-compose-{language}.png")
    kari.click("#ask-review")
    expect(kari.locator(".flash")).to_have_text(SAID["asked"][language])
    assert team.message(message_id).status == "in_review"
    assert "veldig god lønn" in team.message(message_id).body

    # The colleague finds it waiting, changes the line and approves it.
    ola = _signed_in(browser, team, app_url, "ola", language)
    expect(ola.locator("#nav-messages .badge")).to_contain_text("1")
    ola.goto(f"{app_url}/queue")  # the queue says so too, above the follow-ups
    expect(ola.locator("#messages-waiting a").first).to_have_text("Nina Hansen")
    _shot(ola, f"queue-waiting-{language}.png")
    ola.click("#nav-messages")
    waiting = ola.locator("#waiting")
    expect(waiting).to_contain_text(SAID["waiting"][language])
    expect(waiting.locator("a.to")).to_have_text("Nina Hansen")
    _shot(ola, f"messages-waiting-{language}.png")
    waiting.locator("a.to").click()
    ola.wait_for_url(f"{app_url}/messages/{message_id}")
    body = ola.input_value("#body")
    ola.fill("#body", body.replace("Vi har veldig god lønn.", "Lønnen er 750 000 kroner i året."))
    expect(ola.locator("#tone-flags li")).to_have_count(0)
    assert _score(ola) == 100
    _shot(ola, f"message-review-{language}.png")
    ola.get_by_role("button", name=APPROVE[language]).click()
    expect(ola.locator(".flash")).to_have_text(SAID["approved"][language])
    assert team.message(message_id).status == "approved"

    # The author sees what changed in the trail, and sends it.
    kari.goto(f"{app_url}/messages/{message_id}")
    diff = kari.locator("pre.diff").last
    expect(diff.locator("del")).to_contain_text("Vi har veldig god lønn.")
    expect(diff.locator("ins")).to_contain_text("Lønnen er 750 000 kroner i året.")
    expect(kari.locator("#status")).to_have_text(STATUS["approved"][language])
    _shot(kari, f"message-trail-{language}.png")
    kari.click("#send-email")
    expect(kari.locator(".flash")).to_have_text(SAID["queued"][language])
    expect(kari.locator("#status")).to_have_text(STATUS["queued"][language])
    sent = team.message(message_id)
    assert sent.status == "queued" and "750 000" in sent.body and sent.delivery_id is not None
    kari.click("#nav-messages")
    expect(kari.locator("#sent")).to_contain_text("Nina Hansen")
    expect(kari.locator("#sent")).to_contain_text(STATUS["queued"][language])

    # At 400 px the pages fit the width.
    narrow = _signed_in(browser, team, app_url, "kari", language, width=400)
    for url in (f"{app_url}/messages", f"{app_url}/messages/{message_id}"):
        narrow.goto(url)
        _no_sideways_scroll(narrow)
    narrow.goto(f"{app_url}/messages/new?person_id={team.person['id']}&template=thank_after_meeting")
    narrow.wait_for_url(f"{app_url}/messages/*")
    _no_sideways_scroll(narrow)
    _shot(narrow, f"message-400-{language}.png")


def test_linkedin_copies_the_text_and_logs_it_as_sent(app: Flask, tenant: Any, browser: Browser,
                                                      app_url: str) -> None:
    team = Team(app, tenant, "en")
    kari = _signed_in(browser, team, app_url, "kari", "en")
    kari.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    kari.goto(f"{app_url}/messages/new?person_id={team.person['id']}")
    kari.wait_for_url(f"{app_url}/messages/*")
    message_id = kari.url.rsplit("/", 1)[1]
    expect(kari.locator("#send-linkedin")).to_be_hidden()
    kari.check("input[name=channel][value=linkedin]")  # the script swaps the send button
    expect(kari.locator("#send-email")).to_be_hidden()
    kari.fill("#reason", "We met at the meetup in May.")
    text = kari.input_value("#body")
    kari.click("#send-linkedin")
    expect(kari.locator(".flash")).to_have_text(SAID["linkedin"]["en"])
    assert kari.evaluate("navigator.clipboard.readText()") == text
    sent = team.message(message_id)
    assert (sent.status, sent.channel) == ("sent", "linkedin") and sent.touchpoint_id is not None
    expect(kari.locator("#status")).to_have_text("sent")


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_sidebar_opens_a_draft_signed_in(app: Flask, tenant: Any, browser: Browser, app_url: str,
                                             language: str) -> None:
    team = Team(app, tenant, language)
    context = browser.new_context(viewport={"width": 420, "height": 800}, locale=LOCALES[language])
    sidebar = context.new_page()
    sidebar.goto(f"{app_url}/sidebar/launch?jwt={launch_token(tenant, {'person_id': team.person['id']})}")
    link = sidebar.locator("#write-message")
    expect(link).to_have_text("Skriv en melding" if language == "nb" else "Write a message")
    with context.expect_page() as opened:
        link.click()
    page = opened.value
    page.wait_for_url(f"{app_url}/messages/*")
    message_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("h1")).to_have_text("Melding til Nina Hansen" if language == "nb"
                                             else "Message to Nina Hansen")
    assert team.message(message_id).author_id == uuid.UUID(team.ids["kari"])
    _shot(page, f"message-from-sidebar-{language}.png")
