"""The RQ worker `brobygger worker` runs: RQ's forking worker, plus the request id and the job metrics."""

from __future__ import annotations

import time
from typing import Any

from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job
from rq.utils import now

from plugin.observability import context, job_metrics


class ObservedWorker(Worker):
    """Each job runs under the request id of whoever enqueued it (its meta; a job the cron scheduler made
    has none, so its own id), which the jobs it enqueues carry on; and each is counted by outcome and time."""

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        started = time.monotonic()
        with context.bound(job.meta.get(context.META_KEY) or job.id):
            ok = super().perform_job(job, queue, execution)
            outcome = "succeeded" if ok else "failed"
            job_metrics.record(self.connection, job.func_name, outcome, time.monotonic() - started)
        return ok

    def handle_work_horse_killed(self, job: Job, retpid: Any, ret_val: Any, rusage: Any) -> None:
        """The horse died without reporting (killed, out of memory): only this parent can count the job."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        seconds = (now() - job.started_at).total_seconds() if job.started_at else 0.0
        job_metrics.record(self.connection, job.func_name, "killed", seconds)
