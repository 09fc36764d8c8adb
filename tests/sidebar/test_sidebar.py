"""The sidebar after launch: framing headers, the token session, the view, quick actions, common ground,
languages, the token exchange and tenant isolation — through the Flask test client, on the real database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from plugin.extension import get_state
from plugin.sidebar import panel
from plugin.sidebar.launch import LAUNCH_PATH
from tests.sidebar_support import act, open_sidebar, set_languages, set_origins


@pytest.fixture
def person(tenant: Any, kari: dict) -> dict:
    return tenant.create("/people", {"first_name": "Øystein", "last_name": "Bråten", "employer": "Kahoot!",
                                     "title": "Staff engineer", "owner_id": kari["id"]})


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_frame_ancestors_name_each_tenants_origins_and_no_x_frame_options(
        app: Flask, client: Any, tenant: Any, other_tenant: Any, kari: dict, person: dict) -> None:
    set_origins(app, tenant.id, ["https://acme.teamtailor.com", "https://app.greenhouse.io/", "javascript:alert(1)"])
    other_tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari", "language": "en"})
    rival = other_tenant.create("/people", {"first_name": "Rita"})
    set_origins(app, other_tenant.id, ["https://rival.lever.co"])
    response, _ = open_sidebar(client, tenant, {"person_id": person["id"]})
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://acme.teamtailor.com https://app.greenhouse.io" in csp
    assert "javascript" not in csp and "rival" not in csp
    assert "X-Frame-Options" not in response.headers
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    rival_response, _ = open_sidebar(client, other_tenant, {"person_id": rival["id"]})
    assert "frame-ancestors 'self' https://rival.lever.co" in rival_response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in rival_response.headers


def test_launch_page_is_one_html_with_our_css_and_js_and_a_token(client: Any, tenant: Any, person: dict) -> None:
    response, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    page = _text(response)
    assert token and "Set-Cookie" not in response.headers
    assert re.findall(r'(?:src|href)="([^"]+\.(?:css|js))"', page) == ["/static/sidebar.css", "/static/sidebar.js"]
    assert "<style" not in page and "<script>" not in page and " style=" not in page
    for asset in ("/static/sidebar.css", "/static/sidebar.js"):
        served = client.get(asset)
        assert served.status_code == 200 and len(served.data) < 8000
    assert "Øystein Bråten" in page and "Passive" in page and "Relationship owner: Kari Nordmann" in page


def test_actions_need_the_sidebar_token(client: Any, tenant: Any, person: dict) -> None:
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    assert client.post("/sidebar/api/touch", json={}).status_code == 401
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    refused = act(client, tampered, "touch")
    assert refused.status_code == 401 and "not valid" in refused.json["message"]
    assert act(client, token, "nonsense").status_code == 404


def test_log_touch_returns_the_new_body(client: Any, tenant: Any, person: dict) -> None:
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    response = act(client, token, "touch", {"kind": "meeting", "summary": "Lunsj på Aker Brygge"})
    assert response.status_code == 200, response.json
    assert response.json["message"] == "Touch logged." and "Lunsj på Aker Brygge" in response.json["html"]
    touches = tenant.get(f"/people/{person['id']}/touchpoints").json["data"]
    assert [(t["kind"], t["summary"], t["origin"]) for t in touches] == [("meeting", "Lunsj på Aker Brygge", "sidebar")]
    bad = act(client, token, "touch", {"kind": "séance"})
    assert bad.status_code == 422 and "kind" in bad.json["errors"]


def test_schedule_follow_up_by_preset_and_by_day(client: Any, tenant: Any, kari: dict, person: dict) -> None:
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    assert act(client, token, "followup", {"reason": "Ask about the platform team", "preset": "3m"}).status_code == 200
    response = act(client, token, "followup", {"reason": "Coffee after the summer", "due_on": "2027-08-16"})
    assert response.status_code == 200 and "Coffee after the summer" in response.json["html"]
    rows = tenant.get("/followups", query_string={"person_id": person["id"]}).json["data"]
    by_reason = {r["reason"]: r for r in rows}
    oslo = ZoneInfo("Europe/Oslo")
    due = datetime.fromisoformat(by_reason["Coffee after the summer"]["due_at"]).astimezone(oslo)
    assert (due.date().isoformat(), due.hour) == ("2027-08-16", 9)
    preset = datetime.fromisoformat(by_reason["Ask about the platform team"]["due_at"]).astimezone(oslo)
    assert preset.hour == 9 and 88 <= (preset.date() - datetime.now(oslo).date()).days <= 93
    assert {r["owner_id"] for r in rows} == {kari["id"]}
    both = act(client, token, "followup", {"reason": "x", "preset": "1w", "due_on": "2027-01-01"})
    assert both.status_code == 422


def test_snooze_and_done(client: Any, tenant: Any, person: dict) -> None:
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    followup = tenant.create("/followups", {"person_id": person["id"], "reason": "Check in", "due_at": due})
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    snoozed = act(client, token, "snooze", {"followup_id": followup["id"], "preset": "1m"})
    assert snoozed.status_code == 200 and "snoozed" in snoozed.json["html"]
    assert tenant.get(f"/followups/{followup['id']}").json["status"] == "snoozed"
    done = act(client, token, "done", {"followup_id": followup["id"], "summary": "Called, all good"})
    assert done.status_code == 200, done.json
    assert tenant.get(f"/followups/{followup['id']}").json["status"] == "done"
    assert "None scheduled." in done.json["html"] and "Called, all good" in done.json["html"]


def test_log_referral_shows_the_source(client: Any, tenant: Any, person: dict) -> None:
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    response = act(client, token, "referral", {"referrer_name": "Ingrid Lie", "referrer_email": "ingrid@example.no",
                                               "channel": "linkedin", "prompted": False})
    assert response.status_code == 200, response.json
    source = response.json["html"].split('id="referral-source"')[1].split("</ul>")[0]
    assert "Ingrid Lie" in source and "LinkedIn" in source and "unprompted" in source
    again = act(client, token, "referral", {"referrer_name": "Ingrid Lie", "referrer_email": "ingrid@example.no"})
    assert again.status_code == 200 and again.json["message"] == "This referral was logged before; merged."
    assert again.json["html"].split('id="referral-source"')[1].split("</ul>")[0].count("Ingrid Lie") == 1
    mine = act(client, token, "referral", {"referrer_is_me": True, "channel": "event", "prompted": True})
    assert mine.status_code == 200 and ">You<" not in mine.json["html"] and "You ·" in mine.json["html"]
    assert act(client, token, "referral", {"channel": "event"}).status_code == 422
    referrals = tenant.get("/referrals", query_string={"person_id": person["id"]}).json["data"]
    assert sorted((r["channel"], r["prompted"], r["origin"]) for r in referrals) == [
        ("event", True, "sidebar"), ("linkedin", False, "sidebar")]


def test_add_to_shortlist(client: Any, tenant: Any, other_tenant: Any, person: dict) -> None:
    role = tenant.create("/roles", {"title": "Head of Data", "status": "confidential"})
    foreign = other_tenant.create("/roles", {"title": "Rival role"})
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    page = _text(client.get(LAUNCH_PATH))  # refused: no token; the real page was the launch above
    assert "Rival role" not in page
    response = act(client, token, "shortlist", {"role_id": role["id"]})
    assert response.status_code == 200, response.json
    listed = response.json["html"].split('id="shortlisted"')[1].split("</ul>")[0]
    assert "Head of Data" in listed
    # listed once per role (another note, so that it is not taken for a double click)
    assert act(client, token, "shortlist", {"role_id": role["id"], "note": "again"}).status_code == 409
    assert act(client, token, "shortlist", {"role_id": foreign["id"]}).status_code == 404


def test_a_token_never_touches_another_tenants_or_another_persons_rows(
        client: Any, tenant: Any, other_tenant: Any, person: dict) -> None:
    other_tenant.create("/recruiters", {"email": "rolf@rival.no", "name": "Rolf", "language": "en"})
    rival = other_tenant.create("/people", {"first_name": "Rita"})
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    rival_followup = other_tenant.create("/followups", {"person_id": rival["id"], "reason": "Theirs", "due_at": due})
    neighbour = tenant.create("/people", {"first_name": "Nabo"})
    neighbour_followup = tenant.create("/followups", {"person_id": neighbour["id"], "reason": "N", "due_at": due})
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    for followup in (rival_followup, neighbour_followup):
        assert act(client, token, "snooze", {"followup_id": followup["id"], "preset": "1w"}).status_code == 404
        assert act(client, token, "done", {"followup_id": followup["id"]}).status_code == 404
    assert other_tenant.get(f"/followups/{rival_followup['id']}").json["status"] == "open"
    # A launch cannot name another tenant's person either: it opens as "not tracked".
    response, _ = open_sidebar(client, tenant, {"person_id": rival["id"]})
    assert response.status_code == 200 and "Rita" not in _text(response) and "Not tracked yet" in _text(response)


def test_common_ground(app: Flask, client: Any, tenant: Any, kari: dict) -> None:
    colleague = tenant.create("/recruiters", {"email": "ola@acme.no", "name": "Ola Recruiter", "language": "en"})
    candidate = tenant.create("/people", {
        "first_name": "Sofie", "last_name": "Berg", "employer": "Kahoot!", "interests": ["Orienteering", "Jazz"],
        "work_history": [{"employer": "Acme AS", "title": "Intern"}, {"employer": "Vipps", "title": "Dev"}]})
    referrer = tenant.create("/people", {"first_name": "Rune", "last_name": "Referent", "owner_id": kari["id"]})
    tenant.create("/referrals", {"person_id": candidate["id"], "channel": "event", "prompted": False,
                                 "referrer": {"kind": "candidate", "person_id": referrer["id"]}})
    tenant.create("/referrals", {"person_id": candidate["id"], "channel": "email", "prompted": True,
                                 "referrer": {"kind": "employee", "recruiter_id": colleague["id"]}})
    stranger = tenant.create("/people", {"first_name": "Stig", "last_name": "Stranger"})
    tenant.create("/referrals", {"person_id": stranger["id"], "channel": "phone", "prompted": False,
                                 "referrer": {"kind": "candidate", "person_id": candidate["id"]}})
    friend = tenant.create("/people", {"first_name": "Frida", "last_name": "Venn", "owner_id": kari["id"],
                                       "interests": ["orienteering", "chess"]})
    tenant.create("/referrals", {"person_id": stranger["id"], "channel": "phone", "prompted": False,
                                 "referrer": {"kind": "candidate", "person_id": friend["id"]}})
    tenant.create("/people", {"first_name": "Hanne", "last_name": "Hired", "employer": "Vipps", "status": "hired"})
    tenant.create("/people", {"first_name": "Passiv", "employer": "Vipps"})  # neither hire nor reference
    state = get_state(app)
    with state.sessions() as session:
        from uuid import UUID

        ground = panel.view(session, tenant.id, UUID(candidate["id"]), UUID(kari["id"])).common_ground
    assert ground.worked_here is True
    assert {(m.name, m.relation, m.how) for m in ground.mutual} == {
        ("Rune Referent", "referred_them", "owner"), ("Ola Recruiter", "referred_them", "recruiter")}
    assert [(e.employer, e.colleagues) for e in ground.employers] == [("Vipps", [("Hanne Hired", "hire")])]
    assert [(i.interest, i.people) for i in ground.interests] == [("Orienteering", ["Frida Venn"])]
    response, _ = open_sidebar(client, tenant, {"person_id": candidate["id"]})
    section = _text(response).split('id="common-ground"')[1].split("</ul>")[0]
    for phrase in ("Has worked at Acme AS.", "Rune Referent referred them", "your relationship",
                   "Shared employer Vipps:", "Hanne Hired (hire)", "Shared interest Orienteering with Frida Venn"):
        assert phrase in section
    assert "Stig Stranger" not in section and "Passiv" not in section


def test_shared_interests_cache_holds_ids_only_and_ownership_is_read_live(
        app: Flask, client: Any, tenant: Any, kari: dict) -> None:
    candidate = tenant.create("/people", {"first_name": "Sofie", "interests": ["Jazz"]})
    friend = tenant.create("/people", {"first_name": "Frida", "last_name": "Venn", "owner_id": kari["id"],
                                       "interests": ["jazz"]})
    stranger = tenant.create("/people", {"first_name": "Stig"})
    tenant.create("/referrals", {"person_id": stranger["id"], "channel": "phone", "prompted": False,
                                 "referrer": {"kind": "candidate", "person_id": friend["id"]}})
    response, _ = open_sidebar(client, tenant, {"person_id": candidate["id"]})
    assert "Shared interest Jazz with Frida Venn" in _text(response)
    redis = get_state(app).redis
    (key,) = redis.keys("brobygger:sidebar:strong:*")
    assert redis.get(key) == UUID(friend["id"]).bytes and redis.ttl(key) > 0  # no names, no e-mails: ids
    # Renamed, then handed to another recruiter: both show on the next render, whatever the cache holds.
    tenant.patch(f"/people/{friend['id']}", json={"last_name": "Vennesen"})
    assert "with Frida Vennesen" in _text(open_sidebar(client, tenant, {"person_id": candidate["id"]})[0])
    other = tenant.create("/recruiters", {"email": "ola@acme.no", "name": "Ola", "language": "en"})
    tenant.patch(f"/people/{friend['id']}", json={"owner_id": other["id"]})
    assert "Shared interest" not in _text(open_sidebar(client, tenant, {"person_id": candidate["id"]})[0])


@pytest.mark.parametrize("recruiter_lang, tenant_lang, browser, expected", [
    ("nb", "en", "en", "nb"),   # the recruiter's setting wins
    ("en", "nb", "nb", "en"),
    ("", "nb", "en", "nb"),     # no usable recruiter setting: the tenant's default
    ("xx", "", "nb-NO,nb;q=0.9", "nb"),  # neither: the browser
    ("", "", "de", "en"),
])
def test_language_choice(app: Flask, client: Any, tenant: Any, kari: dict, person: dict, recruiter_lang: str,
                         tenant_lang: str, browser: str, expected: str) -> None:
    set_languages(app, tenant.id, recruiter_lang, tenant_lang)
    tenant.post(f"/people/{person['id']}/touchpoints",
                json={"kind": "call", "occurred_at": "2026-10-05T10:00:00Z", "summary": "Prat"})
    response, token = open_sidebar(client, tenant, {"person_id": person["id"]}, **{"Accept-Language": browser})
    page = _text(response)
    assert f'<html lang="{expected}">' in page
    assert ("5. okt. 2026" if expected == "nb" else "5 Oct 2026") in page  # English with no region: as in Britain
    assert ("Neste oppfølging" if expected == "nb" else "Next follow-up") in page
    assert ("Samtale — Prat" if expected == "nb" else "Call — Prat") in page  # the timeline's touch kind
    logged = act(client, token, "touch", {"summary": "Ny prat"}, **{"Accept-Language": browser}).json
    assert logged["message"] == ("Kontakt registrert." if expected == "nb" else "Touch logged.")
    body = logged["html"]
    assert ("5. okt. 2026" if expected == "nb" else "5 Oct 2026") in body
    assert ("Hurtighandlinger" if expected == "nb" else "Quick actions") in body


def test_token_exchange_returns_a_single_use_launch_url(client: Any, tenant: Any, kari: dict, person: dict) -> None:
    response = tenant.post("/sidebar/launch-urls", json={"sub": "kari@acme.no", "ctx": {"person_id": person["id"]}})
    assert response.status_code == 201, response.json
    url = response.json["url"]
    assert url.startswith("http://brobygger.test/sidebar/launch?jwt=")
    path = url.removeprefix("http://brobygger.test")
    first = client.get(path, follow_redirects=True)
    assert first.status_code == 200 and "Øystein Bråten" in _text(first)
    assert client.get(path).status_code == 401
    unknown = tenant.post("/sidebar/launch-urls", json={"sub": "nobody@acme.no", "ctx": {"person_id": person["id"]}})
    assert unknown.status_code == 422 and "sub" in unknown.json["errors"]
    assert tenant.post("/sidebar/launch-urls", json={"sub": "kari@acme.no", "ctx": {}}).status_code == 422
    anonymous = client.post("/api/v1/sidebar/launch-urls", json={"sub": "kari@acme.no", "ctx": {"person_id": "x"}})
    assert anonymous.status_code == 401


def test_refusal_page_is_framable_only_by_the_claimed_tenant(app: Flask, client: Any, tenant: Any,
                                                              person: dict) -> None:
    set_origins(app, tenant.id, ["https://acme.teamtailor.com"])
    response = client.get(LAUNCH_PATH, query_string={"jwt": "not-a-token"})
    assert response.status_code == 401 and "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    from tests.sidebar_support import launch_token

    forged = launch_token(tenant, {"person_id": person["id"]}, secret="not-the-tenant-secret-but-long-enough-xx")
    refused = client.get(LAUNCH_PATH, query_string={"jwt": forged})
    assert refused.status_code == 401 and "signature" in _text(refused)
    assert "frame-ancestors 'self' https://acme.teamtailor.com" in refused.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in refused.headers
