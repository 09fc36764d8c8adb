"""kill -9 a real `brobygger worker` mid-sync and mid-delivery. The product recovers with what production
has: a new worker process and the cron tick. Nothing is lost and nothing is done twice."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from connectors.simulators.base import Window
from plugin.ats import locks
from plugin.ats.jobs import sync_installation
from plugin.ats.locks import sync_lock
from plugin.extension import get_state
from plugin.followups import deliveries
from plugin.models import Delivery, FollowUp, utcnow
from plugin.queueing import enqueue_unique
from tests.ats_support import connect_greenhouse
from tests.drills.support import census, expected, kill_9, log_tail, n, records_so_far, runs, worker_process
from tests.helpers import wait_for
from tests.notify_helpers import Inbox, World, local_noon, run_tick

pytestmark = [pytest.mark.drill, pytest.mark.slow]

CANDIDATES = 1_500
SIM_REQUESTS_PER_SECOND = 12  # the vendor's quota: paces the sync over several seconds whatever the machine


def test_kill_9_worker_mid_sync(app: Flask, app_config: dict[str, Any], tenant: Any, worker_log: Path) -> None:
    state = get_state(app)
    with connect_greenhouse(app, tenant.id, candidates=CANDIDATES) as gh:
        gh.sim.window = Window(SIM_REQUESTS_PER_SECOND, 1.0)
        want = expected(gh.data)
        assert enqueue_unique(state.queue, sync_installation, str(gh.installation_id), True,
                              job_id="drill-full-sync", job_timeout=600)

        with worker_process(app_config, worker_log) as worker:
            try:
                killed_at = wait_for(lambda: (r := records_so_far(app, gh.installation_id)) >= 1_000 and r, 60)
            except AssertionError:
                pytest.fail(f"the sync never got going; worker log:\n{log_tail(worker_log)}")
            kill_9(worker)
            killed = time.monotonic()
        with state.sessions() as session:
            persisted = census(session, tenant.id, gh.installation_id).people
            [dead] = runs(session, gh.installation_id)
        assert dead.status == "running" and 0 < persisted < want.people, (dead.status, persisted)
        lock_name = sync_lock(state.redis, gh.installation_id).name
        assert state.redis.exists(lock_name), "the killed sync held its installation's lock"

        with worker_process(app_config, worker_log):
            # Until the dead sync's lock lapses the tick leaves the installation alone (it may be alive).
            assert not any("-resume-" in job for job in run_tick(app))
            wait_for(lambda: not state.redis.exists(lock_name), locks.LOCK_SECONDS + 5, interval=0.1)
            lapsed = time.monotonic() - killed
            added = run_tick(app)
            assert f"sync-{gh.installation_id}-resume-{dead.id}" in added, added
            wait_for(lambda: _finished(app, gh.installation_id), 90)
            assert not any("-resume-" in job for job in run_tick(app))  # nothing left to resume

        with state.sessions() as session:
            found = census(session, tenant.id, gh.installation_id)
            all_runs = runs(session, gh.installation_id)
        closed = next(r for r in all_runs if r.id == dead.id)
        assert found.matches(want), (found, want)
        assert (closed.status, closed.error) == ("failed", locks.INTERRUPTED)
        assert all(r.status == "ok" for r in all_runs if r.id != dead.id)
        print(f"\nkill -9 worker mid-sync: {n(CANDIDATES)} candidates ({want.summary()}); worker killed after "
              f"{n(killed_at)} records, {n(persisted)} people persisted; its lock lapsed {lapsed:.1f} s after the "
              f"kill; after a new worker and one cron tick: {found.summary()}; the dead run closed as failed "
              f"('interrupted'), {len(all_runs) - 1} run(s) finished ok")


def _finished(app: Flask, installation_id: Any) -> bool:
    with get_state(app).sessions() as session:
        all_runs = runs(session, installation_id)
    return bool(all_runs) and all(r.status != "running" for r in all_runs) and all_runs[-1].status == "ok"


def test_kill_9_worker_mid_delivery(app: Flask, app_config: dict[str, Any], world: World, smtp: Inbox,
                                   worker_log: Path) -> None:
    """The SMTP server holds the digest in DATA while the worker is killed: it never accepted it. The
    claim is taken over once it is older than STALE_CLAIM, and exactly one message arrives."""
    me = world.recruiter("Ola Once")
    for i in range(3):
        world.followup(world.person("Petter", f"Overdue{i}", me), local_noon("Europe/Oslo", utcnow(), -1),
                       "Thank for the coffee")
    smtp.stall_next = True
    run_tick(app)
    with worker_process(app_config, worker_log) as worker:
        if not smtp.stalled.wait(60):
            pytest.fail(f"the worker never reached the SMTP server; worker log:\n{log_tail(worker_log)}")
        killed = kill_9(worker)
    [delivery] = world.deliveries()
    assert (delivery.status, delivery.attempts) == ("sending", 1)
    message_id = deliveries.message_id(delivery.id, get_state(app).setting("BASE_URL"))
    assert smtp.messages == []

    with worker_process(app_config, worker_log):
        assert not any(j.startswith("delivery-") for j in run_tick(app))  # a fresh claim may be a live worker's
        # Ten minutes pass (the takeover delay, far longer than one SMTP conversation): moved on the row.
        assert delivery.claimed_at is not None
        world.session.execute(update(Delivery).where(Delivery.id == delivery.id).values(
            claimed_at=delivery.claimed_at - deliveries.STALE_CLAIM - timedelta(minutes=1)))
        world.session.commit()
        assert deliveries.job_id(delivery.id, 1) in run_tick(app)
        wait_for(lambda: smtp.with_id(message_id), timeout=30)
        assert not any(j.startswith("delivery-") for j in run_tick(app))  # sent: nothing to enqueue
        time.sleep(1)  # a second message, if one were coming, would have arrived by now

    [delivery] = world.deliveries()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1 and len(smtp.with_id(message_id)) == 1
    followups = world.session.query(FollowUp).count()
    print(f"\nkill -9 worker mid-delivery: 1 digest ({followups} overdue follow-ups); worker and horse "
          f"({killed} processes) killed while the SMTP server held the message in DATA; 0 accepted; after a new "
          f"worker and two cron ticks (the claim aged past {deliveries.STALE_CLAIM}): {len(smtp.messages)} message "
          f"accepted, Message-ID {message_id}, delivery sent after {delivery.attempts} attempts")
