"""The monthly report e-mail for admins: previewed in the browser exactly as it is mailed, sent to oneself on
request through a real SMTP server (aiosmtpd, in this process), linked from the report page, forbidden to
everyone else; and the 1st sends it only to admins who have not turned it off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.extension import get_state
from plugin.models import Delivery
from tests.notify_helpers import Inbox, html_of, run_tick, smtp_server, text_of, work
from tests.pages import make_recruiter, post_form, sign_in
from tests.reports.test_reports import build_fixture

BASE = "http://brobygger.test"
MONTH = "2026-03"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


@pytest.fixture
def figures(app: Flask, tenant: Any) -> None:
    with get_state(app).sessions() as session:
        build_fixture(session, tenant.id)


def _client(app: Flask, tenant: Any, *, admin: bool, language: str = "en",
            email: str = "ada@acme.no", name: str = "Ada Admin") -> tuple[FlaskClient, dict]:
    me = make_recruiter(tenant, email=email, name=name, is_admin=admin, language=language)
    client = app.test_client()
    sign_in(app, client, me["id"])
    return client, me


def _reports(inbox: Inbox) -> list[EmailMessage]:
    return [m for m in inbox.messages if "referral report" in m["Subject"]]


def test_an_admin_previews_the_email_and_sends_it_to_themself(app: Flask, tenant: Any, figures: None,
                                                             smtp: Inbox) -> None:
    client, _ = _client(app, tenant, admin=True)
    report_page = client.get(f"/reports/referrals/{MONTH}").get_data(as_text=True)
    preview_path = f"/reports/referrals/{MONTH}/email"
    assert f'href="{preview_path}"' in report_page
    assert f'action="/reports/referrals/{MONTH}/email/send"' in report_page

    preview = client.get(preview_path)
    assert preview.status_code == 200 and preview.mimetype == "text/html"
    shown = preview.get_data(as_text=True)
    assert "Hello Ada Admin," in shown and "Anna" in shown  # the month's new active top reference
    assert f'href="{BASE}/reports/referrals/{MONTH}"' in shown  # the e-mail still links to the report

    sent = post_form(client, f"/reports/referrals/{MONTH}/email/send")
    assert sent.status_code == 302 and sent.headers["Location"] == f"/reports/referrals/{MONTH}"
    assert "ada@acme.no will have the March 2026 report in a moment." in client.get(
        sent.headers["Location"]).get_data(as_text=True)
    [message] = _reports(smtp)
    assert message["To"] == "ada@acme.no" and message["Subject"].startswith("Brobygger: referral report for ")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(rf"<{re.escape(BASE)}/unsubscribe/[A-Za-z0-9_.-]+>", message["List-Unsubscribe"])
    # The preview is the e-mail, character for character (SMTP carries lines ending in CRLF).
    assert html_of(message).replace("\r\n", "\n").rstrip() == shown.rstrip()
    assert f"{BASE}/settings" in text_of(message)

    # Every link of the e-mail opens for the admin; opening the unsubscribe link only asks.
    for href in sorted(set(re.findall(r'href="([^"]+)"', shown))):
        assert href.startswith(BASE + "/"), href
        assert client.get(href.removeprefix(BASE), follow_redirects=True).status_code == 200, href
    unsubscribe = message["List-Unsubscribe"].strip("<>").removeprefix(BASE)
    assert f'href="{BASE}{unsubscribe}"' in shown
    assert "Stop the monthly referral report?" in client.get(unsubscribe).get_data(as_text=True)


def test_the_preview_reads_in_the_admins_language(app: Flask, tenant: Any, figures: None) -> None:
    client, _ = _client(app, tenant, admin=True, language="nb", name="Åse Admin")
    page = client.get(f"/reports/referrals/{MONTH}/email").get_data(as_text=True)
    assert '<html lang="nb">' in page and "Åse Admin" in page
    assert "Hello" not in page and "Stopp månedsrapporten" in page
    assert "Forhåndsvis e-posten med rapporten" in client.get(f"/reports/referrals/{MONTH}").get_data(as_text=True)


def test_anyone_but_an_admin_gets_403_and_no_links(app: Flask, tenant: Any, figures: None, smtp: Inbox) -> None:
    client, _ = _client(app, tenant, admin=False, email="nils@acme.no", name="Nils")
    report_page = client.get(f"/reports/referrals/{MONTH}").get_data(as_text=True)
    assert "/email" not in report_page
    preview = client.get(f"/reports/referrals/{MONTH}/email")
    assert preview.status_code == 403
    assert "Only an admin receives the monthly report by e-mail." in preview.get_data(as_text=True)
    assert post_form(client, f"/reports/referrals/{MONTH}/email/send").status_code == 403
    signed_out = app.test_client().get(f"/reports/referrals/{MONTH}/email")
    assert signed_out.status_code == 302 and signed_out.headers["Location"].endswith("/login")
    assert _reports(smtp) == []


def test_send_now_wants_the_form_a_month_and_a_pause(app: Flask, tenant: Any, figures: None, smtp: Inbox) -> None:
    client, _ = _client(app, tenant, admin=True)
    assert client.post(f"/reports/referrals/{MONTH}/email/send").status_code == 400  # no CSRF token
    assert client.get("/reports/referrals/2026-13/email").status_code == 404
    assert post_form(client, "/reports/referrals/2026-13/email/send").status_code == 404
    assert _reports(smtp) == []
    for _ in range(5):
        post_form(client, f"/reports/referrals/{MONTH}/email/send")
    refused = post_form(client, f"/reports/referrals/{MONTH}/email/send", follow_redirects=True)
    assert "The report has been sent to you several times this hour." in refused.get_data(as_text=True)
    assert len(_reports(smtp)) == 5


def test_a_mail_server_that_refuses_is_a_message_not_an_error(app: Flask, tenant: Any, figures: None,
                                                              smtp: Inbox) -> None:
    client, _ = _client(app, tenant, admin=True, language="nb")
    smtp.failing = True
    page = post_form(client, f"/reports/referrals/{MONTH}/email/send", follow_redirects=True)
    assert page.status_code == 200
    assert "E-posten kunne ikke sendes." in page.get_data(as_text=True)
    assert _reports(smtp) == []


def test_the_first_of_the_month_skips_an_admin_who_turned_the_report_off(app: Flask, tenant: Any, figures: None,
                                                                        smtp: Inbox) -> None:
    keen, _ = _client(app, tenant, admin=True, email="keen@acme.no", name="Keen Admin")
    done, _ = _client(app, tenant, admin=True, email="done@acme.no", name="Done Admin")
    for client in (keen, done):  # neither wants the daily digest here
        form = {"language": "en", "region": "", "time_zone": "Europe/Oslo", "digest_time": "07:30"}
        if client is keen:
            form["monthly_report_enabled"] = "on"
        assert post_form(client, "/settings", form).status_code == 302

    run_tick(app, datetime(2026, 4, 1, 6, 0, tzinfo=UTC))  # 08:00 in Oslo on the 1st
    work(app)
    assert [m["To"] for m in _reports(smtp)] == ["keen@acme.no"]
    with get_state(app).sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind == "monthly_report")).all()
        assert sorted(r.status for r in rows) == ["sent", "skipped"]
