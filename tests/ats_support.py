"""A tenant connected to a Greenhouse simulator served over real HTTP, and the small steps tests take
with it (sync, run the queued jobs). Shared by the sync, rules, cadence and erasure tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from rq import SimpleWorker

from connectors.simulators.base import serve
from connectors.simulators.dataset import Dataset, generate
from connectors.simulators.greenhouse import GreenhouseSimulator
from plugin.ats import installations, sync
from plugin.extension import get_state


@dataclass
class Connected:
    data: Dataset
    sim: GreenhouseSimulator
    installation_id: uuid.UUID
    webhook_url: str


@contextmanager
def connect_greenhouse(app: Flask, tenant_id: uuid.UUID, *, candidates: int = 40, seed: int = 11,
                       webhook_secret: str = "whsec", write_back: bool = False) -> Iterator[Connected]:
    data = generate(candidates, seed=seed)
    sim = GreenhouseSimulator(data, rate_limit=200, window_seconds=1)
    state = get_state(app)
    with serve(sim) as url, state.sessions() as session:
        installation = installations.add(
            session, state.vault, tenant_id, vendor="greenhouse", base_url=f"{url}/v3",
            credentials={"client_id": sim.client_id, "client_secret": sim.client_secret, "token_url": f"{url}/token"},
            webhook_secret=webhook_secret, settings={"write_back": write_back})
        yield Connected(data, sim, installation.id, f"/webhooks/greenhouse/{installation.id}")


def run_sync(app: Flask, installation_id: uuid.UUID, full: bool = True) -> sync.Counts:
    state = get_state(app)
    with state.sessions() as session:
        return sync.run(session, state.vault, installation_id, full=full)


def work(app: Flask) -> None:
    """Run every queued job with a real RQ worker, in burst mode, inside the app."""
    state = get_state(app)
    with app.app_context():
        SimpleWorker([state.queue], connection=state.redis).work(burst=True)
