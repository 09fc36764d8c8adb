"""Logs: no token of a token-bearing route reaches them (the web app under gunicorn, as `brobygger run` serves
it), one JSON event per line in production, and a request's id follows it into the jobs it enqueues."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, url_for
from werkzeug.routing import Rule

from connectors.simulators.greenhouse import webhook_delivery as greenhouse_delivery
from plugin.observability import logs
from plugin.supervisor import gunicorn_command
from tests.ats_support import connect_greenhouse
from tests.helpers import ROOT, brobygger, child_env, free_port, wait_for

# The routes whose path is a credential (finding 7 of the hardening issue); the test covers every route with
# a token argument, and these must be among them.
ISSUE_ENDPOINTS = {"brobygger_login.redeem", "brobygger_calendar.feed", "brobygger_privacy.consent",
                   "brobygger_partners.act", "brobygger_partners.open_sidebar"}


def _token_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if any(name == "token" or name.endswith("_token") for name in rule.arguments)]


@contextmanager
def serve_gunicorn(app_config: dict[str, Any], log: Path, **env: str) -> Iterator[str]:
    """The app under gunicorn with the options `brobygger run` uses; stopped (and its log flushed) on exit."""
    port = free_port()
    with log.open("ab") as sink:
        server = subprocess.Popen(gunicorn_command("127.0.0.1", port), cwd=ROOT, env=child_env(app_config, **env),
                                  stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{url}/healthz", timeout=2).ok, 30)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextmanager
def _captured(fmt: str) -> Iterator[io.StringIO]:
    """Our handler on the root logger, writing to a string, as `brobygger worker` or gunicorn would to stderr."""
    root = logging.getLogger()
    level, stream = root.level, io.StringIO()
    handler = logs.configure(fmt, stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_no_token_of_a_token_bearing_route_reaches_the_log(app: Flask, app_config: dict[str, Any],
                                                            tmp_path: Path) -> None:
    rules = _token_rules(app)
    assert {rule.endpoint for rule in rules} >= ISSUE_ENDPOINTS
    calls = []
    with app.test_request_context():
        for n, rule in enumerate(rules):
            token = secrets.token_urlsafe(24)
            method = "POST" if "POST" in rule.methods else "GET"
            calls.append((rule, method, url_for(rule.endpoint, token=token), token, f"log-test-{n}"))
    log = tmp_path / "web.log"
    with serve_gunicorn(app_config, log, BROBYGGER_LOG_FORMAT="json") as url:
        for _rule, method, path, _token, request_id in calls:
            response = requests.request(method, url + path, headers={"X-Request-ID": request_id},
                                        allow_redirects=False, timeout=10)
            assert response.status_code < 500 and response.headers["X-Request-ID"] == request_id
    text = log.read_text()
    assert [token for *_, token, _ in calls if token in text] == []

    access = {event["request_id"]: event for event in _events(text) if event["logger"] == "brobygger.access"}
    for rule, method, _path, _token, request_id in calls:
        event = access[request_id]  # one line for each request, with the route it took
        assert (event["method"], event["route"], event["level"]) == (method, rule.rule, "info")
        assert "[redacted]" in event["path"] and event["path"] in event["message"]
        assert isinstance(event["status"], int) and isinstance(event["duration_ms"], float)


def test_the_filter_redacts_tokens_addresses_and_personal_fields_in_any_record(app: Flask) -> None:
    token = secrets.token_urlsafe(24)
    with _captured("json") as stream:
        log = logging.getLogger("plugin.some.service")
        log.error("unhandled error on %s %s", "GET", f"/calendar/{token}.ics")
        log.warning("sidebar refused: /sidebar/launch?jwt=%s&x=1; sent to kari.nordmann@example.no", token)
        log.info("person merged", extra={"email": "kari@example.no", "first_name": "Kari", "person_id": 7})
        try:
            raise ValueError(f"GET https://ats.example/login/{token}?access_token={token} failed")
        except ValueError:
            log.exception("ATS call failed")
    text = stream.getvalue()
    assert token not in text and "kari" not in text.lower()
    first, second, third, fourth = _events(text)
    assert first["message"] == "unhandled error on GET /calendar/[redacted]"
    assert second["message"] == "sidebar refused: /sidebar/launch?jwt=[redacted]&x=1; sent to [email]"
    assert (third["email"], third["first_name"], third["person_id"]) == ("[redacted]", "[redacted]", 7)
    assert "ValueError" in fourth["exc"] and "/login/[redacted]?access_token=[redacted]" in fourth["exc"]


def test_development_logs_read_as_text_with_the_request_id(app: Flask, client: Any) -> None:
    token = secrets.token_urlsafe(24)
    with _captured("text") as stream:
        response = client.get(f"/privacy/consent/{token}", headers={"X-Request-ID": "dev-1"})
    [line] = [line for line in stream.getvalue().splitlines() if "brobygger.access" in line]
    assert token not in line and not line.startswith("{")
    assert f"[dev-1] GET /privacy/consent/[redacted] {response.status_code} " in line


def test_a_malformed_request_id_is_replaced(client: Any) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 65})
    assert len(response.headers["X-Request-ID"]) == 32
    forged = '1", "level": "error'  # would break out of a text line's brackets or a naive JSON template
    assert len(client.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"]) == 32


@pytest.mark.slow
def test_a_request_id_follows_a_webhook_into_its_job(app: Flask, app_config: dict[str, Any], client: Any,
                                                     tenant: Any) -> None:
    with connect_greenhouse(app, tenant.id) as connected:
        body, headers = greenhouse_delivery("whsec", "reject_candidate", connected.data.candidates[0])
        response = client.post(connected.webhook_url, data=body, headers={**headers, "X-Request-ID": "hook-42"})
        assert (response.status_code, response.headers["X-Request-ID"]) == (200, "hook-42")
        worker = subprocess.run(brobygger("worker", "--burst"), cwd=ROOT, capture_output=True, text=True,
                                timeout=120, env=child_env(app_config, BROBYGGER_LOG_FORMAT="json"))
    assert worker.returncode == 0, worker.stderr
    events = _events(worker.stdout + worker.stderr)
    done = [e for e in events if e["logger"] == "rq.worker" and "Job OK" in e["message"]]
    assert [e["request_id"] for e in done] == ["hook-42"]  # the webhook's one job, under the webhook's id
