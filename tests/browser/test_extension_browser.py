"""The browser extension, loaded unpacked into real Chromium (Debian's, headless, driven by Playwright).

Each vendor's candidate page is served locally under its real host name and URL pattern: Chromium resolves
app.greenhouse.io, hire.lever.co, app.teamtailor.com, app.ashbyhq.com, acme.workable.com and www.linkedin.com to
a local HTTPS server (a certificate made for the test). Brobygger runs over real HTTP on 127.0.0.1. The
recruiter connects the extension as a user does (address, code, confirmation on the signed-in page); then on
each page the toggle appears, the panel opens on the right person, and quick actions work and show in the
queue. Every request the extension sends to Brobygger is recorded and checked: nothing of an ATS page but its
kind and id.
"""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import json
import os
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connectors.simulators.base import serve
from plugin.extension import get_state
from plugin.login import links
from plugin.models import Recruiter
from tests.browser import support
from tests.helpers import ROOT, free_port
from tests.pages import make_recruiter

CHROMIUM = os.environ.get("BROBYGGER_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("BROBYGGER_REQUIRE_BROWSER") == "1"
ARTIFACTS = ROOT / "test-artifacts"
EXTENSION = ROOT / "extension"
HOSTS = sorted({host for host, _path, _name in support.PAGES.values()})
# What an ATS page holds beyond the id, which the extension must never send anywhere.
PAGE_SECRETS = ("gro.gronli@private.example", "+47 912 34 567", "Salary expectation 900 000")

if REQUIRED:
    from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
else:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed: pip install -e '.[dev]'")
    BrowserContext, Page = sync_api.BrowserContext, sync_api.Page
    expect, sync_playwright = sync_api.expect, sync_api.sync_playwright

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not REQUIRED and not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make test does it as root), "
           "or set BROBYGGER_CHROMIUM")]


class AtsPages:
    """Every vendor's site at once: a candidate page for any path, holding personal data the way ATS pages do;
    on LinkedIn a profile with its name and headline. It records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append((request.host, request.full_path))
        if request.host == "www.linkedin.com":
            slug = request.path.rstrip("/").rsplit("/", 1)[-1]
            name = "Live Linde" if slug == "live-linde" else "Per Persen"
            html = (f"<main><h1>{name}</h1><div class='text-body-medium break-words'>Staff engineer at Kahoot!</div>"
                    f"<p>{PAGE_SECRETS[1]}</p></main>")
        else:
            html = (f"<h1>Candidate</h1><p>{PAGE_SECRETS[0]}</p><p>{PAGE_SECRETS[1]}</p><p>{PAGE_SECRETS[2]}</p>"
                    "<style>button { all: unset; color: red }</style>")  # the page's own CSS must not break ours
        return Response(f"<!doctype html><html lang='en'><title>ATS</title><body>{html}</body></html>",
                        mimetype="text/html")(environ, start_response)


class Recorder:
    """Brobygger as served, recording each request to the extension's endpoints (path and body)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/api/browser/"):
            request = Request(environ)
            body = request.get_data()
            environ["wsgi.input"] = io.BytesIO(body)  # the app reads the same bytes again
            self.calls.append((request.method, request.full_path, body.decode()))
        return self.app(environ, start_response)


def _certificate(directory: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ATS pages for the extension's tests")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.DNSName(host) for host in HOSTS] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
                   .sign(key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


@pytest.fixture
def ats_pages(tmp_path: Path) -> Iterator[tuple[int, AtsPages]]:
    pages = AtsPages()
    server = make_server("127.0.0.1", 0, pages, threaded=True, ssl_context=_certificate(tmp_path))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_port, pages
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def app_config(app_config: dict[str, Any], app_port: int) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_BASE_URL": f"http://127.0.0.1:{app_port}"}


@pytest.fixture
def served(app: Flask, app_port: int) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder(app)
    with serve(recorder, port=app_port) as url:
        yield url, recorder


@pytest.fixture
def browser(tmp_path: Path, ats_pages: tuple[int, AtsPages]) -> Iterator[BrowserContext]:
    port, _pages = ats_pages
    rules = ", ".join(f"MAP {host} 127.0.0.1:{port}" for host in HOSTS)
    flags = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--ignore-certificate-errors",
             f"--host-resolver-rules={rules}", f"--disable-extensions-except={EXTENSION}",
             f"--load-extension={EXTENSION}"]
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=flags,
            locale="en-GB", viewport={"width": 1200, "height": 1000})
        try:
            yield context
        finally:
            context.close()


def _extension_id(browser: BrowserContext) -> str:
    workers = browser.service_workers or [browser.wait_for_event("serviceworker", timeout=15000)]
    return workers[0].url.split("/")[2]


def _sign_in_link(app: Flask, recruiter_id: str) -> str:
    state = get_state(app)
    with state.sessions() as session:
        return links.make_token(state.setting("SECRET_KEY"), session.get(Recruiter, uuid.UUID(recruiter_id)), "mail")


def _connect(app: Flask, browser: BrowserContext, app_url: str, recruiter_id: str) -> Page:
    """As the recruiter does it: the extension's options page, the address, the code confirmed in the tab that
    opens (after signing in there with the e-mailed link)."""
    options = browser.new_page()
    options.goto(f"chrome-extension://{_extension_id(browser)}/options.html")
    options.fill("#base", app_url)
    with browser.expect_page() as opened:
        options.click("#connect button[type=submit]")
    code = options.text_content("#code")
    tab = opened.value
    tab.wait_for_load_state()
    assert "/login?next=" in tab.url  # not signed in yet: the e-mailed link, then back to the code
    tab.fill("#email", "kari@acme.no")
    tab.click("button.primary")
    expect(tab.locator("h1")).to_have_text("Check your e-mail")
    tab.goto(f"{app_url}/login/{_sign_in_link(app, recruiter_id)}")
    assert "/browser/connect" in tab.url and tab.input_value("#code") == code
    tab.click("button.primary")
    expect(tab.locator("#connected")).to_be_visible()
    options.bring_to_front()  # back to the extension's tab, as the confirmation page says
    expect(options.locator("#who")).to_contain_text("Kari Nordmann", timeout=10000)
    return tab


def _open_panel(browser: BrowserContext, url: str) -> Page:
    page = browser.new_page()
    page.goto(url)
    toggle = page.locator("#brobygger-extension button.toggle")
    expect(toggle).to_be_visible(timeout=10000)
    toggle.click()
    expect(page.locator("#bb-panel")).to_be_visible()
    return page


def _sidebar(page: Page) -> Any:
    return page.frame_locator("#bb-panel iframe[title=Brobygger]")


def _log_touch_and_follow_up(sidebar: Any, summary: str, reason: str) -> None:
    sidebar.locator("form[data-sidebar=touch] summary").click()
    sidebar.locator("#touch-summary").fill(summary)
    sidebar.locator("#touch-summary").press("Enter")
    expect(sidebar.locator("#announce")).to_contain_text("Touch logged.")
    expect(sidebar.locator("#timeline")).to_contain_text(summary)
    today = dt.datetime.now(ZoneInfo("Europe/Oslo")).date().isoformat()
    sidebar.locator("form[data-sidebar=followup] summary").click()
    sidebar.locator("#fu-reason").fill(reason)
    sidebar.locator("#fu-day").fill(today)
    sidebar.locator("#fu-schedule").click()
    expect(sidebar.locator("#announce")).to_contain_text("Follow-up scheduled.")


def test_the_panel_on_each_ats_and_linkedin(app: Flask, tenant: Any, browser: BrowserContext, served: Any,
                                            ats_pages: tuple[int, AtsPages]) -> None:
    app_url, recorder = served
    kari = make_recruiter(tenant, time_zone="Europe/Oslo")
    world = support.build(app, tenant, kari)
    queue = _connect(app, browser, app_url, kari["id"])
    ARTIFACTS.mkdir(exist_ok=True)

    for kind, (host, path, name) in support.PAGES.items():
        page = _open_panel(browser, f"https://{host}{path}")
        sidebar = _sidebar(page)
        expect(sidebar.locator("#person-name")).to_contain_text(name, timeout=10000)
        _log_touch_and_follow_up(sidebar, f"Coffee via {kind}", f"Ask {name} about the platform team")
        page.screenshot(path=str(ARTIFACTS / f"extension-{kind}.png"))
        page.close()
    assert len(world.people) == 6

    # Every follow-up shows in the recruiter's queue, and every touch on the person's timeline there.
    queue.goto(f"{app_url}/queue")
    text = queue.inner_text("body")
    for _host, _path, name in support.PAGES.values():
        assert f"Ask {name} about the platform team" in text

    # An unknown LinkedIn profile: "Track in Brobygger" takes the name and headline the recruiter sees.
    page = _open_panel(browser, "https://www.linkedin.com/in/per-persen")
    page.locator("#bb-panel button.primary").click()
    expect(_sidebar(page).locator("#person-name")).to_contain_text("Per Persen", timeout=10000)
    page.close()

    # What went to Brobygger: the kind and id of each page, and on LinkedIn's "Track", the name and headline.
    launches = [json.loads(body) for method, path, body in recorder.calls
                if method == "POST" and path.startswith("/api/browser/launches")]
    assert {(b["kind"], b["id"]) for b in launches} >= {("greenhouse", "4711"), ("workable", support.WORKABLE_PAGE),
                                                       ("lever", support.LEVER_OPPORTUNITY)}
    assert all(set(b) == {"kind", "id"} for b in launches)
    tracked = [json.loads(body) for method, path, body in recorder.calls
               if method == "POST" and path.startswith("/api/browser/linkedin")]
    assert tracked == [{"id": "per-persen", "name": "Per Persen", "headline": "Staff engineer at Kahoot!"}]
    everything = json.dumps(recorder.calls)
    assert not any(secret in everything for secret in PAGE_SECRETS)
    # And nothing went anywhere else: the ATS sites saw only the pages the browser opened.
    _port, pages = ats_pages
    assert all(not path.startswith("/api") for _host, path in pages.requests)


def test_no_toggle_off_candidate_pages_and_a_sign_in_prompt_once_revoked(
        app: Flask, tenant: Any, browser: BrowserContext, served: Any) -> None:
    app_url, _recorder = served
    kari = make_recruiter(tenant, time_zone="Europe/Oslo")
    support.build(app, tenant, kari)

    # Before connecting: the toggle is there, and the panel asks to connect.
    page = _open_panel(browser, "https://app.greenhouse.io/people/4711")
    expect(page.locator("#bb-panel")).to_contain_text("This browser is not connected to Brobygger.")
    page.close()

    tab = _connect(app, browser, app_url, kari["id"])
    for url in ("https://app.greenhouse.io/dashboard", "https://hire.lever.co/jobs",
                "https://www.linkedin.com/feed/", "https://acme.workable.com/backend/jobs/376844767"):
        other = browser.new_page()
        other.goto(url)
        other.wait_for_timeout(1500)  # the content script runs at once and polls every 0.7 s
        assert other.locator("#brobygger-extension").count() == 0, url
        other.close()

    # The recruiter disconnects the browser in Brobygger's settings: the panel asks to connect, no error.
    tab.goto(f"{app_url}/settings")
    tab.click("#browsers button[type=submit]")
    expect(tab.locator("body")).to_contain_text("The browser is disconnected")
    page = _open_panel(browser, "https://app.greenhouse.io/people/4711")
    panel = page.locator("#bb-panel")
    expect(panel).to_contain_text("This browser is not connected to Brobygger.")
    expect(panel.locator("button.primary")).to_have_text("Connect")
    assert panel.locator("iframe").count() == 0
    page.close()
