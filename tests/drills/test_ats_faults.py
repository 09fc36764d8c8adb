"""A Greenhouse simulator answering with 429 storms, 503s and slow answers (or timeouts) while a worker
runs a full sync. Transient faults are ridden out; when the retries run out the run fails with a clear
error, and the next sync slot's tick completes the sync with exact counts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from connectors.http import Policy
from connectors.simulators.base import Fault, Window
from connectors.simulators.greenhouse import GreenhouseSimulator
from plugin.extension import get_state
from plugin.models import utcnow
from tests.ats_support import connect_greenhouse
from tests.drills.support import census, expected, n, runs
from tests.notify_helpers import run_tick, work

pytestmark = pytest.mark.drill

CANDIDATES = 600  # about 25 requests: pages of candidates, applications and their stages
STORM_SECONDS = 1.0
ATTEMPTS = Policy().max_attempts  # a fault repeated this often exhausts the client's retries
READ_TIMEOUT = Policy().timeout[1]


class FaultPlan:
    """Faults applied when the simulator has served a given number of requests, from a watching thread:
    each entry is (requests served, what to do). A 429 storm spends the vendor's quota for a while, as
    another integration sharing the API key would; the simulator answers 429 with Retry-After meanwhile."""

    def __init__(self, sim: GreenhouseSimulator) -> None:
        self.sim = sim
        self.plan: list[tuple[int, Callable[[], None]]] = []
        self.storms = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fault-plan", daemon=True)

    def at(self, served: int, action: Callable[[], None]) -> None:
        self.plan.append((served, action))
        self.plan.sort(key=lambda entry: entry[0])

    def storm(self) -> None:
        self.storms += 1
        calm = self.sim.window
        self.sim.window = Window(0, STORM_SECONDS)
        threading.Timer(STORM_SECONDS, lambda: setattr(self.sim, "window", calm)).start()

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            if self.plan and len(self.sim.requests) >= self.plan[0][0]:
                self.plan.pop(0)[1]()

    def __enter__(self) -> FaultPlan:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _drill(app: Flask, tenant: Any, slow_seconds: float) -> str:
    state = get_state(app)
    now = utcnow()
    interval = timedelta(minutes=state.setting("SYNC_INTERVAL_MINUTES"))
    with connect_greenhouse(app, tenant.id, candidates=CANDIDATES) as gh:
        sim = gh.sim
        sim.slow_seconds = slow_seconds
        want = expected(gh.data)
        with FaultPlan(sim) as failing:
            failing.at(3, failing.storm)
            failing.at(6, lambda: sim.inject(Fault.SERVER_ERROR, ATTEMPTS))  # one request fails every attempt
            assert any(job.startswith(f"sync-{gh.installation_id}-") for job in run_tick(app, now))
            work(app)
        with state.sessions() as session:
            [failed] = runs(session, gh.installation_id)
            partial = census(session, tenant.id, gh.installation_id)
        assert failed.status == "failed" and failed.finished_at is not None, failed.status
        assert failed.error and f"failed after {ATTEMPTS} attempts, last: HTTP 503" in failed.error, failed.error
        assert failed.records > 0 and not partial.matches(want), "the first run stopped part-way"

        first = len(sim.requests)
        with FaultPlan(sim) as riding:
            riding.at(first + 2, lambda: sim.inject(Fault.SERVER_ERROR, 2))
            riding.at(first + 5, riding.storm)
            riding.at(first + 8, lambda: sim.inject(Fault.SLOW, 2))
            riding.at(first + 12, lambda: sim.inject(Fault.SERVER_ERROR, 1))
            added = run_tick(app, now + interval)  # the next sync slot
            assert any(job.startswith(f"sync-{gh.installation_id}-") for job in added), added
            work(app)
            assert not riding.plan, "the sync ended before every fault was applied"

        with state.sessions() as session:
            found = census(session, tenant.id, gh.installation_id)
            [_, recovered] = runs(session, gh.installation_id)
    assert recovered.status == "ok", (recovered.status, recovered.error)
    assert found.matches(want), (found, want)
    statuses = Counter(r.status for r in sim.requests)
    slow = (f"2 answers held {slow_seconds:.0f} s (past the {READ_TIMEOUT:.0f} s read timeout)"
            if slow_seconds > READ_TIMEOUT else f"2 answers held {slow_seconds:.1f} s")
    return (f"{n(CANDIDATES)} candidates; the simulator answered {n(len(sim.requests))} requests: "
            f"{statuses[200]} OK, {statuses[429]} 429 ({failing.storms + riding.storms} storms of "
            f"{STORM_SECONDS:.0f} s), {statuses[503]} 503, {slow}; run 1 failed after {n(failed.records)} records "
            f"with '{failed.error}'; "
            f"the next slot's tick: run 2 ok, {found.summary()}")


def test_429_storms_5xx_and_slow_answers_during_a_sync(app: Flask, tenant: Any) -> None:
    print(f"\nvendor faults during a sync: {_drill(app, tenant, slow_seconds=1.0)}")


@pytest.mark.long_drill
def test_429_storms_5xx_and_timeouts_during_a_sync(app: Flask, tenant: Any) -> None:
    print(f"\nvendor faults with timeouts during a sync: {_drill(app, tenant, slow_seconds=READ_TIMEOUT + 1)}")
