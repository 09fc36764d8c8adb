"""kill -9 a real `brobygger worker` while it sends a recruiter's message (issue 17). The product recovers with
what production has: a new worker process and the cron tick. The message goes out once, or — when the server
already had it — once more with the same Message-ID, so the receiver sees one message; either way it is one
touch, and the follow-up it answered is done once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from plugin.extension import get_state
from plugin.followups import deliveries, followups
from plugin.messages import messages
from plugin.models import Delivery, FollowUpStatus, Message, Person, TouchpointKind, utcnow
from tests.drills.support import kill_9, log_tail, worker_process
from tests.helpers import free_port, wait_for
from tests.messages.support import API, Desk, as_
from tests.notify_helpers import Inbox, run_tick

pytestmark = [pytest.mark.drill, pytest.mark.slow]


class KeepingInbox(Inbox):
    """`Inbox`, and `keep_next`: keep the next message, then hold the answer (the worker dies waiting for it).
    The server has the message while the row still says "sending", as after a crash between the server's
    "250 Accepted" and our commit."""

    def __init__(self) -> None:
        super().__init__()
        self.keep_next = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.keep_next:
            self.keep_next = False
            self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
            self.stalled.set()
            await asyncio.sleep(120)
            return "250 2.0.0 Accepted"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp() -> Iterator[KeepingInbox]:
    """The drills' SMTP server (see conftest), able to keep a message and die with it unanswered."""
    handler = KeepingInbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.url = f"smtp://127.0.0.1:{port}"
    try:
        yield handler
    finally:
        controller.stop()


def _queue_a_message(session: Session, desk: Desk) -> tuple[Message, Any]:
    """A recruiter's message answering a follow-up, sent by its author: queued, its job enqueued."""
    desk.rule(review=[])
    author = desk.recruiter("Ola Once")
    person = desk.person("Petter", "Overdue", owner=author)
    followup = followups.create(session, desk.tenant_id, {
        "person_id": person.id, "due_at": utcnow() + timedelta(hours=1), "reason": "Thank for the coffee"}, API)
    message = messages.send(session, desk.draft(author, person, followup_id=followup.id), author, as_(author))
    assert message.status == "queued"
    return message, followup


def _kill_mid_delivery(app_config: dict[str, Any], smtp: Inbox, worker_log: Path) -> int:
    with worker_process(app_config, worker_log) as worker:
        if not smtp.stalled.wait(60):
            pytest.fail(f"the worker never reached the SMTP server; worker log:\n{log_tail(worker_log)}")
        return kill_9(worker)


def _take_over(app: Flask, app_config: dict[str, Any], desk: Desk, smtp: Inbox, worker_log: Path,
               delivery: Delivery, arrived: Any) -> None:
    """A new worker and the tick: nothing while the claim is fresh; once it is older than STALE_CLAIM (moved
    on the row), one new attempt, and nothing after it."""
    with worker_process(app_config, worker_log):
        assert not any(j.startswith("delivery-") for j in run_tick(app))  # a fresh claim may be a live worker's
        assert delivery.claimed_at is not None
        desk.session.execute(update(Delivery).where(Delivery.id == delivery.id).values(
            claimed_at=delivery.claimed_at - deliveries.STALE_CLAIM - timedelta(minutes=1)))
        desk.session.commit()
        assert deliveries.job_id(delivery.id, 1) in run_tick(app)
        wait_for(arrived, timeout=30)
        wait_for(lambda: desk.fresh(desk.messages()[0]).status == "sent", timeout=30)
        assert not any(j.startswith("delivery-") for j in run_tick(app))  # sent: nothing to enqueue
        time.sleep(1)  # another message, if one were coming, would have arrived by now


def _sent_once(desk: Desk, message: Message, followup: Any) -> tuple[Delivery, Message]:
    [delivery] = desk.deliveries()
    message = desk.fresh(message)
    person = desk.session.get(Person, message.person_id)
    assert person is not None
    [touch] = desk.touches(person, TouchpointKind.MESSAGE)
    done = followups.get(desk.session, desk.tenant_id, followup.id)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert (message.status, message.touchpoint_id) == ("sent", touch.id)
    assert (done.status, done.touchpoint_id) == (FollowUpStatus.DONE, touch.id)
    assert [kind for kind, _ in desk.trail(message)].count("sent") == 1
    return delivery, message


def test_kill_9_worker_mid_message_delivery(app: Flask, app_config: dict[str, Any], session: Session, tenant: Any,
                                           smtp: KeepingInbox, worker_log: Path) -> None:
    """The SMTP server holds the message in DATA while the worker is killed: it never accepted it. The claim
    is taken over once it is older than STALE_CLAIM, and exactly one message arrives."""
    desk = Desk(session, tenant.id)
    smtp.stall_next = True
    message, followup = _queue_a_message(session, desk)
    killed = _kill_mid_delivery(app_config, smtp, worker_log)
    [delivery] = desk.deliveries()
    assert (delivery.status, delivery.attempts) == ("sending", 1)
    assert desk.fresh(message).status == "queued"
    message_id = deliveries.message_id(delivery.id, get_state(app).setting("BASE_URL"))
    assert smtp.messages == []

    _take_over(app, app_config, desk, smtp, worker_log, delivery, lambda: smtp.with_id(message_id))

    delivery, message = _sent_once(desk, message, followup)
    assert len(smtp.messages) == 1 and len(smtp.with_id(message_id)) == 1
    print(f"\nkill -9 worker mid-message: worker and horse ({killed} processes) killed while the SMTP server held "
          f"the message in DATA; 0 accepted; after a new worker and two cron ticks (the claim aged past "
          f"{deliveries.STALE_CLAIM}): {len(smtp.messages)} message accepted, Message-ID {message_id}, delivery "
          f"sent after {delivery.attempts} attempts, 1 touch, the follow-up done")


def test_kill_9_worker_after_the_server_took_the_message(app: Flask, app_config: dict[str, Any], session: Session,
                                                         tenant: Any, smtp: KeepingInbox, worker_log: Path) -> None:
    """The server has the whole message when the worker dies, before our commit: the row still says "sending".
    The takeover sends it again — with the same Message-ID, so the receiver sees one message, not two."""
    desk = Desk(session, tenant.id)
    smtp.keep_next = True
    message, followup = _queue_a_message(session, desk)
    killed = _kill_mid_delivery(app_config, smtp, worker_log)
    [delivery] = desk.deliveries()
    assert (delivery.status, delivery.attempts) == ("sending", 1)
    assert desk.fresh(message).status == "queued"
    message_id = deliveries.message_id(delivery.id, get_state(app).setting("BASE_URL"))
    assert [m["Message-ID"] for m in smtp.messages] == [message_id]

    _take_over(app, app_config, desk, smtp, worker_log, delivery, lambda: len(smtp.with_id(message_id)) == 2)

    delivery, message = _sent_once(desk, message, followup)
    assert len(smtp.messages) == 2 and {m["Message-ID"] for m in smtp.messages} == {message_id}
    assert smtp.messages[0]["Subject"] == smtp.messages[1]["Subject"] == message.subject
    print(f"\nkill -9 worker after the server took the message: {killed} processes killed before the commit; the "
          f"takeover sent it again: {len(smtp.messages)} copies, one Message-ID ({message_id}) for the receiver "
          f"to keep one; delivery sent after {delivery.attempts} attempts, 1 touch, the follow-up done")
