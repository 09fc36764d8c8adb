"""The three rules, each on, off and run twice: connect and thank after a meeting (never before it), a cadence
proposal for people the ATS lets go after meeting them, and follow-ups ahead of an unadvertised role's opening."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.simulators.dataset import Dataset, SimCandidate
from plugin.core import dates
from plugin.extension import get_state
from plugin.followups import rules
from plugin.models import Cadence, FollowUp, PersonLink, Role, Tenant, Touchpoint
from plugin.tenancy import settings as tenant_settings
from tests.ats_support import Connected, connect_greenhouse, run_sync

FRIDAY_EVENING = datetime(2026, 11, 13, 18, 30, tzinfo=UTC)  # 19:30 in Oslo
MONDAY_NINE_OSLO = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
THANKS = FollowUp.kind == rules.CONNECT_AND_THANK  # other features schedule follow-ups of their own


def _person(t: Any, **fields: Any) -> dict:
    return t.create("/people", {"first_name": "Ingrid", **fields})


def _recruiter(t: Any, email: str = "rita@acme.no") -> dict:
    return t.create("/recruiters", {"email": email, "name": email.split("@")[0]})


def _touch(t: Any, person_id: str, at: datetime, kind: str = "meeting", **fields: Any) -> dict:
    return t.create(f"/people/{person_id}/touchpoints", {"kind": kind, "occurred_at": at.isoformat(), **fields})


def _followups(t: Any, **query: Any) -> list[dict]:
    """The follow-ups these rules make (other features schedule their own)."""
    return [f for f in t.walk("/followups", query) if f["kind"] in (rules.CONNECT_AND_THANK, rules.ROLE_OPENING)]


def _settings(t: Any, **changes: Any) -> None:
    response = t.patch("/tenant/settings", json=changes)
    assert response.status_code == 200, response.json


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- connect and thank ------------------------------------------------------------------------------------

def test_a_friday_evening_meeting_is_thanked_on_monday_morning(tenant: Any) -> None:
    owner = _recruiter(tenant)
    colleague = _recruiter(tenant, "colin@acme.no")
    person = _person(tenant, owner_id=owner["id"])
    _touch(tenant, person["id"], FRIDAY_EVENING, recruiter_id=colleague["id"])
    [followup] = _followups(tenant, person_id=person["id"])
    assert followup["kind"] == "connect_and_thank"
    assert followup["reason"] == "Ta kontakt og takk for møtet"  # in the tenant's language (Norwegian by default)
    assert _at(followup["due_at"]) == MONDAY_NINE_OSLO
    assert followup["owner_id"] == colleague["id"]  # whoever met them
    assert followup["status"] == "open"


def test_an_interview_before_easter_is_thanked_after_the_easter_holidays(tenant: Any) -> None:
    owner = _recruiter(tenant)
    person = _person(tenant, owner_id=owner["id"])
    _touch(tenant, person["id"], datetime(2026, 4, 1, 14, 0, tzinfo=UTC), "interview")  # Easter Sunday: 5 April
    [followup] = _followups(tenant, person_id=person["id"])
    assert _at(followup["due_at"]) == datetime(2026, 4, 7, 7, 0, tzinfo=UTC)  # Tuesday 09:00 in Oslo (summer time)
    assert followup["owner_id"] == owner["id"]  # no recruiter on the touch: the person's owner


def test_the_thanks_is_never_before_the_meeting(tenant: Any) -> None:
    person = _person(tenant)
    for at in (datetime(2026, 11, 16, 7, 0, tzinfo=UTC), datetime(2026, 11, 16, 22, 59, tzinfo=UTC),
               datetime(2026, 11, 15, 23, 30, tzinfo=UTC)):  # the last is Monday 00:30 in Oslo
        _touch(tenant, person["id"], at)
    dues = [_at(f["due_at"]) for f in _followups(tenant, person_id=person["id"])]
    assert dues == [datetime(2026, 11, 17, 8, 0, tzinfo=UTC)]  # all on Monday in Oslo: one thank-you on Tuesday


def test_weekends_count_when_the_tenant_says_so(tenant: Any) -> None:
    _settings(tenant, skip_weekends_and_holidays=False)
    person = _person(tenant)
    _touch(tenant, person["id"], FRIDAY_EVENING)
    [followup] = _followups(tenant, person_id=person["id"])
    assert _at(followup["due_at"]) == datetime(2026, 11, 14, 8, 0, tzinfo=UTC)  # Saturday 09:00


@pytest.mark.parametrize("kind", ["call", "message", "event", "note", "positive_mention"])
def test_other_touches_earn_no_thanks(tenant: Any, kind: str) -> None:
    person = _person(tenant)
    _touch(tenant, person["id"], FRIDAY_EVENING, kind)
    assert _followups(tenant, person_id=person["id"]) == []


def test_connect_and_thank_can_be_switched_off(tenant: Any) -> None:
    _settings(tenant, rule_connect_and_thank=False)
    person = _person(tenant)
    _touch(tenant, person["id"], FRIDAY_EVENING)
    assert _followups(tenant, person_id=person["id"]) == []


def test_completing_a_follow_up_with_a_meeting_is_thanked_too(tenant: Any) -> None:
    person = _person(tenant)
    followup = tenant.create("/followups", {"person_id": person["id"], "reason": "Lunch",
                                            "due_at": "2030-11-13T09:00:00Z"})
    done = tenant.post(f"/followups/{followup['id']}/complete",
                       json={"kind": "meeting", "summary": "Lunch", "occurred_at": FRIDAY_EVENING.isoformat()})
    assert done.status_code == 200, done.json
    thanks = [f for f in _followups(tenant, person_id=person["id"]) if f["kind"] == "connect_and_thank"]
    assert [_at(f["due_at"]) for f in thanks] == [MONDAY_NINE_OSLO]


def test_connect_and_thank_is_idempotent(app: Flask, tenant: Any) -> None:
    person = _person(tenant)
    _touch(tenant, person["id"], FRIDAY_EVENING)
    with get_state(app).sessions() as session:
        touchpoint = session.scalars(select(Touchpoint).where(Touchpoint.tenant_id == tenant.id)).one()
        assert rules.after_touchpoints(session, tenant.id, [touchpoint], datetime.now(UTC)) == []
        session.commit()
    _touch(tenant, person["id"], FRIDAY_EVENING + timedelta(hours=1), "interview")  # same evening
    assert len(_followups(tenant, person_id=person["id"])) == 1


def test_synced_and_imported_touches_are_thanked_only_when_fresh(app: Flask, tenant: Any) -> None:
    person = _person(tenant)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    fresh = Touchpoint(tenant_id=tenant.id, person_id=uuid.UUID(person["id"]), kind="interview",
                       occurred_at=now - timedelta(hours=47), origin="sync")
    stale = Touchpoint(tenant_id=tenant.id, person_id=uuid.UUID(person["id"]), kind="interview",
                       occurred_at=now - timedelta(days=5), origin="sync")
    imported = Touchpoint(tenant_id=tenant.id, person_id=uuid.UUID(person["id"]), kind="meeting",
                          occurred_at=now - timedelta(hours=1), origin="import")
    with get_state(app).sessions() as session:
        created = rules.after_touchpoints(session, tenant.id, [fresh, stale, imported], now)
        assert [f.due_at for f in created] == [datetime(2026, 11, 19, 8, 0, tzinfo=UTC)]
        session.rollback()


# --- the ATS sync: fresh interviews thanked, people let go get a proposed cadence --------------------------

@pytest.fixture
def greenhouse(app: Flask, tenant: Any) -> Iterator[Connected]:
    with connect_greenhouse(app, tenant.id) as connected:
        yield connected


def _sync(app: Flask, installation_id: uuid.UUID) -> None:
    run_sync(app, installation_id)


def _in_process(data: Dataset, met: bool) -> list[SimCandidate]:
    """Candidates with exactly one open application and no hire: met in it, or never met in any."""
    return [c for c in data.candidates if [a.status for a in c.applications].count("active") == 1
            and not any(a.status == "hired" for a in c.applications)
            and (next(a for a in c.applications if a.status == "active").met if met
                 else not any(a.met for a in c.applications))]


def _person_id(app: Flask, candidate: SimCandidate) -> uuid.UUID:
    with get_state(app).sessions() as session:
        return session.scalars(select(PersonLink.person_id).where(PersonLink.ats_id == str(candidate.id))).one()


def _count(app: Flask, model: Any, *where: Any) -> int:
    with get_state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _cadence(app: Flask, person_id: uuid.UUID) -> Cadence | None:
    with get_state(app).sessions() as session:
        return session.scalars(select(Cadence).where(Cadence.person_id == person_id)).first()


def test_the_sync_thanks_fresh_interviews_and_proposes_cadences(app: Flask, tenant: Any,
                                                                 greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id)
    assert _count(app, FollowUp, THANKS) == 0  # the dataset's interviews are weeks old: history, not a prompt
    assert _count(app, Cadence) == 0  # nobody changed status: the first sync proposes nothing
    let_go, unmet = _in_process(greenhouse.data, met=False)[:2]
    interview = datetime.now(UTC) - timedelta(hours=3)
    greenhouse.data.reject(let_go.id, interview)  # reaches an interview, then is rejected
    application = next(a for a in unmet.applications if a.status == "active")
    application.status, application.closed_at = "rejected", interview  # rejected without being met
    _sync(app, greenhouse.installation_id)

    person_id = _person_id(app, let_go)
    cadence = _cadence(app, person_id)
    assert cadence is not None
    assert (cadence.status, cadence.tier, cadence.ideal_days, cadence.max_days) == ("proposed", "standard", 90, 180)
    assert cadence.last_touch_at is not None and abs(cadence.last_touch_at - interview) < timedelta(seconds=1)
    assert _cadence(app, _person_id(app, unmet)) is None
    [thanks] = [f for f in _followups(tenant, person_id=str(person_id)) if f["kind"] == "connect_and_thank"]
    assert thanks["kind"] == "connect_and_thank"
    assert _at(thanks["due_at"]) == dates.next_working_morning(interview, "Europe/Oslo")

    _sync(app, greenhouse.installation_id)  # again: nothing twice
    assert _count(app, Cadence) == 1 and _count(app, FollowUp, THANKS) == 1
    accepted = tenant.post(f"/people/{person_id}/cadence/accept")
    assert accepted.status_code == 200 and accepted.json["status"] == "active"


def test_the_cadence_proposal_can_be_switched_off_and_keeps_existing_cadences(app: Flask, tenant: Any,
                                                                              greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id)
    _settings(tenant, rule_cadence_proposal=False)
    first, second = _in_process(greenhouse.data, met=True)[:2]
    greenhouse.data.reject(first.id, datetime.now(UTC))
    _sync(app, greenhouse.installation_id)
    assert _cadence(app, _person_id(app, first)) is None

    _settings(tenant, rule_cadence_proposal=True, default_tier="close")
    mine = tenant.client.put(f"/api/v1/people/{_person_id(app, second)}/cadence", json={"tier": "light"},
                             headers=tenant.headers)
    assert mine.status_code == 200
    greenhouse.data.reject(second.id, datetime.now(UTC))
    _sync(app, greenhouse.installation_id)
    kept = _cadence(app, _person_id(app, second))
    assert kept is not None and (kept.status, kept.tier) == ("active", "light")  # the recruiter's choice stands


# --- role opening -----------------------------------------------------------------------------------------

OPENING = date(2030, 5, 27)  # a Monday; six weeks before is Monday 15 April 2030
DUE = datetime(2030, 4, 15, 7, 0, tzinfo=UTC)  # 09:00 in Oslo


def _role(t: Any, **fields: Any) -> dict:
    return t.create("/roles", {"title": "Head of Data", "status": "confidential",
                               "expected_opening_on": OPENING.isoformat(), **fields})


def _shortlist(t: Any, role_id: str, person_id: str) -> None:
    t.create(f"/roles/{role_id}/shortlist", {"person_id": person_id})


def _openings(t: Any, role_id: str) -> dict[str, dict]:
    return {f["person_id"]: f for f in _followups(t) if f["kind"] == "role_opening" and f["role_id"] == role_id}


def test_shortlisted_people_are_followed_up_weeks_before_the_opening(tenant: Any) -> None:
    owner = _recruiter(tenant)
    role_owner = _recruiter(tenant, "rolf@acme.no")
    ada = _person(tenant, first_name="Ada", owner_id=owner["id"])
    bo = _person(tenant, first_name="Bo", owner_id=owner["id"])
    quiet = _person(tenant, first_name="Quiet", do_not_contact=True)
    role = _role(tenant)
    for person in (ada, quiet):
        _shortlist(tenant, role["id"], person["id"])
    [followup] = _openings(tenant, role["id"]).values()
    assert (followup["person_id"], followup["status"], _at(followup["due_at"])) == (ada["id"], "open", DUE)
    assert followup["reason"] == "Før stillingen Head of Data åpner (forventet 27. mai 2030)"
    assert followup["owner_id"] == owner["id"]  # the role has no owner: the person's

    assert tenant.patch(f"/roles/{role['id']}", json={"owner_id": role_owner["id"]}).status_code == 200
    _shortlist(tenant, role["id"], bo["id"])
    assert _openings(tenant, role["id"])[bo["id"]]["owner_id"] == role_owner["id"]  # the role's owner first


def test_a_date_change_reschedules_and_a_holiday_is_skipped(tenant: Any) -> None:
    person = _person(tenant)
    role = _role(tenant)
    _shortlist(tenant, role["id"], person["id"])
    tenant.patch(f"/roles/{role['id']}", json={"expected_opening_on": "2030-06-03", "title": "Chief Data Officer"})
    [moved] = _openings(tenant, role["id"]).values()
    # six weeks before 3 June 2030 is Easter Monday: Tuesday 09:00 instead
    assert _at(moved["due_at"]) == datetime(2030, 4, 23, 7, 0, tzinfo=UTC)
    assert moved["reason"] == "Før stillingen Chief Data Officer åpner (forventet 3. juni 2030)"
    _settings(tenant, role_lead_weeks=2)
    tenant.patch(f"/roles/{role['id']}", json={"expected_opening_on": "2030-05-27"})
    [again] = _openings(tenant, role["id"]).values()
    assert again["id"] == moved["id"] and _at(again["due_at"]) == datetime(2030, 5, 13, 7, 0, tzinfo=UTC)


def test_a_recruiters_own_rescheduling_stands_until_the_date_changes(tenant: Any) -> None:
    person = _person(tenant)
    role = _role(tenant)
    _shortlist(tenant, role["id"], person["id"])
    [followup] = _openings(tenant, role["id"]).values()
    tenant.post(f"/followups/{followup['id']}/reschedule", json={"due_at": "2030-04-01T08:00:00Z"})
    tenant.patch(f"/roles/{role['id']}", json={"description": "Reports to the CTO"})
    assert _at(_openings(tenant, role["id"])[person["id"]]["due_at"]) == datetime(2030, 4, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize("change", [{"status": "advertised"}, {"status": "dropped"}, {"status": "filled"},
                                    {"expected_opening_on": None}])
def test_an_advertised_ended_or_undated_role_cancels_open_follow_ups(tenant: Any, change: dict) -> None:
    person = _person(tenant)
    role = _role(tenant)
    _shortlist(tenant, role["id"], person["id"])
    assert tenant.patch(f"/roles/{role['id']}", json=change).status_code == 200
    [cancelled] = _openings(tenant, role["id"]).values()
    assert cancelled["status"] == "cancelled" and "åpner ikke lenger" in cancelled["note"]


def test_shortlist_changes_add_and_cancel(tenant: Any) -> None:
    ada, bo = _person(tenant, first_name="Ada"), _person(tenant, first_name="Bo")
    role = _role(tenant, status="anticipated")
    _shortlist(tenant, role["id"], ada["id"])
    _shortlist(tenant, role["id"], bo["id"])
    assert tenant.delete(f"/roles/{role['id']}/shortlist/{ada['id']}").status_code == 204
    openings = _openings(tenant, role["id"])
    assert (openings[ada["id"]]["status"], openings[bo["id"]]["status"]) == ("cancelled", "open")
    _shortlist(tenant, role["id"], ada["id"])  # back on the list: a new open one
    live = [f for f in _followups(tenant, person_id=ada["id"]) if f["status"] == "open"]
    assert len(live) == 1 and _at(live[0]["due_at"]) == DUE


def test_the_role_rule_is_idempotent_and_a_done_touch_is_not_repeated(app: Flask, tenant: Any) -> None:
    person = _person(tenant)
    role = _role(tenant)
    _shortlist(tenant, role["id"], person["id"])
    with get_state(app).sessions() as session:
        row = session.get(Role, uuid.UUID(role["id"]))
        assert row is not None
        for _ in range(2):
            rules.refresh_role(session, tenant.id, row, datetime.now(UTC), reschedule=True)
        session.commit()
    [followup] = _openings(tenant, role["id"]).values()
    done = tenant.post(f"/followups/{followup['id']}/complete", json={"kind": "call", "summary": "Talked"})
    assert done.status_code == 200
    tenant.patch(f"/roles/{role['id']}", json={"expected_opening_on": "2030-09-02"})
    assert [f["status"] for f in _followups(tenant, person_id=person["id"]) if f["kind"] == "role_opening"] == [
        "done"]


def test_the_role_rule_can_be_switched_off(tenant: Any) -> None:
    _settings(tenant, rule_role_opening=False)
    person = _person(tenant)
    role = _role(tenant)
    _shortlist(tenant, role["id"], person["id"])
    assert _openings(tenant, role["id"]) == {}


def test_a_passed_lead_date_is_due_the_next_working_day(app: Flask, tenant: Any) -> None:
    with get_state(app).sessions() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        role = Role(tenant_id=tenant.id, title="CTO", status="anticipated", expected_opening_on=date(2026, 12, 1))
        settings = tenant_settings.rules_of(row.settings)
        friday = datetime(2026, 11, 13, 10, 0, tzinfo=UTC)  # six weeks before 1 December was in October
        assert rules.opening_due(role, row, settings, friday) == MONDAY_NINE_OSLO
        early = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
        assert rules.opening_due(role, row, settings, early) == datetime(2026, 10, 20, 7, 0, tzinfo=UTC)
        role.status = "advertised"
        assert rules.opening_due(role, row, settings, early) is None
