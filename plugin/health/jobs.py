"""The pulse: proof that the cron scheduler, Redis and a worker work together end to end."""

from __future__ import annotations

import time

from rq import get_current_job

PULSE_KEY = "brobygger:pulse"


def pulse() -> float:
    """Run by a worker; `/readyz` reads the time it left behind."""
    job = get_current_job()
    assert job is not None, "pulse runs inside an RQ worker"
    now = time.time()
    job.connection.set(PULSE_KEY, now)
    return now
