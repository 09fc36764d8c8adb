"""A message's e-mail, exactly once, as a real SMTP server (aiosmtpd, in this process) receives it: from the
deployment's server, or from the tenant's own when it has set one; answered to the writing recruiter. The worker
killed mid-delivery is the drill in tests/drills/test_kill_worker_message.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy.orm import Session

from plugin.extension import get_state
from plugin.followups import deliveries
from plugin.followups import jobs as notify
from plugin.messages import mailing, messages
from plugin.models import Message, Person, Tenant, TouchpointKind
from plugin.security import Vault
from tests.messages.support import API, Desk, as_
from tests.notify_helpers import Inbox, run_tick, smtp_server, text_of, work

DEPLOYMENT_SENDER = "Brobygger <noreply@brobygger.test>"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url, "BROBYGGER_MAIL_FROM": DEPLOYMENT_SENDER}


@pytest.fixture
def desk(session: Session, tenant: Any) -> Desk:
    desk = Desk(session, tenant.id)
    desk.rule(review=[])
    return desk


def _queued(session: Session, desk: Desk, **person: Any) -> tuple[Message, Any]:
    author = desk.recruiter("Anne Author")
    kari = desk.person("Kari", "Nordmann", **person)
    message = messages.send(session, desk.draft(author, kari, language="en"), author, as_(author))
    assert message.status == "queued"
    return message, author


def test_a_message_arrives_once_answered_to_its_author(app: Flask, session: Session, desk: Desk,
                                                       smtp: Inbox) -> None:
    message, author = _queued(session, desk, emails=("kari@example.test", "kari@work.test"))

    work(app)

    [received] = smtp.messages
    [delivery] = desk.deliveries()
    message = desk.fresh(message)
    assert received["To"] == "kari@example.test"  # the person's first address
    assert received["Reply-To"] == author.email  # answers reach the recruiter, not us
    assert received["From"] == DEPLOYMENT_SENDER
    assert received["Auto-Submitted"] is None  # a person wrote it: auto-replies are welcome
    assert received["List-Unsubscribe"] is None
    assert received["Subject"] == message.subject
    assert text_of(received).replace("\r\n", "\n").strip() == message.body.strip()
    expected_id = deliveries.message_id(delivery.id, get_state(app).setting("BASE_URL"))
    assert received["Message-ID"] == expected_id == delivery.message_id
    assert (delivery.status, delivery.attempts, message.status) == ("sent", 1, "sent")


def test_running_the_send_job_twice_sends_once(app: Flask, session: Session, desk: Desk, smtp: Inbox) -> None:
    message, _ = _queued(session, desk)
    [delivery] = desk.deliveries()

    with app.app_context():
        first = notify.send_delivery(str(delivery.id))
        second = notify.send_delivery(str(delivery.id))
    assert (first, second) == ("sent", "nothing to do: sent")
    work(app)  # the job enqueued at send time finds it sent
    assert not any(job.startswith("delivery-") for job in run_tick(app))  # and the tick has nothing to add
    work(app)

    assert len(smtp.messages) == 1
    [delivery] = desk.deliveries()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert desk.fresh(message).status == "sent"
    assert len(desk.touches(_person_of(desk, message), TouchpointKind.MESSAGE)) == 1  # one touch, too


def _person_of(desk: Desk, message: Message) -> Person:
    found = desk.session.get(Person, message.person_id)
    assert found is not None
    return found


def test_a_failing_server_is_retried_and_the_message_stays_queued(app: Flask, session: Session, desk: Desk,
                                                                   smtp: Inbox) -> None:
    message, _ = _queued(session, desk)
    smtp.failing = True
    work(app)
    [delivery] = desk.deliveries()
    assert (delivery.status, delivery.attempts) == ("pending", 1) and delivery.last_error
    assert desk.fresh(message).status == "queued"
    assert desk.touches(_person_of(desk, message), TouchpointKind.MESSAGE) == []

    smtp.failing = False
    with app.app_context():
        assert notify.send_delivery(str(delivery.id)) == "sent"
    assert len(smtp.messages) == 1 and desk.fresh(message).status == "sent"


def test_the_tenants_own_server_sends_its_messages(app: Flask, session: Session, desk: Desk, smtp: Inbox) -> None:
    with smtp_server() as own:
        tenant = session.get(Tenant, desk.tenant_id)
        assert tenant is not None
        tenant.smtp_url_encrypted = get_state(app).vault.encrypt(own.url)
        tenant.mail_sender = "rekruttering@acme.test"
        session.commit()
        message, author = _queued(session, desk)

        work(app)

        assert smtp.messages == []  # the deployment's server saw nothing
        [received] = own.messages
        assert (received["From"], received["Reply-To"], received["To"]) == (
            "rekruttering@acme.test", author.email, "kari.nordmann@example.test")
        assert desk.fresh(message).status == "sent"

        # Back to the deployment's server and sender.
        mailing.clear_server(session, desk.tenant_id, API)
        person = desk.person("Ola", "Nordmann")
        messages.send(session, desk.draft(author, person), author, as_(author))
        work(app)
        assert len(own.messages) == 1
        [received] = smtp.messages
        assert (received["From"], received["To"]) == (DEPLOYMENT_SENDER, "ola.nordmann@example.test")


def test_a_server_stored_under_a_lost_key_fails_the_message_at_once(app: Flask, session: Session, desk: Desk,
                                                                     smtp: Inbox) -> None:
    """Keys rotated without the old one: the tenant's server cannot be read. The message fails with the reason at
    the first try (no retries that cannot succeed), and nothing goes through the deployment's server instead."""
    tenant = session.get(Tenant, desk.tenant_id)
    assert tenant is not None
    tenant.smtp_url_encrypted = Vault([Fernet.generate_key().decode()]).encrypt("smtp://mail.acme.test:25")
    session.commit()
    message, _ = _queued(session, desk)

    work(app)

    assert smtp.messages == []
    assert desk.fresh(message).status == "failed"
    [delivery] = desk.deliveries()
    assert delivery.status == "failed" and "set it again" in (delivery.last_error or "")
    assert delivery.attempts <= 1
    session.expire_all()
    info = mailing.server_info(session.get(Tenant, desk.tenant_id), get_state(app).vault)
    assert info == {"own": True, "host": None, "sender": None, "readable": False}
