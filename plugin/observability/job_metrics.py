"""Job counts and durations by job, kept in Redis by the workers and read back at scrape time.

A work horse lives for one job and no worker serves HTTP, so counters in a worker's memory would die with the
horse or never be scraped; Redis, which every worker and web process shares, keeps them. Losing Redis resets
them, which Prometheus reads as any counter reset.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
KEY = "brobygger:metrics:jobs"
BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)
OUTCOMES = ("succeeded", "failed", "killed")  # killed: the work horse died (OOM, a signal) mid-job


def record(redis: Redis, job: str, outcome: str, seconds: float) -> None:
    """Count one finished job: its outcome, and its duration in one histogram bucket (made cumulative when read)."""
    bucket = next((floatToGoString(b) for b in BUCKETS if seconds <= b), "+Inf")
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.hincrby(KEY, f"{job}|{outcome}", 1)
        pipe.hincrbyfloat(KEY, f"{job}|sum", seconds)
        pipe.hincrby(KEY, f"{job}|le={bucket}", 1)
        pipe.execute()
    except RedisError as exc:  # the job's own outcome matters more than its count
        log.warning("job metrics not recorded (%s)", type(exc).__name__)


def collect(redis: Redis) -> list[Metric]:
    counts: dict[tuple[str, str], float] = {}
    sums: dict[str, float] = defaultdict(float)
    buckets: dict[str, dict[str, float]] = defaultdict(dict)
    for raw_field, raw_value in redis.hgetall(KEY).items():
        job, _, what = raw_field.decode().rpartition("|")
        value = float(raw_value)
        if what == "sum":
            sums[job] = value
        elif what.startswith("le="):
            buckets[job][what[3:]] = value
        else:
            counts[(job, what)] = value
    total = CounterMetricFamily("brobygger_jobs", "Jobs run by the workers, by job and outcome (succeeded, failed, "
                                "killed); a retried job counts each attempt.", labels=["job", "outcome"])
    for (job, outcome), value in sorted(counts.items()):
        total.add_metric([job, outcome], value)
    durations = HistogramMetricFamily("brobygger_job_duration_seconds", "How long jobs ran, by job.", labels=["job"])
    for job in sorted(buckets):
        running, cumulative = 0.0, []
        for le in [*(floatToGoString(b) for b in BUCKETS), "+Inf"]:
            running += buckets[job].get(le, 0.0)
            cumulative.append((le, running))
        durations.add_metric([job], cumulative, sum_value=sums[job])
    return [total, durations]
