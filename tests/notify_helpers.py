"""Shared by the engine and digest tests: a real SMTP server (aiosmtpd) in the test process, the
recruiters and people a digest talks about, and running the cron tick and a real RQ worker."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.cron import tick
from plugin.extension import get_state
from plugin.models import (
    Cadence,
    Delivery,
    FollowUp,
    FollowUpStatus,
    Notice,
    Person,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    ReferralStatus,
    utcnow,
)
from tests.helpers import free_port


class Inbox:
    """An aiosmtpd handler that keeps what it accepted. `failing` answers every message with a
    temporary error; `stall_next` holds the next message before answering (a client that dies
    meanwhile cancels the handler, so that message is never accepted, as with a real MTA)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.failing = False
        self.stall_next = False
        self.stalled = threading.Event()
        self.url = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.failing:
            return "451 4.3.0 Mailbox temporarily unavailable"
        if self.stall_next:
            self.stall_next = False
            self.stalled.set()
            await asyncio.sleep(120)
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 2.0.0 Accepted"

    def with_id(self, message_id: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["Message-ID"] == message_id]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    """A real SMTP server on a free port of 127.0.0.1; its URL is `inbox.url`."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.url = f"smtp://127.0.0.1:{port}"
    try:
        yield handler
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content()


def run_tick(app: Flask, now: datetime | None = None) -> list[str]:
    with app.app_context():
        return tick(now or utcnow())


def work(app: Flask) -> None:
    """Run every queued job with a real RQ worker, as `brobygger worker --burst` would."""
    state = get_state(app)
    with app.app_context():
        SimpleWorker([state.queue], connection=state.redis).work(burst=True)


def local_noon(zone: str, now: datetime, days: int = 0) -> datetime:
    """Noon of the local day `days` from today in `zone`, as UTC: always inside that local day."""
    day: date = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
    return datetime.combine(day, time(12), ZoneInfo(zone)).astimezone(UTC)


class World:
    """Rows made directly through the models: these tests are about the engine, not the API."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def recruiter(self, name: str, *, language: str = "en", zone: str = "Europe/Oslo",
                  digest_time: str = "00:00") -> Recruiter:
        row = Recruiter(tenant_id=self.tenant_id, name=name, email=f"{name.lower().replace(' ', '.')}@acme.test",
                        language=language, time_zone=zone, digest_time=digest_time)
        self.session.add(row)
        self.session.commit()
        return row

    def person(self, first: str, last: str, owner: Recruiter | None) -> Person:
        row = Person(tenant_id=self.tenant_id, first_name=first, last_name=last,
                     owner_id=owner.id if owner else None)
        self.session.add(row)
        self.session.commit()
        return row

    def followup(self, person: Person, due_at: datetime, reason: str, *, status: FollowUpStatus = FollowUpStatus.OPEN,
                 snoozed_until: datetime | None = None) -> FollowUp:
        row = FollowUp(tenant_id=self.tenant_id, person_id=person.id, owner_id=person.owner_id, reason=reason,
                       due_at=due_at, status=status, snoozed_until=snoozed_until)
        self.session.add(row)
        self.session.commit()
        return row

    def cadence(self, person: Person, last_touch_at: datetime, max_days: int = 180) -> Cadence:
        row = Cadence(tenant_id=self.tenant_id, person_id=person.id, ideal_days=max_days // 2, max_days=max_days,
                      last_touch_at=last_touch_at, status="active")
        self.session.add(row)
        self.session.commit()
        return row

    def referral(self, referrer: Person, referred: Person, status: ReferralStatus, changed_at: datetime) -> Referral:
        reference = Reference(tenant_id=self.tenant_id, kind=ReferenceKind.CANDIDATE, person_id=referrer.id)
        self.session.add(reference)
        self.session.flush()
        row = Referral(tenant_id=self.tenant_id, reference_id=reference.id, person_id=referred.id,
                       channel=ReferralChannel.LINKEDIN, status=status, referred_at=changed_at - timedelta(days=20),
                       status_changed_at=changed_at)
        self.session.add(row)
        self.session.commit()
        return row

    def deliveries(self) -> list[Delivery]:
        self.session.expire_all()
        return list(self.session.scalars(select(Delivery).order_by(Delivery.id)))

    def notices(self, **where: Any) -> list[Notice]:
        self.session.expire_all()
        return list(self.session.scalars(select(Notice).filter_by(**where).order_by(Notice.key)))
