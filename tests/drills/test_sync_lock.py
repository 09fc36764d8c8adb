"""The sync lock the recovery relies on: a live sync keeps it (even across a Redis flush), so the cron tick
never resumes a sync that is still running, and `brobygger sync` waits its turn."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from plugin.ats import locks
from plugin.extension import get_state
from plugin.models import SyncRun
from tests.ats_support import connect_greenhouse
from tests.helpers import wait_for

pytestmark = pytest.mark.drill


def test_a_live_sync_keeps_its_lock_through_a_redis_flush(app: Flask, runner: Any, tenant: Any) -> None:
    state = get_state(app)
    with connect_greenhouse(app, tenant.id, candidates=5) as gh, state.sessions() as session:
        session.add(SyncRun(tenant_id=tenant.id, installation_id=gh.installation_id))  # as sync.run starts one
        session.commit()
        lock = locks.sync_lock(state.redis, gh.installation_id)
        with locks.holding_sync_lock(state.redis, gh.installation_id):
            assert locks.interrupted_runs(session, state.redis) == []
            state.redis.flushdb()
            assert len(locks.interrupted_runs(session, state.redis)) == 1  # until the renewer notices
            wait_for(lambda: state.redis.exists(lock.name), locks.RENEW_SECONDS + 2, interval=0.1)
            assert locks.interrupted_runs(session, state.redis) == []
            busy = runner.invoke(args=["brobygger", "sync", "--installation", str(gh.installation_id)])
            assert busy.exit_code != 0 and "is running; try again when it has finished" in busy.output
        assert not state.redis.exists(lock.name)
        [(installation_id, _run_id, full)] = locks.interrupted_runs(session, state.redis)
        assert (installation_id, full) == (gh.installation_id, False)
        done = runner.invoke(args=["brobygger", "sync", "--installation", str(gh.installation_id)])
        assert done.exit_code == 0, done.output
        session.expire_all()
        statuses = sorted((run.status, run.error) for run in session.query(SyncRun))
    assert statuses == [("failed", locks.INTERRUPTED), ("ok", None)]
    print("\nsync lock: held through FLUSHDB (re-taken within "
          f"{locks.RENEW_SECONDS} s), the CLI refused a second sync, and once released the stale run was "
          "closed as interrupted by the next sync")
