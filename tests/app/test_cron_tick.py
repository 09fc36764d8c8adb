"""The cron tick asks Redis which of its job ids exist in one round trip and attempts only the new ones;
every job is named by a dotted path that leads to a function."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from rq.job import Job

from plugin import cron
from plugin.ats import webhooks, writeback
from plugin.extension import get_state
from plugin.followups import deliveries

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The job ids the tick tried to enqueue (the real enqueue still runs)."""
    seen: list[str] = []
    real = cron.enqueue_unique

    def counting(*args: Any, job_id: str, **options: Any) -> bool:
        seen.append(job_id)
        return real(*args, job_id=job_id, **options)

    monkeypatch.setattr(cron, "enqueue_unique", counting)
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
