"""What `brobygger cron` runs every minute: it enqueues, it does no work itself."""

from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis
from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError

from .pulse import pulse

TICK_SECONDS = 60


def tick(queue_name: str, connection: Redis | None = None) -> list[str]:
    """Enqueue this minute's jobs. Ids carry the minute, so a repeated tick adds nothing."""
    if connection is None:
        job = get_current_job()
        assert job is not None, "tick runs inside an RQ worker unless given a connection"
        connection = job.connection
    queue = Queue(queue_name, connection=connection)
    minute = datetime.now(UTC).strftime("%Y%m%d%H%M")
    enqueued = []
    for func, job_id in ((pulse, f"pulse-{minute}"),):
        try:
            queue.enqueue(func, job_id=job_id, unique=True, result_ttl=600, failure_ttl=86400)
            enqueued.append(job_id)
        except DuplicateJobError:
            pass
    return enqueued
