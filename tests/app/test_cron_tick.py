"""The cron tick asks Redis which of its job ids exist and enqueues only the new ones, in a few round trips
however many there are, each once even when ticks race; every job is named by a dotted path that leads to a
function."""

from __future__ import annotations

import importlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from rq import Queue, Retry
from rq.job import Job

from plugin import cron
from plugin.ats import webhooks, writeback
from plugin.extension import get_state
from plugin.followups import deliveries
from plugin.queueing import enqueue_new

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The job ids the tick enqueued or tried to (the real enqueue still runs)."""
    seen: list[str] = []
    real = Queue.enqueue_job

    def counting(queue: Queue, job: Job, *args: Any, **options: Any) -> Job:
        seen.append(job.id)
        return real(queue, job, *args, **options)

    monkeypatch.setattr(Queue, "enqueue_job", counting)
    return seen


def test_a_second_tick_in_the_same_minute_attempts_no_enqueue(app: Flask, tenant: Any, attempts: list[str]) -> None:
    with app.app_context():
        first = cron.tick(NOW)
        assert {f"pulse-{NOW:%Y%m%d%H%M}", f"collect-{NOW:%Y%m%d%H%M}", f"privacy-{tenant.id}-{NOW:%Y%m%d}"} \
            <= set(first)
        attempts.clear()
        assert cron.tick(NOW) == []
    assert attempts == []


def test_the_next_minute_attempts_only_its_new_ids(app: Flask, tenant: Any, attempts: list[str]) -> None:
    with app.app_context():
        cron.tick(NOW)
        attempts.clear()
        later = NOW + timedelta(minutes=1)
        added = cron.tick(later)
    assert sorted(added) == sorted(attempts) == [f"collect-{later:%Y%m%d%H%M}", f"pulse-{later:%Y%m%d%H%M}"]


def test_a_job_redis_lost_is_enqueued_again(app: Flask, tenant: Any) -> None:
    state = get_state(app)
    with app.app_context():
        cron.tick(NOW)
        state.redis.delete(Job.key_for(f"collect-{NOW:%Y%m%d%H%M}"))
        assert cron.tick(NOW) == [f"collect-{NOW:%Y%m%d%H%M}"]


def test_every_job_name_leads_to_a_function() -> None:
    names = (cron.PULSE, cron.COLLECT, cron.COLLECT_PEOPLE, cron.SYNC, cron.RETENTION, webhooks.PROCESS_JOB,
             writeback.JOB, deliveries.JOB)
    for name in names:
        module, _, function = name.rpartition(".")
        assert module in cron.JOB_MODULES, name
        assert callable(getattr(importlib.import_module(module), function)), name


def test_ticks_racing_each_other_enqueue_every_job_once(app: Flask, tenant: Any) -> None:
    state = get_state(app)
    results: list[list[str]] = []

    def tick() -> None:
        with app.app_context():
            results.append(cron.tick(NOW))

    threads = [threading.Thread(target=tick) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    enqueued = [job_id for added in results for job_id in added]
    assert len(enqueued) == len(set(enqueued)) and f"collect-{NOW:%Y%m%d%H%M}" in enqueued
    queued = [job_id.decode() for job_id in state.redis.lrange(state.queue.key, 0, -1)]
    assert sorted(queued) == sorted(enqueued)


def test_jobs_enqueued_together_keep_their_timeout_and_retries(app: Flask, tenant: Any) -> None:
    state = get_state(app)
    with app.app_context():
        added = enqueue_new(state.queue, [
            ("plugin.health.jobs.pulse", (), "pulse-options", {"job_timeout": 1234}),
            (webhooks.PROCESS_JOB, ("an-id",), "webhook-options", {"retry": Retry(max=3, interval=[5, 10, 20])})])
        assert added == ["pulse-options", "webhook-options"]
        assert enqueue_new(state.queue, [("plugin.health.jobs.pulse", (), "pulse-options", {})]) == []
    pulse = Job.fetch("pulse-options", connection=state.redis)
    hook = Job.fetch("webhook-options", connection=state.redis)
    assert (pulse.timeout, pulse.get_status()) == (1234, "queued")
    assert (list(hook.args), hook.retries_left, hook.retry_intervals) == (["an-id"], 3, [5, 10, 20])
    assert (hook.result_ttl, hook.failure_ttl) == (3600, 86400)

