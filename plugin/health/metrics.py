"""What `/metrics` shows: the web processes' counters, the job counters the workers keep in Redis, and gauges
read from the database and Redis at scrape time (exact whichever process answers the scrape).

The gauges: RQ queue depth by registry and the workers seen, sync lag and last success per installation,
e-mail deliveries by kind and status, the webhook deliveries not yet processed. A source that cannot be read
leaves its gauges out and sets `brobygger_scrape_ok{source}` to 0, so a scrape still answers when the database
or Redis is down.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plugin.models import Delivery, Installation, SyncRun, WebhookDelivery, utcnow
from plugin.observability import job_metrics

log = logging.getLogger(__name__)


class _ThisProcess(Collector):
    """The default registry (this process's counters) when no multiprocess folder is set."""

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()


class StateCollector(Collector):
    def __init__(self, sessions: sessionmaker[Session], redis: Redis, queue_name: str) -> None:
        self.sessions, self.redis, self.queue_name = sessions, redis, queue_name

    def collect(self) -> Iterable[Metric]:
        ok = GaugeMetricFamily("brobygger_scrape_ok", "1 when this scrape could read the source, else 0.",
                               labels=["source"])
        for source, read in (("redis", self._redis), ("database", self._database)):
            try:
                found = list(read())
            except Exception as exc:  # a scrape reports a dead dependency, whatever its error
                log.warning("metrics: %s not read (%s)", source, type(exc).__name__)
                ok.add_metric([source], 0)
                continue
            ok.add_metric([source], 1)
            yield from found
        yield ok

    def _redis(self) -> Iterator[Metric]:
        queue = Queue(self.queue_name, connection=self.redis)
        depth = GaugeMetricFamily("brobygger_queue_jobs", "Jobs in the RQ queue by state (queued, started, "
                                  "scheduled, deferred, failed).", labels=["queue", "state"])
        depth.add_metric([self.queue_name, "queued"], queue.count)
        registries = {"started": queue.started_job_registry, "scheduled": queue.scheduled_job_registry,
                      "deferred": queue.deferred_job_registry, "failed": queue.failed_job_registry}
        for state, registry in registries.items():  # without RQ's clean-up: a scrape changes nothing
            depth.add_metric([self.queue_name, state], registry.get_job_count(cleanup=False))
        yield depth
        yield GaugeMetricFamily("brobygger_workers", "RQ workers registered on the queue.",
                                value=Worker.count(queue=queue))
        yield from job_metrics.collect(self.redis)

    def _database(self) -> Iterator[Metric]:
        now = utcnow()
        with self.sessions() as session:
            yield from _sync(session, now)
            yield from _deliveries(session)
            yield from _webhook_backlog(session, now)


def _newest_ok(column: object) -> object:
    """A column of the installation's newest successful sync run (the index on installation and start time)."""
    return (select(column).where(SyncRun.installation_id == Installation.id, SyncRun.status == "ok")
            .order_by(SyncRun.started_at.desc()).limit(1).correlate(Installation).scalar_subquery())


def _sync(session: Session, now: datetime) -> Iterator[Metric]:
    last = GaugeMetricFamily("brobygger_sync_last_success_timestamp_seconds", "When the newest successful sync of "
                             "the installation finished (Unix time); absent if it never had one.",
                             labels=["installation", "vendor"])
    lag = GaugeMetricFamily("brobygger_sync_lag_seconds", "Seconds since the start of the newest successful sync "
                            "(the data is at least that fresh), or since the installation was added if none.",
                            labels=["installation", "vendor"])
    rows = session.execute(select(Installation.id, Installation.vendor, Installation.created_at,
                                  _newest_ok(SyncRun.started_at), _newest_ok(SyncRun.finished_at))
                           .where(Installation.active.is_(True)))
    for installation_id, vendor, created_at, started_at, finished_at in rows:
        labels = [str(installation_id), vendor.value]
        if finished_at is not None:
            last.add_metric(labels, finished_at.timestamp())
        lag.add_metric(labels, (now - (started_at or created_at)).total_seconds())
    yield last
    yield lag


def _deliveries(session: Session) -> Iterator[Metric]:
    gauge = GaugeMetricFamily("brobygger_deliveries", "E-mail deliveries (digests, monthly reports) by kind and "
                              "status: pending, sending, sent, skipped, failed.", labels=["kind", "status"])
    for kind, status, count in session.execute(select(Delivery.kind, Delivery.status, func.count())
                                               .group_by(Delivery.kind, Delivery.status)):
        gauge.add_metric([kind, status], count)
    yield gauge


def _webhook_backlog(session: Session, now: datetime) -> Iterator[Metric]:
    count, oldest = session.execute(select(func.count(), func.min(WebhookDelivery.received_at))
                                    .where(WebhookDelivery.processed_at.is_(None))).one()
    yield GaugeMetricFamily("brobygger_webhook_backlog", "Webhook deliveries received and not yet processed.",
                            value=count)
    yield GaugeMetricFamily("brobygger_webhook_backlog_oldest_seconds", "Age of the oldest unprocessed webhook "
                            "delivery; 0 when none waits.", value=(now - oldest).total_seconds() if oldest else 0)


def exposition(sessions: sessionmaker[Session], redis: Redis, queue_name: str,
               multiprocess_dir: str | None = None) -> bytes:
    """The Prometheus text format of everything above."""
    registry = CollectorRegistry(auto_describe=False)
    multiprocess_dir = multiprocess_dir or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry.register(_ThisProcess())
    registry.register(StateCollector(sessions, redis, queue_name))
    return generate_latest(registry)
