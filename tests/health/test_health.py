"""/healthz and /readyz, with real worker and cron processes."""

from __future__ import annotations

import signal
import subprocess
from typing import Any

from rq import SimpleWorker

from plugin.cron import tick
from plugin.extension import get_state
from tests.helpers import brobygger, child_env, wait_for


def test_healthz(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_fails_without_worker_and_cron(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json["checks"]
    assert checks["database"]["ok"] and checks["redis"]["ok"]
    assert not checks["worker"]["ok"] and not checks["cron"]["ok"] and not checks["pulse"]["ok"]
    assert response.json["status"] == "fail"


def test_readyz_reports_an_unreachable_database(app_config: dict) -> None:
    from plugin import create_app

    app = create_app({**app_config, "BROBYGGER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"]["ok"] is False
    assert response.json["checks"]["redis"]["ok"] is True


def test_tick_enqueues_the_pulse_once_per_minute_and_a_worker_runs_it(app: Any, client: Any) -> None:
    state = get_state(app)
    with app.app_context():
        first = tick()
        again = tick()
        pulses = [job_id for job_id in first if job_id.startswith("pulse-")]
        assert len(pulses) == 1
        assert pulses[0] not in again  # same minute: nothing new; next minute: a new id
        SimpleWorker([state.queue], connection=state.redis).work(burst=True)
    assert client.get("/readyz").json["checks"]["pulse"]["ok"] is True


def test_readyz_passes_with_worker_and_cron_and_shows_a_stopped_worker(app: Any, client: Any,
                                                                        app_config: dict) -> None:
    env = child_env(app_config)
    worker = subprocess.Popen(brobygger("worker"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cron = subprocess.Popen(brobygger("cron"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: client.get("/readyz").status_code == 200, timeout=30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
        body = wait_for(lambda: (r := client.get("/readyz")).status_code == 503 and r.json, timeout=10)
        assert body["checks"]["worker"]["ok"] is False
        assert body["checks"]["cron"]["ok"] is True
    finally:
        for process in (worker, cron):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
