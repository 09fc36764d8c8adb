"""The unsubscribe link of our e-mails, end to end: the digest as a real SMTP server received it carries the
link in its body and in RFC 8058's headers; the link works without a session (GET asks, POST acts), only for
its own recruiter and kind of e-mail; a tampered link is refused; and no digest follows once it is off."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.signed import Signer
from plugin.extension import get_state
from plugin.login import links
from plugin.models import AuditEvent, Recruiter, utcnow
from plugin.tenancy import recruiters
from tests.notify_helpers import Inbox, World, html_of, local_noon, run_tick, smtp_server, text_of, work
from tests.pages import sign_in

BASE = "http://brobygger.test"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


@pytest.fixture
def world(session: Session, tenant: Any) -> World:
    return World(session, tenant.id)


def _due_today(world: World, me: Recruiter, name: str) -> None:
    world.followup(world.person(name, "Person", me), local_noon(me.time_zone, utcnow()), f"Call {name}")


def _digest(app: Flask, world: World, smtp: Inbox, me: Recruiter) -> EmailMessage:
    _due_today(world, me, "Tora")
    run_tick(app)
    work(app)
    [message] = smtp.to(me.email)
    return message


def _unsubscribe_path(message: EmailMessage) -> str:
    header = message["List-Unsubscribe"]
    match = re.fullmatch(rf"<{re.escape(BASE)}(/unsubscribe/[A-Za-z0-9_.-]+)>", header)
    assert match, header
    return match.group(1)


def _fresh(world: World, recruiter_id: uuid.UUID) -> Recruiter:
    world.session.expire_all()
    found = world.session.get(Recruiter, recruiter_id)
    assert found is not None
    return found


def test_the_digest_carries_the_settings_and_unsubscribe_links_and_rfc_8058_headers(
        app: Flask, world: World, smtp: Inbox) -> None:
    me = world.recruiter("Una Unsub")
    message = _digest(app, world, smtp, me)
    path = _unsubscribe_path(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = text_of(message), html_of(message)
    assert f"Stop the daily digest: {BASE}{path}" in text and f"Your settings: {BASE}/settings" in text
    hrefs = set(re.findall(r'href="([^"]+)"', html))
    assert {f"{BASE}{path}", f"{BASE}/settings"} <= hrefs
    # Every link of the mail opens for its recruiter, the new ones included.
    client = app.test_client()
    sign_in(app, client, str(me.id))
    for href in sorted(hrefs):
        answer = client.get(href.removeprefix(BASE).split("#")[0], follow_redirects=True)
        assert answer.status_code == 200, href
    assert _fresh(world, me.id).digest_enabled  # opening the link (as a mail scanner does) turned nothing off


def test_get_asks_post_acts_without_a_session_and_no_digest_follows(app: Flask, world: World, smtp: Inbox) -> None:
    me = world.recruiter("Nora Nordmann", language="nb")
    path = _unsubscribe_path(_digest(app, world, smtp, me))
    stranger = app.test_client()  # no session, no cookies: a mail program's one-click button

    asked = stranger.get(path)
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Vil du stoppe den daglige oversikten?" in page and me.email in page
    assert f'<form method="post" action="{path}">' in page
    assert asked.headers["Referrer-Policy"] == "no-referrer" and "frame-ancestors 'none'" in asked.headers[
        "Content-Security-Policy"]
    assert _fresh(world, me.id).digest_enabled

    done = stranger.post(path, data={"List-Unsubscribe": "One-Click"})  # RFC 8058's body
    assert done.status_code == 200
    assert "Den daglige oversikten er slått av." in done.get_data(as_text=True)
    assert _fresh(world, me.id).digest_enabled is False
    assert _fresh(world, me.id).monthly_report_enabled is True  # another kind of e-mail: untouched
    event = world.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == me.id,
                                                           AuditEvent.action == "update")).one()
    assert (event.actor_type, event.actor_id, event.details) == ("recruiter", str(me.id),
                                                                  {"fields": ["digest_enabled"]})
    again = stranger.post(path)  # a second press (or the page's button after the header's) changes nothing
    assert again.status_code == 200 and "er slått av" in again.get_data(as_text=True)
    # The page's one link opens (the sign-in page, for someone who is not signed in).
    for href in re.findall(r'href="([^"#]+)"', done.get_data(as_text=True)):
        assert stranger.get(href, follow_redirects=True).status_code == 200, href

    sent = len(smtp.messages)
    _due_today(world, me, "Tomas")
    tomorrow = utcnow() + timedelta(days=1)
    run_tick(app, tomorrow)
    work(app)
    assert len(smtp.messages) == sent
    assert [d.status for d in world.deliveries()] == ["sent"]  # no digest row is even made


def test_a_link_turns_off_only_its_own_recruiters_own_kind(app: Flask, world: World, tenant: Any,
                                                          smtp: Inbox) -> None:
    una = world.recruiter("Una One")
    tor = world.recruiter("Tor Two")
    una.is_admin = tor.is_admin = True
    world.session.commit()
    secret = get_state(app).setting("SECRET_KEY")
    client = app.test_client()
    path = f"/unsubscribe/{recruiters.unsubscribe_token(secret, una, 'monthly_report')}"
    assert "Stop the monthly referral report?" in client.get(path).get_data(as_text=True)
    assert client.post(path).status_code == 200
    una, tor = _fresh(world, una.id), _fresh(world, tor.id)
    assert (una.monthly_report_enabled, una.digest_enabled) == (False, True)
    assert (tor.monthly_report_enabled, tor.digest_enabled) == (True, True)


def test_a_tampered_or_foreign_link_is_refused(app: Flask, world: World, make_tenant: Any, smtp: Inbox) -> None:
    me = world.recruiter("Tina Tamper")
    secret = get_state(app).setting("SECRET_KEY")
    token = recruiters.unsubscribe_token(secret, me, "digest")
    payload, signature = token.rsplit(".", 1)
    claims = {"t": str(me.tenant_id), "r": str(me.id), "k": "digest"}
    other_tenant = make_tenant("Rival AS")
    forged = [
        f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",  # another signature
        f"{payload[:-2]}{'xy' if payload[-2:] != 'xy' else 'yz'}.{signature}",  # another payload
        Signer("another-secret", recruiters.UNSUBSCRIBE_PURPOSE, timed=False).sign(claims),
        Signer(secret, "brobygger.login", timed=False).sign(claims),  # signed for another purpose
        links.make_token(secret, me, "mail"),  # a sign-in link's token
        Signer(secret, recruiters.UNSUBSCRIBE_PURPOSE, timed=False).sign({**claims, "k": "everything"}),
        Signer(secret, recruiters.UNSUBSCRIBE_PURPOSE, timed=False).sign({**claims, "t": str(other_tenant.id)}),
        Signer(secret, recruiters.UNSUBSCRIBE_PURPOSE, timed=False).sign({**claims, "r": "not-an-id"}),
        Signer(secret, recruiters.UNSUBSCRIBE_PURPOSE, timed=False).sign(["a", "list"]),
        "nonsense",
    ]
    client = app.test_client()
    for bad in forged:
        for answer in (client.get(f"/unsubscribe/{bad}"), client.post(f"/unsubscribe/{bad}")):
            assert answer.status_code == 404, bad
            assert "This unsubscribe link is not valid." in answer.get_data(as_text=True)
    assert _fresh(world, me.id).digest_enabled
    # The genuine link stops working for a recruiter who is no longer active.
    me.active = False
    world.session.commit()
    assert client.post(f"/unsubscribe/{token}").status_code == 404
