"""The queue in a real browser: headless Chromium (Debian's), driven by Playwright, against the app served over
real HTTP on 127.0.0.1, signed in through a real sign-in link.

At 1280 x 800 with 40 open follow-ups at least 15 rows are in view; j/k move, d and s act through fetch() and the
row leaves with focus on the next one, u brings it back, and a window marker shows the page never reloaded,
while the database shows each change; ? opens the key help as a modal dialog; at 400 px nothing scrolls
sideways. Screenshots in English and Norwegian land in tests/artifacts/queue/ (ignored by git).

Without Chromium or Playwright these tests are skipped with the reason; with BROBYGGER_REQUIRE_BROWSER=1
(CI) they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from connectors.simulators.base import serve
from plugin.extension import get_state
from plugin.login import links
from plugin.models import FollowUp, FollowUpStatus, Person, Recruiter, utcnow
from tests.helpers import ROOT, free_port

CHROMIUM = os.environ.get("BROBYGGER_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("BROBYGGER_REQUIRE_BROWSER") == "1"
ARTIFACTS = ROOT / "tests" / "artifacts" / "queue"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OPEN_FOLLOWUPS = 40

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

ROWS_IN_VIEW = """() => [...document.querySelectorAll('tr.row')].filter(row => {
    const box = row.getBoundingClientRect();
    return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
}).length"""
FOCUSED_ROW = "() => document.activeElement && document.activeElement.dataset.row || null"


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


class Desk:
    """A recruiter with a queue of open follow-ups, made straight through the models (any due time)."""

    def __init__(self, app: Flask, tenant_id: uuid.UUID, language: str) -> None:
        self.app, self.state = app, get_state(app)
        with self.state.sessions() as session:
            recruiter = Recruiter(tenant_id=tenant_id, email=f"kari.{language}@acme.no", name="Kari Nordmann",
                                  language=language, time_zone="Europe/Oslo")
            session.add(recruiter)
            session.flush()
            self.recruiter_id = recruiter.id
            now = utcnow()
            start = datetime.now(ZoneInfo("Europe/Oslo")).replace(hour=0, minute=0, second=0, microsecond=0)
            earlier_today = start.astimezone(UTC) + (now - start.astimezone(UTC)) / 2
            self.ids: list[uuid.UUID] = []
            for i in range(OPEN_FOLLOWUPS):
                person = Person(tenant_id=tenant_id, first_name=f"Person{i:02d}", last_name="Hansen",
                                owner_id=recruiter.id)
                session.add(person)
                session.flush()
                due = now - timedelta(days=OPEN_FOLLOWUPS - i) if i < 30 else earlier_today
                followup = FollowUp(tenant_id=tenant_id, person_id=person.id, owner_id=recruiter.id, due_at=due,
                                    reason=f"Ask about the platform team ({i:02d})", status=FollowUpStatus.OPEN)
                session.add(followup)
                session.flush()
                self.ids.append(followup.id)
            session.commit()

    def sign_in_url(self, app_url: str) -> str:
        with self.state.sessions() as session:
            recruiter = session.get(Recruiter, self.recruiter_id)
            token = links.make_token(self.state.setting("SECRET_KEY"), recruiter, "mail")
        return f"{app_url}/login/{token}"

    def status(self, followup_id: str) -> FollowUpStatus:
        with self.state.sessions() as session:
            followup = session.get(FollowUp, uuid.UUID(followup_id))
            assert followup is not None
            return followup.status


def _open(browser: Browser, desk: Desk, app_url: str, width: int, height: int, locale: str) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height}, locale=locale)
    page.goto(desk.sign_in_url(app_url))
    page.wait_for_url(f"{app_url}/queue")
    page.wait_for_selector("#keys-open:not([hidden])")  # queue.js has started
    return page


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
    assert max(width[0], width[1]) <= width[2], width


def test_keyboard_triage_without_a_reload(app: Flask, tenant: Any, browser: Browser, app_url: str) -> None:
    desk = Desk(app, tenant.id, "en")
    page = _open(browser, desk, app_url, 1280, 800, "en-GB")
    page.evaluate("() => { window.brobyggerMarker = 'still here'; }")
    assert page.evaluate(ROWS_IN_VIEW) >= 15
    assert page.locator("#c-overdue").inner_text() == "30" and page.locator("#c-today").inner_text() == "10"
    _shot(page, "queue-en-1280x800.png")

    page.keyboard.press("j")
    first = page.evaluate(FOCUSED_ROW)
    page.keyboard.press("j")
    second = page.evaluate(FOCUSED_ROW)
    page.keyboard.press("k")
    assert page.evaluate(FOCUSED_ROW) == first and second != first

    # d: done through fetch; the row leaves, focus moves to the next row, the count follows.
    page.keyboard.press("d")
    expect(page.locator("#qstatus .msg")).to_have_text("Done: Ask about the platform team (00)")
    expect(page.locator(f'tr[data-row="{first}"]')).to_have_count(0)
    assert page.evaluate(FOCUSED_ROW) == second
    assert page.locator("#c-overdue").inner_text() == "29"
    assert desk.status(first) == FollowUpStatus.DONE

    # u: the same row comes back where it was, focused, and the follow-up is open again.
    page.keyboard.press("u")
    expect(page.locator("#qstatus .msg")).to_have_text(
        "Undone: Ask about the platform team (00) is back in the queue.")
    assert page.evaluate(FOCUSED_ROW) == first and page.locator("#c-overdue").inner_text() == "30"
    assert page.evaluate("() => document.querySelector('tr.row').dataset.row") == first
    assert desk.status(first) == FollowUpStatus.OPEN

    # s: snoozed a week by default; focus on the next row.
    page.keyboard.press("s")
    expect(page.locator(f'tr[data-row="{first}"]')).to_have_count(0)
    expect(page.locator("#qstatus .msg")).to_contain_text("Snoozed until")
    assert page.evaluate(FOCUSED_ROW) == second
    assert desk.status(first) == FollowUpStatus.SNOOZED

    # A double d acts once: the second press comes while the first is in flight, with the row's buttons off.
    disabled = page.evaluate("""() => {
        const row = document.activeElement;
        const press = () => row.dispatchEvent(new KeyboardEvent('keydown', {key: 'd', bubbles: true}));
        press();
        const off = [...row.querySelectorAll('button')].every(button => button.disabled);
        press();
        return off;
    }""")
    assert disabled is True
    expect(page.locator(f'tr[data-row="{second}"]')).to_have_count(0)
    expect(page.locator("#qstatus .msg")).to_have_text("Done: Ask about the platform team (01)")
    third = page.evaluate(FOCUSED_ROW)
    assert desk.status(second) == FollowUpStatus.DONE and desk.status(third) == FollowUpStatus.OPEN
    assert page.locator("#c-overdue").inner_text() == "28"

    # The mouse uses the same path: the row's Done button, then the toast's Undo button.
    row = page.locator(f'tr[data-row="{third}"]')
    row.hover()
    row.locator("details.menu summary").click()
    _shot(page, "queue-en-row-menu.png")
    page.keyboard.press("Escape")
    row.locator('button[data-action="done"]').click()
    expect(row).to_have_count(0)
    page.locator("#qstatus button.undo").click()
    expect(page.locator(f'tr[data-row="{third}"]')).to_have_count(1)
    assert desk.status(third) == FollowUpStatus.OPEN

    # ?: the keys in a modal dialog with a name; Escape closes it and focus goes back to the row.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    assert page.evaluate("() => document.getElementById('keys').contains(document.activeElement)")
    assert "Undo the last done or snooze (for 10 seconds)" in dialog.inner_text()
    _shot(page, "queue-en-keys.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate(FOCUSED_ROW) == third

    assert page.evaluate("() => window.brobyggerMarker") == "still here"  # never reloaded
    page.close()


def test_narrow_and_norwegian(app: Flask, tenant: Any, browser: Browser, app_url: str) -> None:
    desk = Desk(app, tenant.id, "nb")
    wide = _open(browser, desk, app_url, 1280, 800, "nb-NO")
    assert wide.evaluate("() => document.documentElement.lang") == "nb"
    assert wide.locator("h1").inner_text() == "Oppfølgingskø"
    assert wide.evaluate(ROWS_IN_VIEW) >= 15
    expect(wide.locator("#overdue tr.row").first).to_contain_text("Forfalt for")
    _shot(wide, "queue-nb-1280x800.png")
    wide.keyboard.press("?")
    expect(wide.get_by_role("dialog", name="Hurtigtaster")).to_be_visible()
    _shot(wide, "queue-nb-keys.png")
    wide.close()

    for locale, name in (("nb-NO", "queue-nb-400.png"), ("en-GB", "queue-en-400.png")):
        if locale == "en-GB":
            with desk.state.sessions() as session:
                session.get(Recruiter, desk.recruiter_id).language = "en"
                session.commit()
        narrow = _open(browser, desk, app_url, 400, 800, locale)
        _no_sideways_scroll(narrow)
        row = narrow.locator("#overdue tr.row").first
        box = row.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400
        done = row.locator('button[data-action="done"]')
        expect(done).to_be_visible()  # no hover on a phone: the actions show
        narrow.locator("#overdue details.menu summary").first.click()  # the menu stays on the screen
        menu = narrow.locator("#overdue details.menu .menu-body").first.bounding_box()
        assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= 400
        _no_sideways_scroll(narrow)
        _shot(narrow, name)
        narrow.close()
