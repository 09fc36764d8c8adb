"""The daily retention job: renewal prompts and anonymisation, one job per tenant per day (ids only).

`daily_jobs` is what the cron tick enqueues: a deterministic id per tenant and date, skipped once the
day's run is recorded as done, so a tick every minute enqueues each tenant's job once a day. The job
itself is idempotent, so a run repeated after a lost Redis changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..extension import get_state
from ..models import Tenant
from ..services import privacy

DONE_PREFIX = "brobygger:privacy-daily-done:"
DONE_TTL = 3 * 86400
JOB_TIMEOUT = 3600


def retention(tenant_id: str, day: str) -> dict[str, int]:
    """Run one tenant's daily privacy work and mark the day done."""
    state = get_state()
    with state.sessions() as session:
        result = privacy.run_daily(session, uuid.UUID(tenant_id), datetime.now(UTC))
    state.redis.set(f"{DONE_PREFIX}{day}:{tenant_id}", "1", ex=DONE_TTL)
    return result.as_dict()


def daily_jobs(session: Session, redis: Redis, now: datetime) -> list[tuple[Callable[..., Any], tuple[str, ...], str]]:
    """(job function, arguments, job id) for each tenant whose retention run today is not done yet."""
    day = f"{now:%Y%m%d}"
    jobs = []
    for tenant_id in session.scalars(select(Tenant.id).order_by(Tenant.id)):
        if not redis.exists(f"{DONE_PREFIX}{day}:{tenant_id}"):
            jobs.append((retention, (str(tenant_id), day), f"privacy-{tenant_id}-{day}"))
    return jobs
