"""The rules on dates, on every path that takes them: a follow-up is due today or later, a touch happened today or
earlier, a snooze ends after now — refused with a message, never silently changed. "Today" is the acting
recruiter's day, else the owner's, else the tenant's. The API says it in English under the field's name; the
queue's form actions in the recruiter's language, without field names."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.core import guards
from plugin.core.actors import Actor
from plugin.extension import get_state
from plugin.followups import followups
from plugin.i18n import force_locale
from plugin.models import Origin, utcnow
from tests import past
from tests.pages import make_recruiter, post_form, sign_in

OSLO = "Europe/Oslo"  # the tenant's time zone (the default)
DUE_PAST = {"en": "Choose a date from today onwards.", "nb": "Velg en dato fra i dag og fremover."}


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _start_of_today(zone: str) -> datetime:
    local = utcnow().astimezone(ZoneInfo(zone))
    return datetime.combine(local.date(), datetime.min.time(), ZoneInfo(zone)).astimezone(UTC)


def _today(zone: str) -> date:
    return utcnow().astimezone(ZoneInfo(zone)).date()


def _person(tenant: Any, **fields: Any) -> dict:
    return tenant.create("/people", {"first_name": "Åse", **fields})


def _followup(tenant: Any, person: dict, **fields: Any) -> dict:
    due = _iso(utcnow() + timedelta(days=3))
    return tenant.create("/followups", {"person_id": person["id"], "reason": "Coffee", "due_at": due, **fields})


def _refused(response: Any, field: str) -> str:
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == [field]
    return response.json["errors"][field][0]


# --- the API -------------------------------------------------------------------------------------------------

def test_a_follow_up_due_before_today_is_refused_and_today_is_taken_as_sent(tenant: Any) -> None:
    person = _person(tenant)
    message = _refused(tenant.post("/followups", json={"person_id": person["id"], "reason": "Coffee",
                                                       "due_at": _iso(utcnow() - timedelta(days=2))}), "due_at")
    assert message == f"Must be today or a later day; today is {_today(OSLO)} in {OSLO}."
    assert tenant.get("/followups").json["data"] == []
    # Earlier today is still today (the sidebar's "today" is 09:00, which may have passed): kept, not moved.
    early = _start_of_today(OSLO) + timedelta(minutes=1)
    made = tenant.create("/followups", {"person_id": person["id"], "reason": "Coffee", "due_at": _iso(early)})
    assert datetime.fromisoformat(made["due_at"]) == early


def test_reschedule_and_the_next_follow_up_keep_the_same_rule(tenant: Any) -> None:
    person = _person(tenant)
    followup = _followup(tenant, person)
    yesterday = _iso(utcnow() - timedelta(days=1))
    assert _refused(tenant.post(f"/followups/{followup['id']}/reschedule", json={"due_at": yesterday}),
                    "due_at").startswith("Must be today or a later day")
    assert tenant.get(f"/followups/{followup['id']}").json == followup  # nothing changed
    completed = tenant.post(f"/followups/{followup['id']}/complete",
                            json={"summary": "Talked", "next": {"due_at": yesterday, "reason": "Again"}})
    assert _refused(completed, "next.due_at").startswith("Must be today or a later day")
    assert tenant.get(f"/followups/{followup['id']}").json["status"] == "open"
    assert tenant.get(f"/people/{person['id']}/touchpoints").json["data"] == []  # the touch was not logged either


def test_a_touch_after_today_is_refused_on_every_path(tenant: Any) -> None:
    person = _person(tenant)
    later = _iso(utcnow() + timedelta(days=2))
    message = _refused(tenant.post(f"/people/{person['id']}/touchpoints",
                                   json={"kind": "meeting", "occurred_at": later}), "occurred_at")
    assert message == (f"Must be today or an earlier day; today is {_today(OSLO)} in {OSLO}. "
                       "A touch that is still to come is a follow-up.")
    followup = _followup(tenant, person)
    _refused(tenant.post(f"/followups/{followup['id']}/complete", json={"occurred_at": later}), "occurred_at")
    assert tenant.get(f"/followups/{followup['id']}").json["status"] == "open"
    assert tenant.get(f"/people/{person['id']}/touchpoints").json["data"] == []
    earlier = tenant.post(f"/people/{person['id']}/touchpoints",
                          json={"kind": "meeting", "occurred_at": _iso(utcnow() - timedelta(days=2))})
    assert earlier.status_code == 201, earlier.json


def test_a_snooze_that_ends_before_now_is_refused(tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant))
    response = tenant.post(f"/followups/{followup['id']}/snooze", json={"until": _iso(utcnow() - timedelta(hours=1))})
    assert _refused(response, "until") == "Must be in the future."
    assert tenant.get(f"/followups/{followup['id']}").json == followup
    later = tenant.post(f"/followups/{followup['id']}/snooze", json={"until": _iso(utcnow() + timedelta(hours=1))})
    assert later.status_code == 200 and later.json["status"] == "snoozed"


def test_today_is_the_owners_day_else_the_tenants(tenant: Any) -> None:
    """A moment just before one zone's today began is yesterday there and today where the day began earlier."""
    zones = {"samoa": "Pacific/Pago_Pago", "tokyo": "Asia/Tokyo"}
    owners = {name: make_recruiter(tenant, email=f"{name}@acme.no", name=name, time_zone=zone)["id"]
              for name, zone in zones.items()}
    owners["nobody"] = None  # the tenant's day
    zones["nobody"] = OSLO
    late = max(zones.values(), key=_start_of_today)
    moment = _start_of_today(late) - timedelta(minutes=1)
    person = _person(tenant)
    verdicts = {}
    for name, owner in owners.items():
        response = tenant.post("/followups", json={"person_id": person["id"], "reason": name, "owner_id": owner,
                                                   "due_at": _iso(moment)})
        verdicts[name] = response.status_code
        in_zone = moment.astimezone(ZoneInfo(zones[name])).date()
        assert response.status_code == (201 if in_zone >= _today(zones[name]) else 422), (name, response.json)
    assert sorted(verdicts.values()) in ([201, 201, 422], [201, 422, 422])  # the zone decided, both ways


def test_a_recruiter_acting_reads_today_in_their_own_zone(app: Flask, tenant: Any) -> None:
    """Through the services, as the sidebar and the queue call them: the acting recruiter's day comes first."""
    samoa = make_recruiter(tenant, email="samoa@acme.no", time_zone="Pacific/Pago_Pago")
    tokyo = make_recruiter(tenant, email="tokyo@acme.no", time_zone="Asia/Tokyo")
    early, late = sorted((samoa, tokyo), key=lambda r: _start_of_today(r["time_zone"]))
    moment = _start_of_today(late["time_zone"]) - timedelta(minutes=1)  # today for `early`, yesterday for `late`
    person = _person(tenant, owner_id=late["id"])
    state = get_state(app)
    with state.sessions() as session:
        def create(actor: Actor) -> Any:
            return followups.create(session, tenant.id, {"person_id": uuid.UUID(person["id"]), "reason": "x",
                                                         "due_at": moment}, actor)

        with pytest.raises(guards.DateRuleError) as refused:
            create(Actor("api_key", None, Origin.API))  # nobody acts: the owner's day
        assert refused.value.rule == guards.DUE_PAST
        session.rollback()
        made = create(Actor("recruiter", early["id"], Origin.SIDEBAR))
        assert made.due_at == moment


# --- the queue's form actions ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_queue_refuses_a_reschedule_to_yesterday_in_the_recruiters_language(
        app: Flask, client: FlaskClient, tenant: Any, language: str) -> None:
    me = make_recruiter(tenant, language=language, time_zone=OSLO)
    sign_in(app, client, me["id"])
    person = _person(tenant, owner_id=me["id"])
    followup = past.followup(tenant, {"person_id": person["id"], "owner_id": me["id"], "reason": "Coffee",
                                      "due_at": _iso(utcnow() - timedelta(days=3))})
    yesterday = (_today(OSLO) - timedelta(days=1)).isoformat()
    response = post_form(client, f"/queue/{followup['id']}/reschedule", {"date": yesterday, "time": "09:00"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert DUE_PAST[language] in page and "due_at" not in page
    as_json = post_form(client, f"/queue/{followup['id']}/reschedule", {"date": yesterday, "time": "09:00"},
                        headers={"Accept": "application/json"})
    assert as_json.status_code == 422 and as_json.json["message"] == DUE_PAST[language]
    assert tenant.get(f"/followups/{followup['id']}").json == followup  # nothing changed
    today = post_form(client, f"/queue/{followup['id']}/reschedule", {"date": _today(OSLO).isoformat(),
                                                                       "time": "08:00"})
    assert today.status_code == 302
    assert datetime.fromisoformat(tenant.get(f"/followups/{followup['id']}").json["due_at"]).astimezone(
        ZoneInfo(OSLO)).date() == _today(OSLO)


# --- what the pages say -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule, en, nb", [
    (guards.DUE_PAST, DUE_PAST["en"], DUE_PAST["nb"]),
    (guards.TOUCH_FUTURE,
     "Choose today or an earlier day: a touch is something that has happened. To plan one, schedule a follow-up.",
     "Velg i dag eller en tidligere dag: en kontakt er noe som har skjedd. Vil du planlegge en, legg inn en "
     "oppfølging."),
    (guards.SNOOZE_PAST, "Snooze until a time after now.", "Utsett til et tidspunkt etter nå."),
])
def test_each_rule_is_said_in_both_languages(app: Flask, rule: str, en: str, nb: str) -> None:
    with app.test_request_context():
        for language, expected in (("en", en), ("nb", nb)):
            with force_locale(language):
                assert guards.said(rule) == expected
