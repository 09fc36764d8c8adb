"""The sidebar's quick actions, guarded: dates held to today in the recruiter's time zone, names trimmed and never
blank (here, on the API and in imports), a double submission doing one thing, and the one-line notices of what an
action did besides what was asked — every message in the recruiter's language, without field names."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from connectors.simulators.base import serve
from plugin.extension import get_state
from plugin.imports import importers
from plugin.models import Person, utcnow
from plugin.sidebar import actions
from tests.sidebar_support import act, open_sidebar, set_languages

OSLO = ZoneInfo("Europe/Oslo")
SAID = {
    "due_past": {"en": "Choose a date from today onwards.", "nb": "Velg en dato fra i dag og fremover."},
    "touch_future": {
        "en": "Choose today or an earlier day: a touch is something that has happened. To plan one, schedule a "
              "follow-up.",
        "nb": "Velg i dag eller en tidligere dag: en kontakt er noe som har skjedd. Vil du planlegge en, legg inn "
              "en oppfølging."},
    "no_referrer": {"en": "Write who referred the person.", "nb": "Skriv hvem som anbefalte personen."},
    "twice": {"en": "This was just done; it counts once.",
              "nb": "Dette ble nettopp gjort, og det teller bare én gang."},
}
LANGUAGES = ["en", "nb"]


@pytest.fixture
def person(tenant: Any, kari: dict) -> dict:
    return tenant.create("/people", {"first_name": "Øystein", "last_name": "Bråten", "owner_id": kari["id"]})


def _sidebar(app: Flask, client: Any, tenant: Any, person: dict, language: str) -> str:
    set_languages(app, tenant.id, language, None)
    response, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    assert response.status_code == 200 and token
    return token


def _today() -> datetime:
    return utcnow().astimezone(OSLO)


def _refused(response: Any, expected: str) -> None:
    assert response.status_code == 422, response.json
    assert response.json["message"] == expected
    assert all(messages == [expected] for messages in response.json["errors"].values())


def _touches(tenant: Any, person: dict) -> list[dict]:
    return tenant.get(f"/people/{person['id']}/touchpoints").json["data"]


# --- dates --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_follow_up_before_today_is_refused_and_today_is_kept(app: Flask, client: Any, tenant: Any, person: dict,
                                                               language: str) -> None:
    token = _sidebar(app, client, tenant, person, language)
    yesterday = (_today().date() - timedelta(days=1)).isoformat()
    _refused(act(client, token, "followup", {"reason": "Coffee", "due_on": yesterday}), SAID["due_past"][language])
    assert tenant.get("/followups").json["data"] == []
    today = act(client, token, "followup", {"reason": "Coffee", "due_on": _today().date().isoformat()})
    assert today.status_code == 200, today.json
    [made] = tenant.get("/followups").json["data"]
    assert datetime.fromisoformat(made["due_at"]).astimezone(OSLO).date() == _today().date()  # not moved


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_touch_on_a_later_day_is_refused_not_moved_to_now(app: Flask, client: Any, tenant: Any, person: dict,
                                                            language: str) -> None:
    token = _sidebar(app, client, tenant, person, language)
    tomorrow = (_today().date() + timedelta(days=1)).isoformat()
    _refused(act(client, token, "touch", {"summary": "Lunch", "occurred_on": tomorrow}),
             SAID["touch_future"][language])
    assert _touches(tenant, person) == []
    # refused, so not claimed: the same touch with a day that has been is logged at once
    yesterday = (_today().date() - timedelta(days=1)).isoformat()
    assert act(client, token, "touch", {"summary": "Lunch", "occurred_on": yesterday}).status_code == 200
    [touch] = _touches(tenant, person)
    assert datetime.fromisoformat(touch["occurred_at"]).astimezone(OSLO).date().isoformat() == yesterday


def test_the_date_pickers_offer_the_days_the_rules_allow(client: Any, tenant: Any, person: dict) -> None:
    response, _ = open_sidebar(client, tenant, {"person_id": person["id"]})
    page = response.get_data(as_text=True)
    today = _today().date().isoformat()
    assert f'name="occurred_on" max="{today}"' in page and f'name="due_on" min="{today}"' in page


def test_invalid_fields_are_said_in_the_recruiters_language_without_their_names(app: Flask, client: Any,
                                                                               tenant: Any, person: dict) -> None:
    said: dict[str, list[str]] = {}
    for language in LANGUAGES:
        token = _sidebar(app, client, tenant, person, language)
        for body in ({"reason": "   ", "preset": "1w"}, {"reason": "Coffee"}, {"reason": "x" * 2001, "due_on": "x"}):
            response = act(client, token, "followup", body)
            assert response.status_code == 422 and response.json["message"], body
            words = set(re.findall(r"\w+", response.json["message"]))
            assert not {"preset", "due_on", "_schema", "Missing", "Length"} & words, response.json["message"]
            said.setdefault(language, []).append(response.json["message"])
    assert all(en != nb for en, nb in zip(said["en"], said["nb"], strict=True)), said


# --- names -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_blank_referrer_is_refused_and_a_name_is_trimmed(app: Flask, client: Any, tenant: Any, person: dict,
                                                           language: str) -> None:
    token = _sidebar(app, client, tenant, person, language)
    for blank in ("", "   ", "\t\u3000 "):
        _refused(act(client, token, "referral", {"referrer_name": blank}), SAID["no_referrer"][language])
    assert act(client, token, "referral", {"referrer_name": "  Ingrid \t Lie "}).status_code == 200
    [reference] = tenant.get("/references").json["data"]
    assert reference["name"] == "Ingrid Lie"


def test_the_api_trims_names_and_refuses_blank_ones(tenant: Any) -> None:
    for blank in ("", " ", "\t\n", "\u3000\u2003"):
        response = tenant.post("/people", json={"first_name": blank})
        assert response.status_code == 422 and set(response.json["errors"]) == {"first_name"}, blank
        response = tenant.post("/references", json={"kind": "outsider", "name": blank})
        assert response.status_code == 422 and set(response.json["errors"]) == {"name"}, blank
    person = tenant.create("/people", {"first_name": "  Kari  Anne ", "last_name": "\u3000"})
    assert (person["first_name"], person["last_name"], person["full_name"]) == ("Kari Anne", "", "Kari Anne")
    renamed = tenant.patch(f"/people/{person['id']}", json={"first_name": " \t "})
    assert renamed.status_code == 422 and set(renamed.json["errors"]) == {"first_name"}
    assert tenant.patch(f"/people/{person['id']}", json={"last_name": " Nordmann  "}).json["last_name"] == "Nordmann"
    inline = tenant.post("/referrals", json={"person_id": person["id"], "channel": "event", "prompted": False,
                                             "referrer": {"kind": "outsider", "name": "  "}})
    assert inline.status_code == 422 and set(inline.json["errors"]) == {"referrer.name"}
    reference = tenant.create("/references", {"kind": "outsider", "name": " Olav  Lie "})
    assert reference["name"] == "Olav Lie"


def test_an_import_refuses_blank_names_and_trims_the_others(app: Flask, tenant: Any, kari: dict,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("Fornavn;Etternavn\n   ;Blank\n\u3000\t;\u2003Berg\n  Kari   Anne ;  Nordmann \n", encoding="utf-8")
    rows = importers.csv_rows(importers.read_text(path), [("Fornavn", "first_name"), ("Etternavn", "last_name")], ";")
    with get_state(app).sessions() as session:
        result = importers.import_rows(session, tenant.id, uuid.UUID(kari["id"]), rows, source=importers.CSV_SOURCE)
        people = [(p.first_name, p.last_name) for p in session.scalars(select(Person))]
    assert [(bad.line, bad.reason) for bad in result.bad] == [(2, "no first name"), (3, "no first name")]
    assert (result.created, people) == (1, [("Kari Anne", "Nordmann")])


# --- one action, once ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_the_same_touch_twice_in_quick_succession_is_logged_once(app: Flask, client: Any, tenant: Any, person: dict,
                                                                 language: str) -> None:
    token = _sidebar(app, client, tenant, person, language)
    body = {"kind": "meeting", "summary": "Lunch at Mathallen"}
    first, second = act(client, token, "touch", body), act(client, token, "touch", body)
    assert first.status_code == second.status_code == 200
    assert second.json["message"] == SAID["twice"][language] and "Lunch at Mathallen" in second.json["html"]
    assert [t["summary"] for t in _touches(tenant, person)] == ["Lunch at Mathallen"]
    # another touch is another touch, however soon
    assert act(client, token, "touch", {**body, "summary": "Coffee after lunch"}).status_code == 200
    assert len(_touches(tenant, person)) == 2


def test_two_identical_requests_at_the_same_moment_log_one_touch(app: Flask, tenant: Any, person: dict) -> None:
    """Over real HTTP, both requests in flight together (what a double click without our script would send)."""
    _, token = open_sidebar(app.test_client(), tenant, {"person_id": person["id"]})
    start = threading.Barrier(2)
    answers: list[dict] = []

    def send(url: str) -> None:
        start.wait()
        answers.append(requests.post(f"{url}/sidebar/api/touch", json={"summary": "Double click"}, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}).json())

    with serve(app) as url:
        threads = [threading.Thread(target=send, args=(url,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(answer["message"] for answer in answers) == ["This was just done; it counts once.", "Touch logged."]
    assert [t["summary"] for t in _touches(tenant, person)] == ["Double click"]


def test_the_window_is_short_and_per_recruiter_and_person(app: Flask, tenant: Any, person: dict) -> None:
    redis = get_state(app).redis
    key = actions.claim(redis, tenant.id, "r1", person["id"], "touch", {"summary": "x"})
    assert key and 0 < redis.ttl(f"brobygger:{key}") <= actions.DUPLICATE_WINDOW <= 15
    assert actions.claim(redis, tenant.id, "r1", person["id"], "touch", {"summary": "x"}) is None
    assert actions.claim(redis, tenant.id, "r2", person["id"], "touch", {"summary": "x"})  # another recruiter
    assert actions.claim(redis, tenant.id, "r1", "someone else", "touch", {"summary": "x"})  # another person
    actions.unclaim(redis, key)
    assert actions.claim(redis, tenant.id, "r1", person["id"], "touch", {"summary": "x"})


# --- notices -------------------------------------------------------------------------------------------------------

NOTICE_CREDIT = {"en": "Referral logged, but Ingrid Lie referred this person first and keeps the credit.",
                 "nb": "Anbefalingen er registrert, men Ingrid Lie anbefalte personen først og får æren."}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_referral_without_the_credit_says_who_keeps_it(app: Flask, client: Any, tenant: Any, person: dict,
                                                         language: str) -> None:
    tenant.create("/referrals", {"person_id": person["id"], "channel": "linkedin", "prompted": False,
                                 "referrer": {"kind": "outsider", "name": "Ingrid Lie"}})
    token = _sidebar(app, client, tenant, person, language)
    response = act(client, token, "referral", {"referrer_name": "Per Hansen"})
    assert response.status_code == 200
    assert _notices(response.json["html"]) == [NOTICE_CREDIT[language]]
    credited = {r["credited"] for r in tenant.get("/referrals").json["data"]}
    assert credited == {True, False}


def test_the_first_referral_gets_the_credit_and_no_notice(client: Any, tenant: Any, person: dict) -> None:
    _, token = open_sidebar(client, tenant, {"person_id": person["id"]})
    response = act(client, token, "referral", {"referrer_name": "Ingrid Lie"})
    assert response.status_code == 200 and _notices(response.json["html"]) == []


@pytest.mark.parametrize("language, before, after", [
    ("en", "Brobygger added a follow-up for ", ": Connect and thank after the meeting"),
    ("nb", "Brobygger la inn en oppfølging ", ": Ta kontakt og takk for møtet"),
])
def test_a_follow_up_a_rule_added_is_said_in_one_line(app: Flask, client: Any, tenant: Any, person: dict,
                                                     language: str, before: str, after: str) -> None:
    token = _sidebar(app, client, tenant, person, language)
    call = act(client, token, "touch", {"kind": "call", "summary": "Quick call"})
    assert call.status_code == 200 and _notices(call.json["html"]) == []  # a call earns no thank-you
    meeting = act(client, token, "touch", {"kind": "meeting", "summary": "Lunch"})
    assert meeting.status_code == 200
    [rule_made] = [f for f in tenant.get("/followups").json["data"] if f["kind"] == "connect_and_thank"]
    due = datetime.fromisoformat(rule_made["due_at"]).astimezone(OSLO)
    [notice] = _notices(meeting.json["html"])
    assert notice.startswith(before) and notice.endswith(after), notice
    day = notice.removeprefix(before).removesuffix(after)  # the day as the sidebar writes days
    assert str(due.day) in day and str(due.year) in day and len(day) < 20, day
    # the next action's body no longer says it: a notice is about the action just taken
    again = act(client, token, "touch", {"kind": "call", "summary": "Another call"})
    assert _notices(again.json["html"]) == []


def _notices(html: str) -> list[str]:
    return [" ".join(text.split()) for text in re.findall(r'<p class="notice">(.*?)</p>', html, re.S)]
