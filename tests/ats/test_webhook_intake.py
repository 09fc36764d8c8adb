"""Webhook intake for every vendor, through the app's endpoint: valid, replayed, tampered, wrong secret,
missing signature — and the job reflects the change on the person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import func, select

from connectors.simulators.base import Simulator, serve
from connectors.simulators.dataset import SimCandidate, generate
from connectors.simulators.greenhouse import GreenhouseSimulator
from connectors.simulators.greenhouse import webhook_delivery as greenhouse_delivery
from connectors.simulators.lever import LeverSimulator
from connectors.simulators.teamtailor import TeamtailorSimulator
from plugin.ats import installations, sync
from plugin.extension import get_state
from plugin.models import Person, PersonLink, PipelineStatus, WebhookDelivery

SECRET = "whsec-intake-test"
Sign = Callable[[Simulator, str, str, SimCandidate], tuple[bytes, dict[str, str]]]


def _greenhouse(sim: Any, url: str) -> dict[str, str]:
    return {"client_id": sim.client_id, "client_secret": sim.client_secret, "token_url": f"{url}/token"}


VENDORS: dict[str, tuple[type[Simulator], Callable[[Any, str], dict[str, str]], str, Sign, str]] = {
    # vendor: simulator, credentials, API root, signer, the event a rejection sends
    "greenhouse": (GreenhouseSimulator, _greenhouse, "/v3",
                   lambda sim, secret, event, c: greenhouse_delivery(secret, event, c), "reject_candidate"),
    "lever": (LeverSimulator, lambda sim, url: {"api_key": sim.api_key}, "/v1",
              lambda sim, secret, event, c: sim.webhook_delivery(secret, event, c), "candidateArchiveChange"),
    "teamtailor": (TeamtailorSimulator, lambda sim, url: {"api_key": sim.api_key}, "/v1",
                   lambda sim, secret, event, c: sim.webhook_delivery(secret, event, c), "job_application.update"),
}


@pytest.fixture(params=sorted(VENDORS))
def vendor(request: pytest.FixtureRequest, app: Flask, tenant: Any) -> Iterator[tuple[str, Any, str, Any]]:
    name = request.param
    simulator_class, credentials, root, _, _ = VENDORS[name]
    sim = simulator_class(generate(12, seed=3), rate_limit=200, window_seconds=1)
    state = get_state(app)
    with serve(sim) as url, state.sessions() as session:
        installation = installations.add(session, state.vault, tenant.id, vendor=name, base_url=f"{url}{root}",
                                         credentials=credentials(sim, url), webhook_secret=SECRET)
        sync.run(session, state.vault, installation.id, full=True)
        yield name, sim, f"/webhooks/{name}/{installation.id}", installation.id


def _deliveries(app: Flask) -> int:
    with get_state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0


def test_a_rejection_arrives_once_and_reaches_the_person(app: Flask, client: Any, vendor: Any) -> None:
    name, sim, path, _ = vendor
    candidate = next(c for c in sim.data.candidates if any(a.status == "active" for a in c.applications)
                     and not any(a.status == "hired" for a in c.applications))
    sim.data.reject(candidate.id, datetime.now(UTC))
    body, headers = VENDORS[name][3](sim, SECRET, VENDORS[name][4], candidate)
    first = client.post(path, data=body, headers=headers)
    assert (first.status_code, first.json) == (200, {"status": "accepted"})
    replay = client.post(path, data=body, headers=headers)
    assert (replay.status_code, replay.json) == (200, {"status": "duplicate"})
    assert _deliveries(app) == 1
    state = get_state(app)
    with app.app_context():
        SimpleWorker([state.queue], connection=state.redis).work(burst=True)
    with state.sessions() as session:
        statuses = set(session.scalars(select(Person.status).join(PersonLink, PersonLink.person_id == Person.id)
                                       .where(PersonLink.ats_id.in_(_ats_ids(name, sim, candidate)))))
        delivery = session.scalars(select(WebhookDelivery)).one()
    assert statuses == {PipelineStatus.PASSIVE}
    assert delivery.processed_at is not None and delivery.error is None


@pytest.mark.parametrize("vendor", ["greenhouse"], indirect=True)
def test_a_captured_greenhouse_body_with_a_new_event_id_is_a_duplicate(app: Flask, client: Any,
                                                                       vendor: Any) -> None:
    """Greenhouse signs the body only: the Greenhouse-Event-ID header is anyone's to change, so a replayed body
    under a fresh header must not be stored, queued or sent to the ATS again."""
    _, sim, path, _ = vendor
    body, headers = greenhouse_delivery(SECRET, "update_candidate", sim.data.candidates[0], event_id="evt-1")
    assert client.post(path, data=body, headers=headers).json == {"status": "accepted"}
    for n in range(2, 5):
        replay = client.post(path, data=body, headers={**headers, "Greenhouse-Event-ID": f"evt-{n}"})
        assert (replay.status_code, replay.json) == (200, {"status": "duplicate"})
    assert _deliveries(app) == 1 and len(get_state(app).queue) == 1


def _ats_ids(name: str, sim: Any, candidate: SimCandidate) -> set[str]:
    """The candidate's id as each vendor spells it (Lever's person is its contact)."""
    return {str(sim.contact_id(candidate.id))} if name == "lever" else {str(candidate.id)}


@pytest.mark.parametrize("fault", ["tampered", "wrong_secret", "missing_signature"])
def test_bad_deliveries_are_refused_and_leave_nothing(app: Flask, client: Any, vendor: Any, fault: str) -> None:
    name, sim, path, _ = vendor
    candidate = sim.data.candidates[0]
    body, headers = VENDORS[name][3](sim, "not-the-secret" if fault == "wrong_secret" else SECRET,
                                     VENDORS[name][4], candidate)
    if fault == "tampered":
        body = _tamper(name, body)
    if fault == "missing_signature":
        body, headers = _unsigned(name, body, headers)
    response = client.post(path, data=body, headers=headers)
    assert response.status_code == 401, (name, fault, response.json)
    assert response.json["code"] == 401 and response.json["message"].startswith("Webhook refused")
    assert _deliveries(app) == 0 and len(get_state(app).queue) == 0


def _tamper(name: str, body: bytes) -> bytes:
    import json

    document = json.loads(body)
    if name == "lever":  # Lever signs token + triggeredAt only: tampering with them is what it can detect
        document["triggeredAt"] += 1
    elif name == "teamtailor":
        document["payload"]["data"]["id"] = "999999"
    else:
        document["payload"]["rejected"] = True
    return json.dumps(document).encode() if name != "greenhouse" else body.replace(b"{", b'{"x":1,', 1)


def _unsigned(name: str, body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    import json

    if name == "lever":
        document = json.loads(body)
        document.pop("signature")
        return json.dumps(document).encode(), headers
    return body, {k: v for k, v in headers.items() if k not in ("Signature", "TT-Signature")}


def test_webhook_jobs_share_the_vendors_reference_lists_but_never_its_people(
        app: Flask, client: Any, tenant: Any) -> None:
    """A webhook job builds a connector to refresh one candidate. Jobs, stages, sources and rejection reasons
    come from the cache after the first job; referrers and users (people) are read by each job, and a job
    naming an id the cached list lacks reads that list afresh."""
    sim = GreenhouseSimulator(generate(12, seed=3), rate_limit=200, window_seconds=1)
    state = get_state(app)
    with serve(sim) as url, state.sessions() as session:
        installation = installations.add(session, state.vault, tenant.id, vendor="greenhouse", base_url=f"{url}/v3",
                                         credentials=_greenhouse(sim, url), webhook_secret=SECRET)
        path = f"/webhooks/greenhouse/{installation.id}"

        def deliver_and_work(candidate: SimCandidate) -> list[str]:
            before = len(sim.requests)
            body, headers = greenhouse_delivery(SECRET, "candidate_stage_change", candidate)
            assert client.post(path, data=body, headers=headers).status_code == 200
            with app.app_context():
                SimpleWorker([state.queue], connection=state.redis).work(burst=True)
            return [r.path.rsplit("/", 1)[-1] for r in sim.requests[before:]]

        lists = {"jobs", "job_interview_stages", "sources", "rejection_reasons"}
        first, second = (deliver_and_work(c) for c in sim.data.candidates[:2])
        assert lists <= set(first)
        assert not lists & set(second), second
        assert {"candidates", "applications"} <= set(second)
        moved = sim.data.candidates[2]
        moved.applications[0].job_id, moved.applications[0].job_name = 999_001, "Brand-new role"
        assert "jobs" in deliver_and_work(moved)  # an id the cached list lacks: read afresh
    with state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)
                              .where(WebhookDelivery.processed_at.is_not(None))) == 3
    assert all(b"@" not in state.redis.get(k) for k in state.redis.keys("brobygger:ats-lookup:*"))
