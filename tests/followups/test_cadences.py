"""Cadences: the clock resets on every kind of touch and through every path (API, follow-up completion, the ATS
sync, a LinkedIn import), states at chosen times, the losing-touch list, and the tenant's settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from connectors.simulators.dataset import Dataset, SimCandidate
from plugin.core.actors import Actor
from plugin.extension import get_state
from plugin.followups import cadences
from plugin.followups.cadences import State
from plugin.models import Cadence, Person, PersonLink, TouchpointKind
from plugin.tenancy import tenants
from tests.ats_support import Connected, connect_greenhouse, run_sync

LINKEDIN = Path(__file__).parent.parent / "data" / "linkedin_connections.csv"
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _put(t: Any, path: str, json: Any) -> Any:
    return t.client.put(f"/api/v1{path}", json=json, headers=t.headers)


def _person(t: Any, **fields: Any) -> dict:
    return t.create("/people", {"first_name": "Ingrid", **fields})


def _recruiter(t: Any, email: str = "rita@acme.no") -> dict:
    return t.create("/recruiters", {"email": email, "name": email.split("@")[0]})


def _touch(t: Any, person_id: str, at: datetime, kind: str = "call") -> dict:
    return t.create(f"/people/{person_id}/touchpoints", {"kind": kind, "occurred_at": at.isoformat()})


def _cadence(app: Flask, person_id: str | uuid.UUID) -> Cadence:
    with get_state(app).sessions() as session:
        cadence = cadences.find(session, _tenant_of(session, person_id), uuid.UUID(str(person_id)))
        assert cadence is not None
        return cadence


def _tenant_of(session: Any, person_id: str | uuid.UUID) -> uuid.UUID:
    return session.scalar(select(Person.tenant_id).where(Person.id == uuid.UUID(str(person_id))))


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- setting a cadence, and its state ---------------------------------------------------------------------

def test_set_by_tier_starts_from_the_latest_touch(tenant: Any) -> None:
    person = _person(tenant)
    _touch(tenant, person["id"], T0)
    _touch(tenant, person["id"], T0 - timedelta(days=40))
    response = _put(tenant, f"/people/{person['id']}/cadence", {"tier": "close"})
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["tier"], body["ideal_days"], body["max_days"], body["status"]) == ("close", 30, 60, "active")
    assert _at(body["last_touch_at"]) == T0
    assert _at(body["due_at"]) == T0 + timedelta(days=30)
    assert _at(body["losing_touch_at"]) == T0 + timedelta(days=60)
    assert tenant.get(f"/people/{person['id']}/cadence").json["tier"] == "close"


def test_set_by_days_or_tier_with_an_override(tenant: Any) -> None:
    person = _person(tenant)
    custom = _put(tenant, f"/people/{person['id']}/cadence", {"ideal_days": 14, "max_days": 45}).json
    assert (custom["tier"], custom["ideal_days"], custom["max_days"]) == ("custom", 14, 45)
    assert custom["state"] == "no_touch_yet" and custom["last_touch_at"] is None
    mixed = _put(tenant, f"/people/{person['id']}/cadence", {"tier": "light", "max_days": 400}).json
    assert (mixed["tier"], mixed["ideal_days"], mixed["max_days"]) == ("light", 180, 400)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "tier"),
    ({"ideal_days": 10}, "tier"),
    ({"ideal_days": 100, "max_days": 50}, "ideal_days"),
    ({"tier": "standard", "ideal_days": 200}, "ideal_days"),
    ({"tier": "weekly"}, "tier"),
    ({"tier": "close", "status": "proposed"}, "status"),
    ({"tier": "close", "max_days": 0}, "max_days"),
])
def test_bad_cadences_are_refused(tenant: Any, body: dict, field: str) -> None:
    person = _person(tenant)
    response = _put(tenant, f"/people/{person['id']}/cadence", body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_no_cadence_yet_and_unknown_people_are_404(tenant: Any) -> None:
    person = _person(tenant)
    assert tenant.get(f"/people/{person['id']}/cadence").status_code == 404
    assert tenant.post(f"/people/{person['id']}/cadence/accept").status_code == 404
    assert _put(tenant, f"/people/{uuid.uuid4()}/cadence", {"tier": "close"}).status_code == 404


def test_states_at_chosen_times(app: Flask, tenant: Any) -> None:
    person = _person(tenant)
    _touch(tenant, person["id"], T0)
    _put(tenant, f"/people/{person['id']}/cadence", {"tier": "close"})
    person_id = uuid.UUID(person["id"])
    expectations = [(timedelta(0), State.ON_TRACK, 0), (timedelta(days=29, hours=23), State.ON_TRACK, 29),
                    (timedelta(days=30), State.DUE, 30), (timedelta(days=59), State.DUE, 59),
                    (timedelta(days=60), State.LOSING_TOUCH, 60), (timedelta(days=400), State.LOSING_TOUCH, 400),
                    (-timedelta(days=3), State.ON_TRACK, 0)]  # a touch logged ahead of time counts from then
    with get_state(app).sessions() as session:
        for offset, state, days in expectations:
            view = cadences.get(session, tenant.id, person_id, now=T0 + offset)
            assert (view.state, view.days_since_touch) == (state, days), offset


# --- the clock resets on every touch, through every path --------------------------------------------------

@pytest.mark.parametrize("kind", [k.value for k in TouchpointKind])
def test_every_kind_of_touch_resets_the_clock(app: Flask, tenant: Any, kind: str) -> None:
    person = _person(tenant)
    _touch(tenant, person["id"], T0)
    _put(tenant, f"/people/{person['id']}/cadence", {"tier": "close"})
    later = T0 + timedelta(days=70)
    with get_state(app).sessions() as session:
        assert cadences.get(session, tenant.id, uuid.UUID(person["id"]), now=later).state == State.LOSING_TOUCH
    _touch(tenant, person["id"], later, kind)
    view = tenant.get(f"/people/{person['id']}/cadence").json
    assert _at(view["last_touch_at"]) == later
    with get_state(app).sessions() as session:
        assert cadences.get(session, tenant.id, uuid.UUID(person["id"]), now=later).state == State.ON_TRACK


def test_an_older_touch_never_moves_the_clock_back(tenant: Any) -> None:
    person = _person(tenant)
    _touch(tenant, person["id"], T0)
    _put(tenant, f"/people/{person['id']}/cadence", {"tier": "close"})
    _touch(tenant, person["id"], T0 - timedelta(days=100), "meeting")
    assert _at(tenant.get(f"/people/{person['id']}/cadence").json["last_touch_at"]) == T0


def test_touched_moves_many_clocks_in_one_statement(app: Flask, tenant: Any) -> None:
    people = [_person(tenant, first_name=f"P{i}") for i in range(3)]
    for person in people:
        _touch(tenant, person["id"], T0)
        _put(tenant, f"/people/{person['id']}/cadence", {"tier": "standard"})
    touches = {uuid.UUID(people[0]["id"]): T0 + timedelta(days=1), uuid.UUID(people[1]["id"]): T0 - timedelta(days=1),
               uuid.UUID(people[2]["id"]): T0 + timedelta(days=2), uuid.uuid4(): T0}
    state = get_state(app)
    with state.sessions() as session, _statements(state.engine) as statements:
        assert cadences.touched(session, tenant.id, touches) == 2
        session.commit()
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1
    assert [_cadence(app, p["id"]).last_touch_at for p in people] == [
        T0 + timedelta(days=1), T0, T0 + timedelta(days=2)]


def test_completing_a_follow_up_resets_the_clock(tenant: Any) -> None:
    person = _person(tenant)
    _touch(tenant, person["id"], T0)
    _put(tenant, f"/people/{person['id']}/cadence", {"tier": "close"})
    followup = tenant.create("/followups", {"person_id": person["id"], "reason": "Lunch",
                                            "due_at": "2030-03-01T09:00:00Z"})
    done_at = T0 + timedelta(days=45)
    done = tenant.post(f"/followups/{followup['id']}/complete",
                       json={"kind": "message", "summary": "Sent a note", "occurred_at": done_at.isoformat()})
    assert done.status_code == 200, done.json
    assert _at(tenant.get(f"/people/{person['id']}/cadence").json["last_touch_at"]) == done_at


def test_a_linkedin_import_resets_the_clock_forward_only(app: Flask, runner: Any, tenant: Any) -> None:
    owner = _recruiter(tenant, "kari.rekrutterer@acme.no")
    kari = _person(tenant, first_name="Kari", linkedin_url="https://www.linkedin.com/in/kari-nordmann",
                   owner_id=owner["id"])
    bjorn = _person(tenant, first_name="Bjørn", linkedin_url="https://www.linkedin.com/in/bjorn-odegard-1a2b3c")
    for person in (kari, bjorn):
        _touch(tenant, person["id"], T0)
        _put(tenant, f"/people/{person['id']}/cadence", {"tier": "close"})
    result = runner.invoke(args=["brobygger", "import", "linkedin", str(LINKEDIN), "--tenant", str(tenant.id),
                                 "--owner", owner["email"]])
    assert result.exit_code == 0, result.output
    assert _cadence(app, kari["id"]).last_touch_at == datetime(2026, 11, 26, 12, tzinfo=UTC)  # connected then
    assert _cadence(app, bjorn["id"]).last_touch_at == T0  # connected in 2025: older than the last touch


@pytest.fixture
def greenhouse(app: Flask, tenant: Any) -> Iterator[Connected]:
    with connect_greenhouse(app, tenant.id) as connected:
        yield connected


def _sync(app: Flask, installation_id: uuid.UUID) -> None:
    run_sync(app, installation_id)


def _in_process_unmet(data: Dataset) -> SimCandidate:
    """A candidate with one open application not yet past the application review, and nothing else open."""
    return next(c for c in data.candidates if [a.status for a in c.applications].count("active") == 1
                and not any(a.status == "hired" for a in c.applications)
                and not next(a for a in c.applications if a.status == "active").met)


def _person_id(app: Flask, candidate: SimCandidate) -> uuid.UUID:
    with get_state(app).sessions() as session:
        return session.scalars(select(PersonLink.person_id).where(PersonLink.ats_id == str(candidate.id))).one()


def test_an_ats_stage_touch_resets_the_clock(app: Flask, tenant: Any, greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id)
    candidate = _in_process_unmet(greenhouse.data)
    person_id = _person_id(app, candidate)
    assert _put(tenant, f"/people/{person_id}/cadence", {"tier": "close"}).status_code == 200
    before = _cadence(app, person_id).last_touch_at
    interview = datetime.now(UTC) - timedelta(hours=2)
    greenhouse.data.reject(candidate.id, interview)  # adds the interview stage the candidate reached
    _sync(app, greenhouse.installation_id)
    after = _cadence(app, person_id).last_touch_at
    assert after is not None and abs(after - interview) < timedelta(seconds=1)
    assert before is None or before < after


# --- losing touch -----------------------------------------------------------------------------------------

class _statements:
    """Collects the SQL statements run on `engine` inside the block."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.seen = engine, []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *_: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _losing_touch_setup(app: Flask, t: Any) -> dict:
    """Rita's people in every situation a losing-touch list must sort out; returns Rita."""
    rita = _recruiter(t)
    otto = _recruiter(t, "otto@acme.no")
    people = {}
    for name, days_ago, tier, owner, extra in [
        ("Lost", 70, "close", rita, {}), ("Longest", 400, "light", rita, {}), ("Due", 40, "close", rita, {}),
        ("Fresh", 5, "close", rita, {}), ("Paused", 400, "close", rita, {}), ("Proposed", 400, "close", rita, {}),
        ("Otto's", 400, "close", otto, {}), ("Blocked", 400, "close", rita, {"do_not_contact": True}),
        ("Untouched", None, "close", rita, {})]:
        person = _person(t, first_name=name, owner_id=owner["id"], **extra)
        if days_ago is not None:
            _touch(t, person["id"], T0 - timedelta(days=days_ago))
        _put(t, f"/people/{person['id']}/cadence", {"tier": tier, **({"status": "paused"} if name == "Paused" else {})})
        people[name] = person
    with get_state(app).sessions() as session:
        cadence = cadences.find(session, t.id, uuid.UUID(people["Proposed"]["id"]))
        assert cadence is not None
        cadence.status = cadences.PROPOSED
        session.commit()
    return rita


def test_losing_touch_lists_active_cadences_past_their_maximum(app: Flask, tenant: Any) -> None:
    rita = _losing_touch_setup(app, tenant)
    state = get_state(app)
    with state.sessions() as session, _statements(state.engine) as statements:
        page = cadences.losing_touch(session, tenant.id, uuid.UUID(rita["id"]), now=T0, limit=10)
    assert [item.full_name for item in page.items] == ["Longest", "Lost"]  # longest silence first
    assert [item.days_since_touch for item in page.items] == [400, 70]
    assert page.items[1].losing_touch_at == T0 - timedelta(days=10)
    assert len(statements) == 3  # recruiter check, the page, its names: no query per person

    with state.sessions() as session:
        first = cadences.losing_touch(session, tenant.id, uuid.UUID(rita["id"]), now=T0, limit=1)
        second = cadences.losing_touch(session, tenant.id, uuid.UUID(rita["id"]), now=T0, limit=1,
                                       cursor=first.next_cursor)
    assert [i.full_name for i in first.items + second.items] == ["Longest", "Lost"] and second.next_cursor is None


def test_losing_touch_over_the_api(app: Flask, tenant: Any, other_tenant: Any) -> None:
    rita = _losing_touch_setup(app, tenant)  # T0 is long past: "now" puts more people past their max
    listed = tenant.walk(f"/recruiters/{rita['id']}/losing-touch", limit=2)
    assert [item["full_name"] for item in listed] == ["Longest", "Lost", "Due", "Fresh"]
    assert set(listed[0]) == {"person_id", "full_name", "tier", "max_days", "last_touch_at", "days_since_touch",
                              "losing_touch_at"}
    assert other_tenant.get(f"/recruiters/{rita['id']}/losing-touch").status_code == 404


# --- accept, pause -----------------------------------------------------------------------------------------

def test_accept_a_proposed_cadence_and_pause_it(app: Flask, tenant: Any) -> None:
    person = _person(tenant)
    _put(tenant, f"/people/{person['id']}/cadence", {"tier": "standard"})
    with get_state(app).sessions() as session:
        cadence = cadences.find(session, tenant.id, uuid.UUID(person["id"]))
        assert cadence is not None
        cadence.status = cadences.PROPOSED
        session.commit()
    accepted = tenant.post(f"/people/{person['id']}/cadence/accept")
    assert accepted.status_code == 200 and accepted.json["status"] == "active"
    assert tenant.post(f"/people/{person['id']}/cadence/accept").json["status"] == "active"  # idempotent
    with get_state(app).sessions() as session:
        actor = Actor.system()
        assert cadences.pause(session, tenant.id, uuid.UUID(person["id"]), actor).status == "paused"
    refused = tenant.post(f"/people/{person['id']}/cadence/accept")
    assert refused.status_code == 409, refused.json
    resumed = _put(tenant, f"/people/{person['id']}/cadence", {"tier": "standard"})
    assert resumed.json["status"] == "active"


# --- tenant settings ---------------------------------------------------------------------------------------

DEFAULT_SETTINGS = {"rule_connect_and_thank": True, "rule_cadence_proposal": True, "rule_role_opening": True,
                    "role_lead_weeks": 6, "wake_notice_days": 3, "skip_weekends_and_holidays": True,
                    "cadence_tiers": {"close": [30, 60], "standard": [90, 180], "light": [180, 365]},
                    "default_tier": "standard"}


def test_settings_default_and_change(app: Flask, tenant: Any, other_tenant: Any) -> None:
    assert tenant.get("/tenant/settings").json == {"data": DEFAULT_SETTINGS}
    with get_state(app).sessions() as session:  # another feature's key in the same JSON stays untouched
        row = tenants.get(session, tenant.id)
        row.settings = {"digest_footer": "Hilsen"}
        session.commit()
    changed = tenant.patch("/tenant/settings", json={"role_lead_weeks": 8, "rule_connect_and_thank": False,
                                                     "cadence_tiers": {"monthly": [30, 90], "yearly": [365, 730]},
                                                     "default_tier": "monthly"})
    assert changed.status_code == 200, changed.json
    expected = {**DEFAULT_SETTINGS, "role_lead_weeks": 8, "rule_connect_and_thank": False, "default_tier": "monthly",
                "cadence_tiers": {"monthly": [30, 90], "yearly": [365, 730]}}
    assert changed.json == {"data": expected}
    assert tenant.get("/tenant/settings").json == {"data": expected}
    with get_state(app).sessions() as session:
        assert tenants.get(session, tenant.id).settings["digest_footer"] == "Hilsen"
    assert other_tenant.get("/tenant/settings").json == {"data": DEFAULT_SETTINGS}
    person = _person(tenant)
    assert _put(tenant, f"/people/{person['id']}/cadence", {"tier": "yearly"}).json["max_days"] == 730
    assert _put(tenant, f"/people/{person['id']}/cadence", {"tier": "close"}).status_code == 422


@pytest.mark.parametrize(("body", "fields"), [
    ({"role_lead_weeks": -1}, {"role_lead_weeks"}),
    ({"rule_role_opening": "yes"}, {"rule_role_opening"}),
    ({"cadence_tiers": {"x": [90, 30]}}, {"cadence_tiers.x"}),
    ({"cadence_tiers": {"x": [30, 90]}}, {"default_tier"}),  # the default tier would be gone
    ({"default_tier": "weekly"}, {"default_tier"}),
    ({"cadence_tiers": {}}, {"cadence_tiers"}),
    ({"colour": "red"}, {"colour"}),
])
def test_bad_settings_are_refused(tenant: Any, body: dict, fields: set[str]) -> None:
    response = tenant.patch("/tenant/settings", json=body)
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == fields
    assert tenant.get("/tenant/settings").json == {"data": DEFAULT_SETTINGS}


def test_changing_settings_needs_the_admin_scope(app: Flask, tenant: Any) -> None:
    with get_state(app).sessions() as session:
        key = tenants.create_api_key(session, tenant.id, "no-admin", ("read", "write"))
    headers = {"Authorization": f"Bearer {key}"}
    assert tenant.client.get("/api/v1/tenant/settings", headers=headers).status_code == 200
    refused = tenant.client.patch("/api/v1/tenant/settings", json={"role_lead_weeks": 2}, headers=headers)
    assert refused.status_code == 403 and "admin" in refused.json["message"]
    assert tenant.get("/tenant/settings").json["data"]["role_lead_weeks"] == 6
