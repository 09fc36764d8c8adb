"""The browser extension's side of the deployment, over HTTP as the extension calls it: connecting once, the
token's reach (one recruiter, the sidebar only) and its revocation, the launch for each kind of page, LinkedIn
tracking, and CORS for the extension's origin only."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.extension import get_state
from plugin.models import AuditEvent, BrowserToken, FollowUp, Person
from tests.browser import support
from tests.pages import make_recruiter, post_form, sign_in


@pytest.fixture
def kari(tenant: Any) -> dict:
    return make_recruiter(tenant, language="en")


@pytest.fixture
def world(app: Flask, tenant: Any, kari: dict) -> support.World:
    return support.build(app, tenant, kari)


@pytest.fixture
def token(app: Flask, client: FlaskClient, kari: dict) -> str:
    return support.connect(app, client, kari["id"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def launch(client: FlaskClient, token: str, kind: str, page_id: str) -> Any:
    return client.post("/api/browser/launches", json={"kind": kind, "id": page_id}, headers=bearer(token))


def opened(client: FlaskClient, url: str) -> tuple[Any, str]:
    """The launch URL as the panel's frame loads it: the launch, then the page it redirects to."""
    parts = urlsplit(url)
    first = client.get(f"{parts.path}?{parts.query}")
    assert first.status_code == 303, first.get_data(as_text=True)
    page = client.get(first.headers["Location"])
    return page, page.get_data(as_text=True)


def test_connecting_takes_the_recruiters_confirmation_and_gives_one_token(app: Flask, client: FlaskClient,
                                                                           kari: dict) -> None:
    started = client.post("/api/browser/connections", headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) "
                                                                "Chrome/156.0 Safari/537.36 Edg/156.0"})
    assert started.status_code == 201
    pending = started.json
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", pending["user_code"])
    assert pending["verification_url"].endswith(f"/browser/connect?code={pending['user_code']}")
    poll = {"device_code": pending["device_code"]}
    assert client.post("/api/browser/tokens", json=poll).status_code == 202  # not confirmed yet

    # Not signed in: the page sends the recruiter to sign in, and back here afterwards.
    path = urlsplit(pending["verification_url"]).path + "?" + urlsplit(pending["verification_url"]).query
    refused = client.get(path)
    assert refused.status_code == 302 and "/login?next=" in refused.headers["Location"]
    sign_in(app, client, kari["id"])
    page = client.get(path).get_data(as_text=True)
    assert pending["user_code"] in page and "Kari Nordmann" in page
    assert "The browser asking to connect: Edge (Windows)." in page  # a code someone sent would name another
    unknown = client.get("/browser/connect?code=BCDF-GHJK").get_data(as_text=True)
    assert "No browser is waiting for this code" in unknown and "asking to connect" not in unknown

    wrong = post_form(client, "/browser/connect", {"code": "BCDF-GHJK"})
    assert wrong.status_code == 422 and "No browser is waiting for this code" in wrong.get_data(as_text=True)
    assert post_form(client, "/browser/connect", {"code": pending["user_code"].lower()}).status_code == 200

    issued = client.post("/api/browser/tokens", json=poll)
    assert issued.status_code == 201
    assert issued.json["token"].startswith("bbx_") and issued.json["recruiter"]["email"] == "kari@acme.no"
    again = client.post("/api/browser/tokens", json=poll)  # a device code gives one token, once
    assert again.status_code == 404 and again.json["code"] == 404
    me = client.get("/api/browser/me", headers=bearer(issued.json["token"]))
    assert me.status_code == 200 and me.json["recruiter"]["name"] == "Kari Nordmann"

    with get_state(app).sessions() as session:
        rows = session.scalars(select(BrowserToken)).all()
        assert [(r.label, r.recruiter_id) for r in rows] == [("Edge (Windows)", uuid.UUID(kari["id"]))]
        assert issued.json["token"] not in str([r.token_hash for r in rows])  # only its digest is kept
        assert session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "browser_token")).action == "connect"


def test_the_sign_in_link_lands_on_the_connect_page(app: Flask, client: FlaskClient, kari: dict) -> None:
    from plugin.login import links
    from plugin.models import Recruiter

    form = client.get("/login?next=/browser/connect?code=BCDF-GHJK").get_data(as_text=True)
    assert 'name="next" value="/browser/connect?code=BCDF-GHJK"' in form
    post_form(client, "/login", {"email": "kari@acme.no", "next": "/browser/connect?code=BCDF-GHJK"})
    state = get_state(app)
    with state.sessions() as session:
        token = links.make_token(state.setting("SECRET_KEY"), session.get(Recruiter, uuid.UUID(kari["id"])), "mail")
    landed = client.get(f"/login/{token}")
    assert landed.status_code == 302 and landed.headers["Location"] == "/browser/connect?code=BCDF-GHJK"
    # Another site as the landing is never kept.
    post_form(client, "/login", {"email": "kari@acme.no", "next": "//evil.example/"})
    with client.session_transaction() as cookie:
        assert "brobygger_next" not in cookie


def test_the_settings_page_lists_and_revokes_the_browser(app: Flask, client: FlaskClient, kari: dict,
                                                         token: str, tenant: Any) -> None:
    page = client.get("/settings").get_data(as_text=True)
    listed = re.search(r'data-browser="([0-9a-f-]+)"', page)
    assert listed and "Connected browsers" in page
    # Another recruiter cannot revoke Kari's browser: not found.
    ola = make_recruiter(tenant, email="ola@acme.no", name="Ola")
    other = app.test_client()
    sign_in(app, other, ola["id"])
    other.get("/settings")
    assert post_form(other, f"/browser/tokens/{listed.group(1)}/revoke").status_code == 404
    assert client.get("/api/browser/me", headers=bearer(token)).status_code == 200

    revoked = post_form(client, f"/browser/tokens/{listed.group(1)}/revoke", follow_redirects=True)
    assert revoked.status_code == 200 and "The browser is disconnected" in revoked.get_data(as_text=True)
    assert "data-browser=" not in revoked.get_data(as_text=True)
    gone = client.get("/api/browser/me", headers=bearer(token))
    assert gone.status_code == 401 and gone.json["message"].startswith("This browser is not connected")
    assert launch(client, token, "greenhouse", "4711").status_code == 401


def test_the_token_opens_the_sidebar_and_reaches_nothing_else(client: FlaskClient, token: str, tenant: Any,
                                                              world: support.World) -> None:
    # It is no API key: the API refuses it.
    assert client.get("/api/v1/people", headers=bearer(token)).status_code == 401
    assert client.post("/api/v1/recruiters", json={"email": "x@acme.no", "name": "X", "is_admin": True},
                       headers=bearer(token)).status_code == 401
    # The extension signs itself out: the token stops working.
    assert client.delete("/api/browser/token", headers=bearer(token)).status_code == 204
    assert client.get("/api/browser/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("kind", ["greenhouse", "lever", "teamtailor", "ashby", "workable", "linkedin"])
def test_each_kind_of_page_opens_its_person(client: FlaskClient, token: str, world: support.World,
                                            kind: str) -> None:
    host, _path, name = support.PAGES[kind]
    page_id = {"greenhouse": "4711", "lever": support.LEVER_OPPORTUNITY, "teamtailor": "3071",
               "ashby": support.ASHBY_CANDIDATE, "workable": support.WORKABLE_PAGE, "linkedin": "live-linde"}[kind]
    answer = launch(client, token, kind, page_id)
    assert answer.status_code == 200 and answer.json["known"] is True
    page, html = opened(client, answer.json["url"])
    assert page.status_code == 200 and name in html
    # Framed by that kind's site (and nobody's else), besides the tenant's own ATS origins.
    ancestors = page.headers["Content-Security-Policy"].split("frame-ancestors ")[1]
    assert ancestors == {"workable": "'self' https://*.workable.com"}.get(kind, f"'self' https://{host}")


def test_an_unknown_candidate_can_be_tracked_and_another_tenants_is_unknown(
        app: Flask, client: FlaskClient, token: str, world: support.World, other_tenant: Any) -> None:
    answer = launch(client, token, "greenhouse", "999")
    assert answer.json["known"] is False
    _, html = opened(client, answer.json["url"])
    assert "Not tracked yet" in html and "Start tracking" in html
    # Rival's Lever person is not Acme's, whatever the id.
    rival = support.build(app, other_tenant, make_recruiter(other_tenant, email="rival@rival.no"))
    assert rival.people["lever"] != world.people["lever"]
    with get_state(app).sessions() as session:
        session.execute(Person.__table__.delete().where(Person.id == uuid.UUID(world.people["lever"])))
        session.commit()
    answer = launch(client, token, "lever", support.LEVER_OPPORTUNITY)
    assert answer.json["known"] is False
    _, html = opened(client, answer.json["url"])
    assert "Not tracked yet" in html and "Lars" not in html and "Start tracking" not in html
    assert "shows here once the next sync has brought them in" in html


@pytest.mark.parametrize("body, field", [
    ({"kind": "bamboohr", "id": "1"}, "kind"), ({"kind": "greenhouse", "id": "12a"}, "id"),
    ({"kind": "lever", "id": "../../admin"}, "id"), ({"kind": "linkedin", "id": "a/b"}, "id"),
    ({"kind": "greenhouse"}, "id"), ({"kind": "greenhouse", "id": 4711}, "id")])
def test_a_bad_page_is_refused_in_the_envelope(client: FlaskClient, token: str, body: dict, field: str) -> None:
    answer = client.post("/api/browser/launches", json=body, headers=bearer(token))
    assert answer.status_code == 422 and field in answer.json["errors"] and answer.json["message"]
    assert client.post("/api/browser/launches", data="not json", headers=bearer(token)).status_code == 422
    assert client.post("/api/browser/launches", json=[1], headers=bearer(token)).status_code == 422


def test_linkedin_tracks_an_unknown_profile_once_with_a_notice_task(app: Flask, client: FlaskClient, token: str,
                                                                    kari: dict) -> None:
    unknown = launch(client, token, "linkedin", "per-persen")
    assert unknown.status_code == 200 and unknown.json == {"url": None, "known": False}
    body = {"id": "per-persen", "name": "  Per   Persen ", "headline": "Staff engineer at Kahoot!"}
    tracked = client.post("/api/browser/linkedin", json=body, headers=bearer(token))
    assert tracked.status_code == 201
    _, html = opened(client, tracked.json["url"])
    assert "Per Persen" in html
    again = client.post("/api/browser/linkedin", json=body, headers=bearer(token))
    assert again.status_code == 201
    with get_state(app).sessions() as session:
        people = session.scalars(select(Person).where(Person.linkedin_url.is_not(None))).all()
        assert [(p.full_name, p.title, p.linkedin_url, str(p.owner_id)) for p in people] == [
            ("Per Persen", "Staff engineer at Kahoot!", "https://www.linkedin.com/in/per-persen", kari["id"])]
        tasks = session.scalars(select(FollowUp).where(FollowUp.person_id == people[0].id)).all()
        assert len(tasks) == 1 and tasks[0].kind == "art14_notice"  # the art. 14 notice task, once
    assert launch(client, token, "linkedin", "Per-Persen").json["known"] is True
    nameless = client.post("/api/browser/linkedin", json={"id": "x-y-z", "name": " "}, headers=bearer(token))
    assert nameless.status_code == 422
    odd = client.post("/api/browser/linkedin", json={"id": "x-y-z", "name": "Ola\x00", "headline": "A\x00B"},
                      headers=bearer(token))
    assert odd.status_code == 422  # a NUL in the name is refused; in the headline it is dropped
    dropped = client.post("/api/browser/linkedin", json={"id": "x-y-z", "name": "Ola Dunk", "headline": "A\x00B\n"},
                          headers=bearer(token))
    assert dropped.status_code == 201
    with get_state(app).sessions() as session:
        assert session.scalar(select(Person.title).where(Person.first_name == "Ola")) == "AB"


def test_messages_come_in_the_recruiters_language(client: FlaskClient, tenant: Any, app: Flask) -> None:
    ola = make_recruiter(tenant, email="ola@acme.no", name="Ola Nordmann", language="nb")
    token = support.connect(app, client, ola["id"])
    answer = client.post("/api/browser/launches", json={"kind": "greenhouse", "id": "x"}, headers=bearer(token))
    assert answer.status_code == 422
    assert answer.json["message"] == ("Brobygger kjenner ikke igjen denne siden. Oppdater utvidelsen, og last inn "
                                      "siden på nytt.")


def test_cors_answers_the_extension_and_no_web_page(client: FlaskClient) -> None:
    for origin in ("chrome-extension://abcdefghijklmnopabcdefghijklmnop", "moz-extension://0a1b2c3d-aaaa"):
        answer = client.options("/api/browser/launches", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert answer.headers["Access-Control-Allow-Origin"] == origin
        assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    page = client.options("/api/browser/launches", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in page.headers
    assert "Access-Control-Allow-Credentials" not in page.headers


def test_starting_connections_is_limited_per_address(client: FlaskClient) -> None:
    answers = [client.post("/api/browser/connections").status_code for _ in range(21)]
    assert answers[:20] == [201] * 20 and answers[20] == 429


def test_each_token_is_held_to_the_apis_rate(app: Flask, client: FlaskClient, token: str) -> None:
    get_state(app).settings["BROBYGGER_RATE_LIMIT_API"] = 3
    answers = [client.get("/api/browser/me", headers=bearer(token)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json["code"] == 429 and int(answers[3].headers["Retry-After"]) > 0
