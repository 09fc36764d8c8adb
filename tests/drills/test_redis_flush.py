"""FLUSHDB between two cron ticks while digest e-mails, webhook deliveries and a sync are all waiting:
the next tick enqueues again everything the database shows unfinished, and a worker drains it with
nothing lost and nothing done twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from connectors.simulators.greenhouse import webhook_delivery
from plugin.extension import get_state
from plugin.followups import jobs as notify
from plugin.models import Delivery, Recruiter, WebhookDelivery, utcnow
from tests.ats_support import connect_greenhouse
from tests.drills.support import census, expected, n
from tests.notify_helpers import Inbox, World, local_noon, run_tick, work

pytestmark = pytest.mark.drill

RECRUITERS = 12
CANDIDATES = 300
WEBHOOKS = 60
SECRET = "drill-secret"


def test_redis_flushed_between_ticks(app: Flask, client: Any, tenant: Any, other_tenant: Any, session: Session,
                                     smtp: Inbox) -> None:
    state = get_state(app)
    now = utcnow()
    mail = World(session, other_tenant.id)  # the digests' tenant; `tenant` is the synced one
    for i in range(RECRUITERS):
        owner = mail.recruiter(f"Recruiter {i:02d}")
        for j in range(2):
            mail.followup(mail.person("Overdue", f"P{i}-{j}", owner), local_noon("Europe/Oslo", now, -1),
                          "Call back")
    with connect_greenhouse(app, tenant.id, candidates=CANDIDATES, webhook_secret=SECRET) as gh:
        gh.sim.window.limit = 10_000
        want = expected(gh.data)
        for candidate in gh.data.candidates[:WEBHOOKS]:
            body, headers = webhook_delivery(SECRET, "update_candidate", candidate)
            assert client.post(gh.webhook_url, data=body, headers=headers).status_code == 200
        with app.app_context():
            notify.collect(now.isoformat(timespec="minutes"))  # the digest rows exist, their jobs are queued
        assert run_tick(app, now)  # and this minute's sync, pulse and collections
        queued = len(state.queue)

        state.redis.flushdb()  # every job is lost
        # The deliveries arrived over a minute ago (the tick leaves younger ones to their own jobs).
        session.execute(update(WebhookDelivery).values(received_at=utcnow() - timedelta(minutes=2)))
        session.commit()
        added = run_tick(app, now + timedelta(minutes=1))
        kinds = Counter(job.split("-")[0] for job in added)
        assert kinds["delivery"] == RECRUITERS and kinds["webhook"] == WEBHOOKS and kinds["sync"] == 1, kinds
        assert run_tick(app, now + timedelta(minutes=1)) == []  # the same tick again adds nothing
        work(app)

        state.redis.flushdb()  # lost again, after the work was done
        again = run_tick(app, now + timedelta(minutes=2))
        assert not [job for job in again if job.startswith(("delivery-", "webhook-"))], again
        work(app)  # this slot's sync again: it changes nothing

        found = census(session, tenant.id, gh.installation_id)
        statuses = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        unprocessed = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.processed_at.is_(None)))
    per_id = Counter(m["Message-ID"] for m in smtp.messages)
    assert statuses == {"sent": RECRUITERS}, statuses
    assert len(smtp.messages) == RECRUITERS and set(per_id.values()) == {1}
    assert {m["To"] for m in smtp.messages} == set(session.scalars(select(Recruiter.email)))
    assert unprocessed == 0
    assert found.matches(want), (found, want)
    print(f"\nflush Redis between cron ticks: {n(queued)} jobs queued ({RECRUITERS} digest e-mails, {WEBHOOKS} "
          f"webhook deliveries, 1 sync of {n(CANDIDATES)} candidates, the tick's own) and flushed; the next tick "
          f"re-enqueued {kinds['delivery']} e-mails, {kinds['webhook']} webhook jobs and {kinds['sync']} sync from "
          f"the database; after the worker: {len(smtp.messages)} e-mails, each Message-ID once; "
          f"{WEBHOOKS - unprocessed} of {WEBHOOKS} deliveries processed; {found.summary()}; "
          f"flushed again: 0 e-mails or webhooks re-enqueued")
