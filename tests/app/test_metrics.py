"""GET /metrics: never public, and a scrape after a sync, a webhook and a digest, run by a real `brobygger worker`
process, shows each of them; the gunicorn processes' counters add up in whichever process answers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from connectors.simulators.greenhouse import webhook_delivery as greenhouse_delivery
from plugin.extension import get_state
from plugin.models import utcnow
from tests.app.test_logs import serve_gunicorn
from tests.ats_support import connect_greenhouse
from tests.helpers import ROOT, brobygger, child_env
from tests.notify_helpers import Inbox, World, run_tick, smtp_server

TOKEN = "metrics-test-token"
WEBHOOK_ROUTE = "/webhooks/<vendor>/<uuid:installation_id>"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_METRICS_TOKEN": TOKEN, "BROBYGGER_SMTP_URL": smtp.url}


def _parse(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _scrape(client: Any) -> Samples:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
    return _parse(response.get_data(as_text=True))


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_answer_only_the_bearer_of_the_token(app: Flask, client: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401 and response.json["code"] == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer") and b"brobygger_" not in response.data
    get_state(app).settings["BROBYGGER_METRICS_TOKEN"] = ""  # unset: the endpoint does not exist
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.slow
def test_a_scrape_after_a_sync_a_webhook_and_a_digest_shows_them(app: Flask, app_config: dict[str, Any],
                                                                  client: Any, tenant: Any, session: Session,
                                                                  smtp: Inbox) -> None:
    world = World(session, tenant.id)
    recruiter = world.recruiter("Mona Metrics")
    world.followup(world.person("Per", "Purring", recruiter), utcnow() - timedelta(days=1), "Call about the offer")
    started = utcnow()
    with connect_greenhouse(app, tenant.id) as connected:
        before = _scrape(client)
        body, headers = greenhouse_delivery("whsec", "reject_candidate", connected.data.candidates[0])
        assert client.post(connected.webhook_url, data=body, headers=headers).json == {"status": "accepted"}
        run_tick(app)  # the installation's sync, the notices and today's digest row
        worker = subprocess.run(brobygger("worker", "--burst"), cwd=ROOT, capture_output=True, text=True,
                                timeout=180, env=child_env(app_config))
        assert worker.returncode == 0, worker.stderr
        after = _scrape(client)
    assert len(smtp.to(recruiter.email)) == 1  # the digest went out

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("brobygger_webhooks_received_total", vendor="greenhouse", outcome="accepted") == 1
    assert moved("brobygger_http_requests_total", route=WEBHOOK_ROUTE, method="POST", status="200") == 1
    assert moved("brobygger_http_request_duration_seconds_count", route=WEBHOOK_ROUTE, method="POST") == 1
    for job in ("plugin.ats.jobs.sync_installation", "plugin.ats.jobs.process_webhook",
                "plugin.followups.jobs.send_delivery"):
        assert moved("brobygger_jobs_total", job=job, outcome="succeeded") == 1, job
        assert moved("brobygger_job_duration_seconds_count", job=job) == 1, job
        assert moved("brobygger_job_duration_seconds_bucket", job=job, le="+Inf") == 1, job
    assert moved("brobygger_deliveries", kind="digest", status="sent") == 1
    installation = {"installation": str(connected.installation_id), "vendor": "greenhouse"}
    assert _value(before, "brobygger_sync_last_success_timestamp_seconds", **installation) == 0  # never synced
    assert _value(after, "brobygger_sync_last_success_timestamp_seconds", **installation) >= started.timestamp()
    assert 0 <= _value(after, "brobygger_sync_lag_seconds", **installation) < 300
    assert _value(after, "brobygger_queue_jobs", queue="brobygger", state="queued") == 0
    assert _value(after, "brobygger_webhook_backlog") == 0
    assert _value(after, "brobygger_scrape_ok", source="database") == _value(after, "brobygger_scrape_ok",
                                                                             source="redis") == 1


def test_rate_limit_refusals_and_refused_webhooks_are_counted(app: Flask, client: Any, tenant: Any) -> None:
    get_state(app).settings["BROBYGGER_RATE_LIMIT_WEBHOOKS"] = 1
    with connect_greenhouse(app, tenant.id) as connected:
        before = _scrape(client)
        body, headers = greenhouse_delivery("not-the-secret", "reject_candidate", connected.data.candidates[0])
        assert client.post(connected.webhook_url, data=body, headers=headers).status_code == 401
        assert client.post(connected.webhook_url, data=body, headers=headers).status_code == 429
        assert client.post(f"/webhooks/no-such-vendor/{connected.installation_id}", data=body).status_code == 429
        after = _scrape(client)
    assert _value(after, "brobygger_rate_limit_refusals_total", limit="webhook") - _value(
        before, "brobygger_rate_limit_refusals_total", limit="webhook") == 2
    for outcome, vendor in (("refused", "greenhouse"), ("rate_limited", "greenhouse"), ("rate_limited", "unknown")):
        assert _value(after, "brobygger_webhooks_received_total", vendor=vendor, outcome=outcome) - _value(
            before, "brobygger_webhooks_received_total", vendor=vendor, outcome=outcome) == 1, (vendor, outcome)


@pytest.mark.slow
def test_the_gunicorn_processes_counters_add_up(app_config: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    headers = {"Authorization": f"Bearer {TOKEN}", "Connection": "close"}  # a fresh connection each time: the
    # kernel spreads them over both processes
    with serve_gunicorn(app_config, tmp_path / "web.log", PROMETHEUS_MULTIPROC_DIR=str(folder)) as url:
        for _ in range(40):  # a path nothing else asks for (the start-up probes ask for /healthz)
            assert requests.get(f"{url}/nowhere", headers=headers, timeout=5).status_code == 404
        scrapes = [_parse(requests.get(f"{url}/metrics", headers=headers, timeout=10).text) for _ in range(6)]
    processes = {path.name.rsplit("_", 1)[-1] for path in folder.glob("counter_*.db")}
    assert len(processes) == 2  # both gunicorn processes counted requests
    # Each scrape, whichever process answered it, counts all 40.
    assert {_value(s, "brobygger_http_requests_total", route="unmatched", method="GET", status="404")
            for s in scrapes} == {40}
