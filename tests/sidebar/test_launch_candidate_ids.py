"""A launch's `ctx` and a Teamtailor partner event name the ATS candidate whose id later goes into the vendor's
URLs: a malformed id is refused where it comes in, before anything reaches the ATS (Teamtailor's simulator over
real HTTP, behind a recorder of every request)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from connectors.simulators.base import serve
from connectors.simulators.dataset import Dataset, generate
from connectors.simulators.teamtailor import TeamtailorSimulator
from plugin.ats import installations
from plugin.extension import get_state
from tests.sidebar_support import act, open_sidebar


class Recorder:
    def __init__(self, app: Any) -> None:
        self.app, self.seen = app, []

    def __call__(self, environ: dict, start_response: Any) -> Any:
        self.seen.append(environ["PATH_INFO"])
        return self.app(environ, start_response)


@pytest.fixture
def teamtailor(app: Flask, tenant: Any) -> Iterator[tuple[Dataset, Recorder]]:
    tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Nordmann", "language": "en"})
    data = generate(4, seed=6)
    sim = TeamtailorSimulator(data, rate_limit=200, window_seconds=1)
    recorder = Recorder(sim)
    state = get_state(app)
    with serve(recorder) as url, state.sessions() as session:
        installations.add(session, state.vault, tenant.id, vendor="teamtailor", base_url=f"{url}/v1",
                          credentials={"api_key": sim.api_key}, webhook_secret="whsec")
        yield data, recorder


@pytest.mark.parametrize("candidate_id", ["../../admin/secret?x=1", "7/../../admin", "7?x=1", " 7"])
def test_a_launch_naming_a_malformed_candidate_id_is_refused(client: Any, tenant: Any, candidate_id: str,
                                                             teamtailor: tuple[Dataset, Recorder]) -> None:
    _, recorder = teamtailor
    response, token = open_sidebar(client, tenant, {"vendor": "teamtailor", "candidate_id": candidate_id})
    assert response.status_code == 401 and token == ""
    assert "an id that Teamtailor does not use" in response.get_data(as_text=True)
    assert recorder.seen == []


def test_a_launch_naming_a_teamtailor_candidate_is_tracked(client: Any, tenant: Any,
                                                           teamtailor: tuple[Dataset, Recorder]) -> None:
    data, recorder = teamtailor
    candidate = next(c for c in data.candidates if not c.deleted)
    response, token = open_sidebar(client, tenant, {"vendor": "teamtailor", "candidate_id": str(candidate.id)})
    assert response.status_code == 200 and "Start tracking" in response.get_data(as_text=True)
    assert act(client, token, "track").status_code == 200
    assert f"/v1/candidates/{candidate.id}" in recorder.seen


@pytest.mark.parametrize("candidate_id", ["../../admin/secret?x=1", "7/../../admin", "7?x=1"])
def test_a_partner_event_naming_a_malformed_candidate_id_makes_no_card(client: Any, tenant: Any, candidate_id: str,
                                                                     teamtailor: tuple[Dataset, Recorder]) -> None:
    _, recorder = teamtailor
    installation_id = tenant.get("/installations").json["data"][0]["id"]
    code = tenant.post("/sidebar/teamtailor-codes", json={"installation_id": installation_id}).json["code"]
    event = {"partner-event": {"candidate": {"id": candidate_id}, "partner-result": {
        "id": "1a6d5a41", "update-url": "http://127.0.0.1:9/partner/v1/partner-results/1a6d5a41"}}}
    response = client.post("/partners/teamtailor/webhook", json=event, headers={"Authorization": f"Bearer {code}"})
    assert response.status_code == 422 and "not a Teamtailor id" in response.get_data(as_text=True)
    assert recorder.seen == []
