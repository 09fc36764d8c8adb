"""The sync engine, webhooks and write-back, end to end: the app against the Greenhouse simulator over
real HTTP, with real RQ jobs run by a real worker."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.simulators.base import Fault, serve
from connectors.simulators.dataset import Dataset, generate
from connectors.simulators.greenhouse import GreenhouseSimulator, webhook_delivery
from plugin.ats import installations, sync
from plugin.extension import get_state
from plugin.models import (
    AtsApplication,
    Person,
    PersonLink,
    PipelineStatus,
    Referral,
    SyncBookmark,
    Touchpoint,
    WebhookDelivery,
    WriteBack,
)
from tests.ats_support import Connected, connect_greenhouse, run_sync, work
from tests.helpers import brobygger, child_env

WEBHOOK_SECRET = "whsec-greenhouse-test"


@pytest.fixture
def greenhouse(request: pytest.FixtureRequest, app: Flask, tenant: Any) -> Iterator[Connected]:
    with connect_greenhouse(app, tenant.id, candidates=getattr(request, "param", 40), webhook_secret=WEBHOOK_SECRET,
                            write_back=True) as connected:
        yield connected


def _count(app: Flask, model: Any, *where: Any) -> int:
    with get_state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _sync(app: Flask, installation_id: uuid.UUID, full: bool = False) -> sync.Counts:
    return run_sync(app, installation_id, full=full)


_work = work


def _snapshot(app: Flask) -> dict[str, int]:
    return {model.__name__: _count(app, model) for model in
            (Person, PersonLink, AtsApplication, Touchpoint, Referral)}


def _expected(data: Dataset) -> dict[str, int]:
    """What a complete sync of `data` must hold: one row per candidate, application, met stage, referral."""
    applications = data.applications()
    return {"Person": len(data.candidates), "PersonLink": len(data.candidates), "AtsApplication": len(applications),
            "Touchpoint": sum(1 for a in applications for s in a.stages if s.kind in ("screen", "interview", "offer")),
            "Referral": sum(1 for a in applications if a.referrer)}


def test_full_sync_builds_people_applications_touchpoints_and_referrals(app: Flask, greenhouse: Connected) -> None:
    counts = _sync(app, greenhouse.installation_id, full=True)
    data = greenhouse.data
    assert counts.people_created == len(data.candidates)
    assert _snapshot(app) == _expected(data)

    with get_state(app).sessions() as session:
        statuses = {link.ats_id: person.status for link, person in session.execute(
            select(PersonLink, Person).join(Person, Person.id == PersonLink.person_id))}
    for candidate in data.candidates:
        outcome = {a.status for a in candidate.applications}
        expected = (PipelineStatus.HIRED if "hired" in outcome else PipelineStatus.IN_PROCESS if "active" in outcome
                    else PipelineStatus.PASSIVE)
        assert statuses[str(candidate.id)] == expected, candidate.id
    assert _count(app, Person, Person.status == PipelineStatus.PASSIVE) >= sum(
        c.met_not_hired for c in data.candidates)


def test_running_twice_creates_nothing_new(app: Flask, greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id, full=True)
    before = _snapshot(app)
    again = _sync(app, greenhouse.installation_id, full=True)
    assert again.people_created == again.applications == again.touchpoints == again.referrals == 0
    assert _snapshot(app) == before


def test_a_candidate_matches_an_existing_person_by_email(app: Flask, tenant: Any, greenhouse: Connected) -> None:
    candidate = next(c for c in greenhouse.data.candidates if c.emails)
    mine = tenant.create("/people", {"first_name": "Known", "emails": [candidate.emails[0].upper()],
                                     "interests": ["sjakk"]})
    _sync(app, greenhouse.installation_id, full=True)
    assert _count(app, Person) == len(greenhouse.data.candidates)
    person = tenant.get(f"/people/{mine['id']}").json
    assert person["first_name"] == candidate.first_name  # the ATS is the source for names
    assert person["interests"] == ["sjakk"]  # what the recruiter typed stays
    assert [link["ats_id"] for link in person["ats_links"]] == [str(candidate.id)]


def test_incremental_sync_reads_only_what_changed(app: Flask, greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id, full=True)
    greenhouse.sim.requests.clear()
    greenhouse.data.touch([3, 7], datetime.now(UTC) + timedelta(minutes=1))
    counts = _sync(app, greenhouse.installation_id)
    changed = {str(a.candidate_id) for a in greenhouse.data.applications() if a.candidate_id in (3, 7)}
    assert counts.records == 2 + sum(1 for a in greenhouse.data.applications() if a.candidate_id in (3, 7))
    assert counts.people_updated == 2 and counts.people_created == 0
    assert len(changed) == 2
    assert len(greenhouse.sim.requests) < 20  # proportional to the change, not to the 40 candidates
    with get_state(app).sessions() as session:
        titles = set(session.scalars(select(Person.title).where(Person.title.like("%(updated)"))))
    assert len(titles) >= 1


def test_a_malformed_page_fails_clearly_and_keeps_the_bookmark(app: Flask, tenant: Any,
                                                                greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id, full=True)
    with get_state(app).sessions() as session:
        before = dict(session.execute(select(SyncBookmark.stream, SyncBookmark.value)).all())
    greenhouse.data.touch([1], datetime.now(UTC) + timedelta(minutes=1))
    greenhouse.sim.inject(Fault.MALFORMED, times=1)
    with pytest.raises(sync.SyncFailed, match="not valid JSON"):
        _sync(app, greenhouse.installation_id)
    with get_state(app).sessions() as session:
        assert dict(session.execute(select(SyncBookmark.stream, SyncBookmark.value)).all()) == before
    status = tenant.get(f"/installations/{greenhouse.installation_id}").json
    assert status["last_runs"][0]["status"] == "failed"
    assert "not valid JSON" in status["last_runs"][0]["error"]
    assert status["last_runs"][1]["status"] == "ok"


@pytest.mark.parametrize("greenhouse", [300], indirect=True)
def test_a_killed_sync_resumes_without_duplicates(app: Flask, app_config: dict, greenhouse: Connected) -> None:
    """kill -9 the `brobygger sync` process mid-sync, then sync again: everything once, nothing twice.

    The simulator holds the sync's 16th metered request (the third page of applications: the candidates'
    three pages and two pages of applications are committed by then) and the process is killed while it
    waits, so the kill lands at the same point every run."""
    greenhouse.sim.hold(after=15)
    process = subprocess.Popen(brobygger("sync", "--installation", str(greenhouse.installation_id), "--full"),
                               env=child_env(app_config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert greenhouse.sim.holding.wait(timeout=60), "the sync never reached the held request"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        greenhouse.sim.release()
    partial = _snapshot(app)
    assert 0 < partial["PersonLink"] <= len(greenhouse.data.candidates)
    assert partial["AtsApplication"] < len(greenhouse.data.applications()), "killed too late to prove anything"

    _sync(app, greenhouse.installation_id)  # no bookmark was committed: this reads everything again
    assert _snapshot(app) == _expected(greenhouse.data)
    _sync(app, greenhouse.installation_id, full=True)
    assert _snapshot(app) == _expected(greenhouse.data)


def test_webhook_is_verified_deduped_and_reflected_by_a_job(app: Flask, client: Any, greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id, full=True)
    candidate = next(c for c in greenhouse.data.candidates if any(a.status == "active" for a in c.applications)
                     and not any(a.status == "hired" for a in c.applications))
    greenhouse.data.reject(candidate.id, datetime.now(UTC))
    body, headers = webhook_delivery(WEBHOOK_SECRET, "reject_candidate", candidate)

    response = client.post(greenhouse.webhook_url, data=body, headers=headers)
    assert response.status_code == 200 and response.json == {"status": "accepted"}
    assert client.post(greenhouse.webhook_url, data=body, headers=headers).json == {"status": "duplicate"}
    assert _count(app, WebhookDelivery) == 1
    assert len(get_state(app).queue) == 1  # the replay enqueued nothing

    _work(app)
    with get_state(app).sessions() as session:
        person = session.scalars(select(Person).join(PersonLink, PersonLink.person_id == Person.id)
                                 .where(PersonLink.ats_id == str(candidate.id))).one()
        delivery = session.scalars(select(WebhookDelivery)).one()
    assert person.status == PipelineStatus.PASSIVE
    assert delivery.processed_at is not None


@pytest.mark.parametrize("tamper", ["body", "secret", "missing"])
def test_bad_webhooks_are_refused_and_store_nothing(app: Flask, client: Any, greenhouse: Connected,
                                                    tamper: str) -> None:
    candidate = greenhouse.data.candidates[0]
    body, headers = webhook_delivery(WEBHOOK_SECRET if tamper != "secret" else "wrong", "update_candidate", candidate)
    if tamper == "body":
        body = body.replace(b"update_candidate", b"hire_candidate")
    if tamper == "missing":
        headers.pop("Signature")
    response = client.post(greenhouse.webhook_url, data=body, headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == 401
    assert _count(app, WebhookDelivery) == 0 and len(get_state(app).queue) == 0


def test_webhook_ping_and_unknown_installation(client: Any, greenhouse: Connected) -> None:
    body, headers = webhook_delivery(WEBHOOK_SECRET, "ping", None)
    assert client.post(greenhouse.webhook_url, data=body, headers=headers).json == {"status": "pong"}
    response = client.post(f"/webhooks/greenhouse/{uuid.uuid4()}", data=body, headers=headers)
    assert response.status_code == 404 and response.json["code"] == 404
    assert client.post(greenhouse.webhook_url.replace("greenhouse", "lever"), data=body,
                       headers=headers).status_code == 404


def test_completing_a_follow_up_writes_a_note_back(app: Flask, tenant: Any, greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id, full=True)
    person = tenant.get("/people", query_string={"limit": 1}).json["data"][0]
    candidate = greenhouse.data.candidate(int(person["ats_links"][0]["ats_id"]))
    assert candidate is not None
    followup = tenant.create("/followups", {"person_id": person["id"], "reason": "Kaffe etter JavaZone",
                                            "due_at": "2030-12-02T09:00:00Z"})
    done = tenant.post(f"/followups/{followup['id']}/complete", json={"summary": "Tok en kaffe"})
    assert done.status_code == 200, done.json
    assert _count(app, WriteBack, WriteBack.status == "pending") == 1
    _work(app)
    assert _count(app, WriteBack, WriteBack.status == "done") == 1
    assert any("Kaffe etter JavaZone" in str(note) for note in candidate.notes)


def test_a_failing_write_back_is_visible_and_never_blocks(app: Flask, tenant: Any, greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id, full=True)
    person = tenant.get("/people", query_string={"limit": 1}).json["data"][0]
    referrer = tenant.create("/people", {"first_name": "Tipser"})
    greenhouse.sim.inject(Fault.SERVER_ERROR, times=100)
    get_state(app).settings["BROBYGGER_ATS_BACKOFF_CAP"] = 0.01  # every attempt, without production's pauses
    response = tenant.post("/referrals", json={"person_id": person["id"], "channel": "phone", "prompted": False,
                                               "referrer": {"kind": "candidate", "person_id": referrer["id"]}})
    assert response.status_code == 201  # the user is never kept waiting for the ATS
    _work(app)
    status = tenant.get(f"/installations/{greenhouse.installation_id}").json
    assert status["writebacks"].get("pending", 0) + status["writebacks"].get("failed", 0) == 2
    with get_state(app).sessions() as session:
        errors = set(session.scalars(select(WriteBack.last_error)))
    assert any(e and "HTTP 503" in e for e in errors)


def test_cron_tick_syncs_every_installation_and_recovers_lost_webhook_jobs(app: Flask, client: Any,
                                                                          greenhouse: Connected) -> None:
    from plugin.cron import tick

    body, headers = webhook_delivery(WEBHOOK_SECRET, "update_candidate", greenhouse.data.candidates[0])
    assert client.post(greenhouse.webhook_url, data=body, headers=headers).status_code == 200
    state = get_state(app)
    state.redis.flushdb()  # Redis lost the delivery's job
    with state.sessions() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        delivery.received_at -= timedelta(minutes=5)
        session.commit()
    with app.app_context():
        added = tick()
        assert tick() == []  # a second tick in the same minute adds nothing
    assert any(job_id.startswith(f"sync-{greenhouse.installation_id}-") for job_id in added)
    assert f"webhook-{delivery.id}" in added
    _work(app)
    assert _count(app, PersonLink) == len(greenhouse.data.candidates)
    assert _count(app, WebhookDelivery, WebhookDelivery.processed_at.is_(None)) == 0


def test_cli_installation_add_list_and_sync(runner: Any, tenant: Any, greenhouse: Connected, app: Flask) -> None:
    import json

    state = get_state(app)
    with state.sessions() as session:
        existing = installations.get(session, tenant.id, greenhouse.installation_id)
        base_url = existing.base_url
    result = runner.invoke(args=[
        "brobygger", "installation", "add", "--tenant", str(tenant.id), "--vendor", "greenhouse",
        "--base-url", base_url, "--client-id", greenhouse.sim.client_id, "--client-secret",
        greenhouse.sim.client_secret, "--token-url", base_url.replace("/v3", "/token"), "--webhook-secret", "s",
        "--name", "Greenhouse EU", "--json"])
    assert result.exit_code == 0, result.output
    added = json.loads(result.output)
    assert added["webhook_path"] == f"/webhooks/greenhouse/{added['installation_id']}"
    listed = json.loads(runner.invoke(args=["brobygger", "installation", "list", "--json"]).output)
    assert {row["name"] for row in listed} == {"Greenhouse", "Greenhouse EU"}
    result = runner.invoke(args=["brobygger", "sync", "--installation", added["installation_id"], "--full"])
    assert result.exit_code == 0, result.output
    assert f"{len(greenhouse.data.candidates)} people created" in result.output
    missing = runner.invoke(args=["brobygger", "installation", "add", "--tenant", str(tenant.id), "--vendor",
                                  "greenhouse", "--base-url", base_url, "--webhook-secret", "s"])
    assert missing.exit_code != 0 and "client_id" in missing.output


def test_the_simulator_sends_signed_webhooks_to_the_app_over_http(app: Flask, tenant: Any) -> None:
    """The demo path: the simulator changes a candidate as a recruiter would and posts the signed webhook."""
    import requests

    from connectors.simulators.__main__ import ControlledSimulator

    data = generate(10, seed=5)
    sim = GreenhouseSimulator(data)
    state = get_state(app)
    with serve(app) as app_url:
        controlled = ControlledSimulator("greenhouse", sim, None, WEBHOOK_SECRET)
        with serve(controlled) as sim_url, state.sessions() as session:
            installation = installations.add(
                session, state.vault, tenant.id, vendor="greenhouse", base_url=f"{sim_url}/v3",
                credentials={"client_id": sim.client_id, "client_secret": sim.client_secret,
                             "token_url": f"{sim_url}/token"}, webhook_secret=WEBHOOK_SECRET)
            controlled.webhook_url = f"{app_url}/webhooks/greenhouse/{installation.id}"
            candidate = next(c for c in data.candidates if any(a.status == "active" for a in c.applications)
                             and not any(a.status == "hired" for a in c.applications))
            answer = requests.post(f"{sim_url}/_control/webhook", timeout=10,
                                   json={"change": "reject", "candidate_id": candidate.id}).json()
            assert answer == {"sent": "reject_candidate", "candidate_id": candidate.id, "app_answered": 200}
            _work(app)
    with state.sessions() as session:
        person = session.scalars(select(Person).join(PersonLink, PersonLink.person_id == Person.id)
                                 .where(PersonLink.ats_id == str(candidate.id))).one()
    assert person.status == PipelineStatus.PASSIVE
    assert _count(app, Touchpoint, Touchpoint.person_id == person.id) >= 1  # the interview stage reached


def test_a_synced_referral_leaves_the_credit_with_the_first_referrer(app: Flask, tenant: Any,
                                                                      greenhouse: Connected) -> None:
    """Someone logged as the referrer first keeps the credit when the ATS later names another referrer."""
    referred = next(c for c in greenhouse.data.candidates if any(a.referrer for a in c.applications) and c.emails)
    person = tenant.create("/people", {"first_name": referred.first_name, "emails": [referred.emails[0]]})
    tipster = tenant.create("/people", {"first_name": "Tipser"})
    first = tenant.create("/referrals", {"person_id": person["id"], "channel": "phone", "prompted": False,
                                         "referrer": {"kind": "candidate", "person_id": tipster["id"]}})
    assert first["credited"] is True
    _sync(app, greenhouse.installation_id, full=True)
    with get_state(app).sessions() as session:
        rows = session.execute(select(Referral.origin, Referral.credited).where(
            Referral.person_id == uuid.UUID(person["id"]))).all()
    assert sorted((str(origin), credited) for origin, credited in rows) == [("api", True), ("sync", False)]


def test_cli_lever_installation_holds_a_token_per_webhook(runner: Any, tenant: Any, app: Flask) -> None:
    """Lever signs each webhook with its own token: the installation takes several and any of them verifies."""
    import json

    added = runner.invoke(args=[
        "brobygger", "installation", "add", "--tenant", str(tenant.id), "--vendor", "lever", "--base-url",
        "https://api.lever.co/v1", "--api-key", "k", "--webhook-secret", "token-stage", "--webhook-secret",
        "token-archive", "--json"])
    assert added.exit_code == 0, added.output
    installation_id = json.loads(added.output)["installation_id"]
    assert json.loads(added.output)["webhook_secrets"] == 2

    def update(*options: str) -> Any:
        return runner.invoke(args=["brobygger", "installation", "update", "--tenant", str(tenant.id),
                                   "--installation", installation_id, *options, "--json"])

    assert json.loads(update("--add-webhook-secret", "token-hired").output)["webhook_secrets"] == 3
    assert json.loads(update("--remove-webhook-secret", "token-stage").output)["webhook_secrets"] == 2
    with get_state(app).sessions() as session:
        secrets = installations.webhook_secrets(get_state(app).vault,
                                                installations.get(session, tenant.id, uuid.UUID(installation_id)))
    assert secrets == ["token-archive", "token-hired"]
    for refused, words in ((update("--remove-webhook-secret", "never-added"), "no such webhook secret"),
                           (update("--remove-webhook-secret", "token-archive", "--remove-webhook-secret",
                                   "token-hired"), "at least one webhook secret"),
                           (update(), "nothing to change")):
        assert refused.exit_code != 0 and words in refused.output, refused.output
        assert "Traceback" not in refused.output
    other = runner.invoke(args=["brobygger", "installation", "update", "--tenant", str(uuid.uuid4()),
                                "--installation", installation_id, "--add-webhook-secret", "x"])
    assert other.exit_code != 0 and "Traceback" not in other.output
