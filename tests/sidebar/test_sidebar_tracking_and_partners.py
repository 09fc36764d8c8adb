"""Start tracking an unknown ATS candidate (against the Greenhouse simulator over real HTTP), and the Teamtailor
partner route: activation, config, the webhook that puts the Partner Result card (PUT to a real HTTP server
standing in for Teamtailor's API), the card's buttons and its link into the sidebar."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jwt
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from connectors.simulators.base import serve
from connectors.simulators.dataset import Dataset, generate
from connectors.simulators.greenhouse import GreenhouseSimulator
from plugin.ats import installations
from plugin.extension import get_state
from plugin.login.account import handoff_url
from plugin.models import Person, PersonLink
from tests.sidebar_support import act, open_sidebar


@pytest.fixture
def kari(tenant: Any) -> dict:
    return tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Nordmann", "language": "en"})


@pytest.fixture
def greenhouse(app: Flask, tenant: Any) -> Iterator[Dataset]:
    data = generate(6, seed=5)
    sim = GreenhouseSimulator(data, rate_limit=200, window_seconds=1)
    state = get_state(app)
    with serve(sim) as url, state.sessions() as session:
        installations.add(session, state.vault, tenant.id, vendor="greenhouse", base_url=f"{url}/v3",
                          credentials={"client_id": sim.client_id, "client_secret": sim.client_secret,
                                       "token_url": f"{url}/token"}, webhook_secret="whsec")
        yield data


def test_start_tracking_pulls_the_candidate_from_greenhouse(app: Flask, client: Any, tenant: Any, kari: dict,
                                                            greenhouse: Dataset) -> None:
    candidate = next(c for c in greenhouse.candidates if not c.deleted)
    response, token = open_sidebar(client, tenant, {"vendor": "greenhouse", "candidate_id": str(candidate.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not tracked yet" in page and "Start tracking" in page
    assert act(client, token, "touch", {"summary": "too early"}).status_code == 409
    tracked = act(client, token, "track")
    assert tracked.status_code == 200, tracked.json
    assert f"{candidate.first_name} {candidate.last_name}" in tracked.json["html"]
    with get_state(app).sessions() as session:
        person = session.scalars(select(Person).join(PersonLink, PersonLink.person_id == Person.id)
                                 .where(PersonLink.ats_id == str(candidate.id))).one()
        assert str(person.owner_id) == kari["id"] and person.tenant_id == tenant.id
    logged = act(client, tracked.json["token"], "touch", {"summary": "First coffee"})
    assert logged.status_code == 200 and "First coffee" in logged.json["html"]
    _, missing_token = open_sidebar(client, tenant, {"vendor": "greenhouse", "candidate_id": "999999"})
    assert act(client, missing_token, "track").status_code == 404


def test_start_tracking_uses_only_the_tenants_own_installation(client: Any, other_tenant: Any,
                                                              greenhouse: Dataset) -> None:
    other_tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari", "language": "en"})
    candidate = greenhouse.candidates[0]
    _, token = open_sidebar(client, other_tenant, {"vendor": "greenhouse", "candidate_id": str(candidate.id)})
    refused = act(client, token, "track")
    assert refused.status_code == 422 and "no active Greenhouse connection" in refused.json["message"]  # by its name


class TeamtailorApi:
    """Stands in for Teamtailor's API at the partner result's update-url: records what it is sent."""

    def __init__(self) -> None:
        self.puts: list[tuple[str, dict[str, str], dict]] = []

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        self.puts.append((request.path, dict(request.headers), json.loads(request.get_data() or b"{}")))
        return Response(json.dumps({"data": {}}), 200, mimetype="application/vnd.api+json")(environ, start_response)


@pytest.fixture
def teamtailor(app: Flask, tenant: Any) -> Iterator[tuple[str, uuid.UUID, TeamtailorApi]]:
    api = TeamtailorApi()
    state = get_state(app)
    with serve(api) as url, state.sessions() as session:
        installation = installations.add(session, state.vault, tenant.id, vendor="teamtailor", base_url=f"{url}/v1",
                                         credentials={"api_key": "tt-key"}, webhook_secret="tt-secret")
        yield url, installation.id, api


def _link(app: Flask, tenant: Any, installation_id: uuid.UUID, person_id: str, ats_id: str) -> None:
    with get_state(app).sessions() as session:
        session.add(PersonLink(tenant_id=tenant.id, person_id=uuid.UUID(person_id), installation_id=installation_id,
                               ats_id=ats_id))
        session.commit()


def _event(url: str, candidate_id: int, referrals: list[dict] | None = None) -> dict:
    return {"partner-event": {
        "id": "f3d7e8e2-da33-4c10-ae5f-0e7f4d46f6d7", "webhook-data": {"keep-in-touch-months": "6"},
        "partner-result": {"id": "1a6d5a41", "status": "sending",
                           "update-url": f"{url}/partner/v1/partner-results/1a6d5a41"},
        "candidate": {"id": candidate_id, "first-name": "Juston", "last-name": "Becker",
                      "referrals": referrals or []},
        "company": {"uuid": "vAXspNm0J2Y", "name": "Acme"}}}


def test_teamtailor_partner_route(app: Flask, client: Any, tenant: Any, other_tenant: Any, kari: dict,
                                  teamtailor: tuple[str, uuid.UUID, TeamtailorApi]) -> None:
    url, installation_id, api = teamtailor
    fields = client.get("/partners/teamtailor/activation?company_uuid=vAXspNm0J2Y").json["config"]["fields"]
    assert [f.get("id") for f in fields] == [None, "brobygger_code"]
    code = tenant.post("/sidebar/teamtailor-codes", json={"installation_id": str(installation_id)}).json["code"]
    assert other_tenant.post("/sidebar/teamtailor-codes",
                             json={"installation_id": str(installation_id)}).status_code == 404
    # Teamtailor turns the activation form into a JWT signed with its partner key: the code inside counts.
    bearer = {"Authorization": "Bearer " + jwt.encode({"brobygger_code": code}, "teamtailor-partner-key-xxxxxxxxxx")}
    assert client.get("/partners/teamtailor/config").json["config"]["fields"][0]["type"] == "error"
    config = client.get("/partners/teamtailor/config?job_id=1&stage_id=2&user_id=3", headers=bearer).json
    assert config["config"]["fields"][1]["id"] == "keep_in_touch_months"
    wrong = client.post("/partners/teamtailor/webhook", json=_event(url, 1), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.mimetype == "text/plain"

    person = tenant.create("/people", {"first_name": "Juston", "last_name": "Becker", "owner_id": kari["id"]})
    tenant.post(f"/people/{person['id']}/touchpoints",
                json={"kind": "meeting", "occurred_at": "2026-03-12T10:00:00Z", "summary": "Met at NDC"})
    _link(app, tenant, installation_id, person["id"], "54321")
    response = client.post("/partners/teamtailor/webhook", headers=bearer,
                           json=_event(url, 54321, [{"id": 1, "name": "John Doe", "email": "john@example.com"}]))
    assert response.status_code == 200, response.get_data(as_text=True)
    path, headers, body = api.puts[-1]
    assert path == "/partner/v1/partner-results/1a6d5a41" and headers["Authorization"] == bearer["Authorization"]
    card = body["data"]["attributes"]
    assert body["data"]["type"] == "partner-results" and card == response.json["partner-result"]
    # The card speaks the tenant's language, Norwegian by default.
    assert "Siste kontakt" in card["summary"] and "12" in card["summary"]
    assert card["details"]["Status"] == "passiv"
    assert [a["buttonText"] for a in card["actions"]] == ["Hold kontakten om 6 måneder", "Registrer anbefaling"]

    keep = client.post(urlsplit(card["actions"][0]["endpoint"]).path)
    assert keep.status_code == 200 and keep.json["message"].startswith("Oppfølging planlagt")
    followups = [f for f in tenant.get("/followups", query_string={"person_id": person["id"]}).json["data"]
                 if f["reason"] == "Hold kontakten (fra Teamtailor-kortet)"]  # the meeting made a thank-you too
    due = datetime.fromisoformat(followups[0]["due_at"]).astimezone(ZoneInfo("Europe/Oslo"))
    assert len(followups) == 1 and due.hour == 9 and followups[0]["owner_id"] == kari["id"]
    assert 179 <= (due.date() - datetime.now(ZoneInfo("Europe/Oslo")).date()).days <= 185

    referral = client.post(urlsplit(card["actions"][1]["endpoint"]).path)
    assert referral.status_code == 200 and referral.json["message"] == "Anbefaling registrert."
    again = client.post("/partners/teamtailor/webhook", headers=bearer,
                        json=_event(url, 54321, [{"id": 1, "name": "John Doe", "email": "john@example.com"}]))
    assert client.post(urlsplit(again.json["partner-result"]["actions"][1]["endpoint"]).path).json["message"] == \
        "Denne anbefalingen er allerede registrert."  # a later card's button for the same referral
    logged = tenant.get("/referrals", query_string={"person_id": person["id"]}).json["data"]
    assert [(r["prompted"], r["channel"]) for r in logged] == [(True, "other")]
    tampered = urlsplit(card["actions"][0]["endpoint"]).path[:-4] + "AAAA"
    assert client.post(tampered).status_code == 401

    open_path = urlsplit(card["url"]).path
    assert client.get(open_path).status_code == 401  # nobody signed in to Brobygger in this browser
    with app.test_request_context():
        from plugin.models import Recruiter

        with get_state(app).sessions() as session:
            recruiter = session.get(Recruiter, uuid.UUID(kari["id"]))
            handoff = handoff_url(recruiter)
    assert client.get(urlsplit(handoff).path).status_code == 302  # signed in, first party
    opened = client.get(open_path)
    assert opened.status_code == 302 and "/sidebar/launch?jwt=" in opened.headers["Location"]
    sidebar_page = client.get(opened.headers["Location"], follow_redirects=True)  # the launch, then the page
    assert sidebar_page.status_code == 200 and "Juston Becker" in sidebar_page.get_data(as_text=True)


def test_teamtailor_card_for_an_untracked_candidate(client: Any, tenant: Any, kari: dict,
                                                    teamtailor: tuple[str, uuid.UUID, TeamtailorApi]) -> None:
    url, installation_id, api = teamtailor
    code = tenant.post("/sidebar/teamtailor-codes", json={"installation_id": str(installation_id)}).json["code"]
    response = client.post("/partners/teamtailor/webhook", json=_event(url, 777),
                           headers={"Authorization": f"Bearer {code}"})  # an activation without fields: the bare code
    card = response.json["partner-result"]
    assert card["summary"] == "Følges ikke i Brobygger ennå." and len(card["actions"]) == 1
    assert api.puts and api.puts[-1][2]["data"]["attributes"] == card


def _card(client: Any, code: str, event: dict) -> Any:
    return client.post("/partners/teamtailor/webhook", json=event, headers={"Authorization": f"Bearer {code}"})


def test_teamtailor_card_buttons_act_once(app: Flask, client: Any, tenant: Any, kari: dict,
                                          teamtailor: tuple[str, uuid.UUID, TeamtailorApi]) -> None:
    url, installation_id, _ = teamtailor
    code = tenant.post("/sidebar/teamtailor-codes", json={"installation_id": str(installation_id)}).json["code"]
    person = tenant.create("/people", {"first_name": "Juston", "last_name": "Becker", "owner_id": kari["id"]})
    _link(app, tenant, installation_id, person["id"], "54321")
    card = _card(client, code, _event(url, 54321, [{"id": 1, "name": "John Doe"}])).json["partner-result"]
    keep, referral = (urlsplit(action["endpoint"]).path for action in card["actions"])
    assert client.post(keep).status_code == 200 and client.post(referral).status_code == 200
    for path in (keep, referral, keep):  # replayed POSTs: the URLs stay on the card for a year
        replayed = client.post(path)
        assert replayed.status_code == 409 and replayed.mimetype == "text/plain", replayed.get_data(as_text=True)
    planned = tenant.get("/followups", query_string={"person_id": person["id"]}).json["data"]
    assert len(planned) == 1
    assert len(tenant.get("/referrals", query_string={"person_id": person["id"]}).json["data"]) == 1
    opened = client.get(urlsplit(card["url"]).path)
    assert opened.status_code == 401 and client.get(urlsplit(card["url"]).path).status_code == 401  # the link stays


def test_teamtailor_update_url_on_another_port_is_not_called(client: Any, tenant: Any,
                                                             teamtailor: tuple[str, uuid.UUID, TeamtailorApi]) -> None:
    url, installation_id, api = teamtailor
    code = tenant.post("/sidebar/teamtailor-codes", json={"installation_id": str(installation_id)}).json["code"]
    stranger = TeamtailorApi()
    with serve(stranger) as other:
        assert urlsplit(other).hostname == urlsplit(url).hostname and urlsplit(other).port != urlsplit(url).port
        for update_url in (f"{other}/partner/v1/partner-results/1", f"{url}:{urlsplit(other).port}/x",
                           "http://[::1/x", f"{url.replace('http:', 'ftp:')}/x",
                           f"http://{urlsplit(url).hostname}:99999/x"):
            event = _event(url, 777)
            event["partner-event"]["partner-result"]["update-url"] = update_url
            response = _card(client, code, event)
            assert response.status_code == 200, (update_url, response.get_data(as_text=True))
            assert stranger.puts == [] and api.puts == [], update_url
    assert _card(client, code, _event(url, 777)).status_code == 200 and len(api.puts) == 1  # its own port: yes


@pytest.mark.parametrize("referrals", [{"id": 1, "name": "John Doe"}, "John Doe", 7, [None, "x"], [{"name": 5}]])
def test_teamtailor_webhook_with_odd_referrals_answers_without_a_referral_button(
        client: Any, tenant: Any, teamtailor: tuple[str, uuid.UUID, TeamtailorApi], referrals: Any) -> None:
    url, installation_id, _ = teamtailor
    code = tenant.post("/sidebar/teamtailor-codes", json={"installation_id": str(installation_id)}).json["code"]
    event = _event(url, 777)
    event["partner-event"]["candidate"]["referrals"] = referrals
    response = _card(client, code, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.json["partner-result"]["actions"]) == 1


@pytest.mark.parametrize("body", [[1], "x", {"partner-event": []}, {"partner-event": {"candidate": {"id": {"a": 1}}}},
                                  {"partner-event": {"candidate": {"id": True}}},
                                  {"partner-event": {"candidate": {"id": ""}}},
                                  {"partner-event": {"candidate": {"id": "9" * 65}}}])
def test_teamtailor_webhook_without_a_usable_candidate_is_422(client: Any, tenant: Any, body: Any,
                                                              teamtailor: tuple[str, uuid.UUID, TeamtailorApi]) -> None:
    _, installation_id, api = teamtailor
    code = tenant.post("/sidebar/teamtailor-codes", json={"installation_id": str(installation_id)}).json["code"]
    response = _card(client, code, body)
    assert response.status_code == 422 and response.mimetype == "text/plain", response.get_data(as_text=True)
    assert api.puts == []
