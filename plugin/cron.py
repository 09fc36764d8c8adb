"""What `brobygger cron` runs every minute: it enqueues, it does no work itself.

Job ids carry the minute (or the sync slot, or the row id), so a tick that runs twice enqueues nothing
twice, and rows the database still shows as unfinished are enqueued again after Redis lost them. Jobs are
named by their dotted path, as services name the jobs they enqueue, so no service imports a job module.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from plugin.ats import locks, webhooks, writeback
from plugin.extension import get_state
from plugin.followups import deliveries
from plugin.models import Installation
from plugin.privacy import retention
from plugin.queueing import Wanted, enqueue_new

PULSE = "plugin.health.jobs.pulse"
COLLECT = "plugin.followups.jobs.collect"
COLLECT_PEOPLE = "plugin.followups.jobs.collect_people"
SYNC = "plugin.ats.jobs.sync_installation"
RETENTION = "plugin.privacy.jobs.retention"
# Every module holding a job, for the worker to import before it forks its work horses.
JOB_MODULES = tuple(sorted({name.rpartition(".")[0] for name in (
    PULSE, COLLECT, COLLECT_PEOPLE, SYNC, RETENTION, webhooks.PROCESS_JOB, writeback.JOB, deliveries.JOB)}))

TICK_SECONDS = 60
SYNC_TIMEOUT = 3600

def tick(now: datetime | None = None) -> list[str]:
    """Enqueue this minute's work (`now` is for tests); returns the ids of the jobs it added."""
    state = get_state()
    queue = state.queue
    now = now or datetime.now(UTC)
    wanted: list[Wanted] = []

    def add(func: str, *args: object, job_id: str, **options: Any) -> None:
        wanted.append((func, args, job_id, options))

    add(PULSE, job_id=f"pulse-{now:%Y%m%d%H%M}")
    # Notices, snooze wake-ups and today's digest rows; the job works from the database alone.
    add(COLLECT, now.isoformat(timespec="minutes"), job_id=f"collect-{now:%Y%m%d%H%M}")
    add(COLLECT_PEOPLE, now.isoformat(timespec="minutes"), job_id=f"collect-people-{now:%Y%m%d%H}")
    slot = int(now.timestamp() // (state.setting("SYNC_INTERVAL_MINUTES") * 60))
    with state.sessions() as session:
        # The safety net for missed webhooks (Teamtailor never retries one).
        for installation_id in session.scalars(select(Installation.id).where(Installation.active.is_(True))):
            add(SYNC, str(installation_id), job_id=f"sync-{installation_id}-{slot}",
                job_timeout=SYNC_TIMEOUT)
        # A sync whose process died (its run still says running, its lock lapsed): resume it now rather
        # than at the next slot, and as full as it was; the resuming sync closes the dead run.
        for installation_id, run_id, full in locks.interrupted_runs(session, state.redis):
            add(SYNC, str(installation_id), full, job_id=f"sync-{installation_id}-resume-{run_id}",
                job_timeout=SYNC_TIMEOUT)
        for delivery_id in webhooks.unprocessed(session):
            add(webhooks.PROCESS_JOB, str(delivery_id), job_id=f"webhook-{delivery_id}", retry=webhooks.RETRY)
        for writeback_id in writeback.stranded(session):
            add(writeback.JOB, str(writeback_id), job_id=f"writeback-{writeback_id}", retry=writeback.RETRY)
        # E-mails the database still shows as unsent: new, due for a retry, or claimed by a dead worker.
        for delivery_id, attempts in deliveries.enqueueable(session, now):
            add(deliveries.JOB, str(delivery_id), job_id=deliveries.job_id(delivery_id, attempts))
        # Once a day per tenant: consent renewal prompts and anonymisation of lapsed people.
        for tenant_id, day in retention.retention_due(session, state.redis, now):
            add(RETENTION, str(tenant_id), day, job_id=f"privacy-{tenant_id}-{day}",
                job_timeout=retention.RETENTION_TIMEOUT)
    return enqueue_new(queue, wanted)
