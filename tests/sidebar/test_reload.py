"""The sidebar survives a reload: the launch spends its single-use link and redirects the frame to the sidebar page,
whose URL carries the sidebar token instead, so loading it again shows the sidebar for the token's life — framed
only by the tenant's ATS, with no referrer and no cache to carry the token away, and no cookie."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from connectors.simulators.base import serve
from connectors.simulators.dataset import Dataset, generate
from connectors.simulators.greenhouse import GreenhouseSimulator
from plugin.ats import installations
from plugin.extension import get_state
from plugin.observability import logs
from plugin.sidebar import tokens
from plugin.sidebar.launch import LAUNCH_PATH
from tests.sidebar_support import TOKEN_META, act, launch_token, set_origins

ATS = "https://acme.teamtailor.com"


@pytest.fixture
def kari(app: Flask, tenant: Any) -> dict:
    set_origins(app, tenant.id, [ATS])
    return tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Nordmann", "language": "en"})


@pytest.fixture
def person(tenant: Any, kari: dict) -> dict:
    return tenant.create("/people", {"first_name": "Øystein", "last_name": "Bråten", "owner_id": kari["id"]})


def _launch(client: Any, tenant: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    """The launch's answer: a redirect to the sidebar page; returns the page's path with its query, and the jwt."""
    jwt = launch_token(tenant, ctx)
    response = client.get(LAUNCH_PATH, query_string={"jwt": jwt})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert f"frame-ancestors 'self' {ATS}" in response.headers["Content-Security-Policy"]
    location = urlsplit(response.headers["Location"])
    return f"{location.path}?{location.query}", jwt


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_a_reload_shows_the_sidebar_again_and_the_launch_link_stays_single_use(client: Any, tenant: Any,
                                                                               person: dict) -> None:
    page, jwt = _launch(client, tenant, {"person_id": person["id"]})
    assert page.startswith("/sidebar/view?token=") and jwt not in page and "jwt" not in page
    url_token = parse_qs(urlsplit(page).query)["token"][0]
    for _ in range(3):  # the redirect's load, then two reloads of the frame
        response = client.get(page)
        assert response.status_code == 200
        assert "Øystein Bråten" in _text(response) and "used already" not in _text(response)
        assert TOKEN_META.search(_text(response)).group(1) == url_token  # the same token: a reload never renews it
    assert act(client, url_token, "touch", {"summary": "After the reload"}).status_code == 200
    replay = client.get(LAUNCH_PATH, query_string={"jwt": jwt})  # the launch link itself is spent
    assert replay.status_code == 401 and "used already" in _text(replay)


def test_the_page_is_framed_by_the_tenants_ats_only_and_lets_no_referrer_out(client: Any, tenant: Any,
                                                                             person: dict) -> None:
    page, _ = _launch(client, tenant, {"person_id": person["id"]})
    response = client.get(page)
    headers = response.headers
    assert f"frame-ancestors 'self' {ATS}" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers and "Set-Cookie" not in headers
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    html = _text(response)
    assert '<meta name="referrer" content="no-referrer">' in html
    assert re.search(r'<a href="[^"]+" target="_blank" rel="noopener noreferrer" id="open-queue">', html)
    # the access log writes the path with the token redacted, as it does for ?jwt=
    assert logs.redact(page) == "/sidebar/view?token=[redacted]"


def _signed_in_the_past(secret: str, claims: dict[str, Any], seconds_ago: int) -> str:
    """A sidebar token as the launch would have signed it `seconds_ago`."""
    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(secret, salt=tokens.SALT, signer=Then).dumps(claims)


def test_an_expired_or_forged_page_token_is_refused_without_data(app: Flask, client: Any, tenant: Any,
                                                                 kari: dict, person: dict) -> None:
    page, _ = _launch(client, tenant, {"person_id": person["id"]})
    claims = {"t": str(tenant.id), "r": kari["id"], "p": person["id"], "h": True}
    secret = get_state(app).setting("SECRET_KEY")
    almost = _signed_in_the_past(secret, claims, tokens.LIFETIME - 60)
    assert client.get("/sidebar/view", query_string={"token": almost}).status_code == 200  # alive for its life
    expired = client.get("/sidebar/view", query_string={"token": _signed_in_the_past(secret, claims,
                                                                                     tokens.LIFETIME + 60)})
    assert expired.status_code == 401 and "open too long" in _text(expired) and "Øystein" not in _text(expired)
    assert f"frame-ancestors 'self' {ATS}" in expired.headers["Content-Security-Policy"]  # its ATS shows why
    url_token = parse_qs(urlsplit(page).query)["token"][0]
    forged = client.get("/sidebar/view", query_string={"token": url_token[:-4] + "AAAA"})
    assert forged.status_code == 401 and "not valid" in _text(forged) and "Øystein" not in _text(forged)
    garbage = client.get("/sidebar/view", query_string={"token": "nonsense"})
    assert garbage.status_code == 401 and "frame-ancestors 'none'" in garbage.headers["Content-Security-Policy"]
    assert client.get("/sidebar/view").status_code == 401


def test_a_recruiter_who_may_no_longer_act_cannot_reload(client: Any, tenant: Any, kari: dict, person: dict) -> None:
    page, _ = _launch(client, tenant, {"person_id": person["id"]})
    assert tenant.patch(f"/recruiters/{kari['id']}", json={"active": False}).status_code == 200
    refused = client.get(page)
    assert refused.status_code == 401 and "Øystein" not in _text(refused)


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


def test_after_tracking_starts_the_address_opens_the_tracked_person(client: Any, tenant: Any, kari: dict,
                                                                    greenhouse: Dataset) -> None:
    candidate = next(c for c in greenhouse.candidates if not c.deleted)
    page, _ = _launch(client, tenant, {"vendor": "greenhouse", "candidate_id": str(candidate.id)})
    untracked = client.get(page)
    assert untracked.status_code == 200 and "Start tracking" in _text(untracked)
    assert "Start tracking" in _text(client.get(page))  # the untracked page reloads as it was
    tracked = act(client, TOKEN_META.search(_text(untracked)).group(1), "track")
    assert tracked.status_code == 200, tracked.json
    new_page = tracked.json["url"]  # what the script puts in the address bar (history.replaceState)
    assert parse_qs(urlsplit(new_page).query)["token"] == [tracked.json["token"]]
    reloaded = client.get(new_page)
    assert reloaded.status_code == 200 and f"{candidate.first_name} {candidate.last_name}" in _text(reloaded)
    assert "Start tracking" not in _text(reloaded)
    assert uuid.UUID(str(tokens.Signer(get_state(client.application).setting("SECRET_KEY"), tokens.SALT)
                         .read(tracked.json["token"])["p"]))  # the new token names the person now
