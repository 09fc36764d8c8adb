"""Follow-ups over the REST API: scheduling, the queue's filters, and every action on a follow-up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.dates import add_months
from plugin.models import AuditEvent, Cadence

SOON = "2030-05-01T09:00:00+00:00"


def _person(t: Any, first_name: str = "Åse", **fields: Any) -> dict:
    return t.create("/people", {"first_name": first_name, **fields})


def _recruiter(t: Any, email: str = "rita@example.no") -> dict:
    return t.create("/recruiters", {"email": email, "name": email.split("@")[0]})


def _role(t: Any, title: str = "Data engineer") -> dict:
    return t.create("/roles", {"title": title})


def _followup(t: Any, person_id: str, **fields: Any) -> dict:
    return t.create("/followups", {"person_id": person_id, "reason": "Ask about the new platform team", "due_at": SOON,
                                   **fields})


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_create_defaults_the_owner_to_the_persons_owner(tenant: Any) -> None:
    owner = _recruiter(tenant)
    person = _person(tenant, owner_id=owner["id"])
    followup = _followup(tenant, person["id"], due_at="2030-05-01T11:00:00+02:00")
    assert followup["owner_id"] == owner["id"]
    assert followup["person_id"] == person["id"]
    assert followup["role_id"] is None
    assert followup["kind"] == "manual"
    assert followup["status"] == "open"
    assert _when(followup["due_at"]) == datetime(2030, 5, 1, 9, tzinfo=UTC)  # shown in UTC
    assert followup["touchpoint_id"] is None
    fetched = tenant.get(f"/followups/{followup['id']}")
    assert fetched.status_code == 200
    assert fetched.json == followup


def test_create_with_explicit_owner_role_or_no_owner(tenant: Any) -> None:
    person = _person(tenant, owner_id=_recruiter(tenant)["id"])
    other = _recruiter(tenant, "otto@example.no")
    role = _role(tenant)
    followup = _followup(tenant, person["id"], owner_id=other["id"], role_id=role["id"])
    assert (followup["owner_id"], followup["role_id"]) == (other["id"], role["id"])
    assert _followup(tenant, person["id"], owner_id=None)["owner_id"] is None


def test_create_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.post("/followups", json={
        "reason": "", "due_at": "soon", "owner_id": "nobody", "role_id": 7, "kind": "auto"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"person_id", "reason", "due_at", "owner_id", "role_id", "kind"}
    long = tenant.post("/followups", json={"person_id": str(uuid.uuid4()), "reason": "x" * 2001, "due_at": SOON})
    assert long.status_code == 422
    assert set(long.json["errors"]) == {"reason"}


@pytest.mark.parametrize("field", ["person_id", "owner_id", "role_id"])
def test_create_with_another_tenants_reference_is_422(tenant: Any, other_tenant: Any, field: str) -> None:
    person = _person(tenant)
    theirs = {"person_id": _person(other_tenant)["id"], "owner_id": _recruiter(other_tenant)["id"],
              "role_id": _role(other_tenant)["id"]}
    response = tenant.post("/followups", json={
        "person_id": person["id"], "reason": "Catch up", "due_at": SOON, field: theirs[field]})
    assert response.status_code == 422
    assert response.json["errors"] == {field: ["Unknown id."]}


def test_list_filters(tenant: Any) -> None:
    rita, otto = _recruiter(tenant), _recruiter(tenant, "otto@example.no")
    ase, ola = _person(tenant), _person(tenant, "Ola")
    a = _followup(tenant, ase["id"], owner_id=rita["id"], due_at="2030-01-10T08:00:00Z", reason="a")
    b = _followup(tenant, ase["id"], owner_id=otto["id"], due_at="2030-01-20T08:00:00Z", reason="b")
    c = _followup(tenant, ola["id"], owner_id=rita["id"], due_at="2030-01-05T08:00:00Z", reason="c")
    d = _followup(tenant, ola["id"], owner_id=otto["id"], due_at="2030-01-15T08:00:00Z", reason="d")
    assert tenant.post(f"/followups/{d['id']}/cancel").status_code == 200
    assert tenant.post(f"/followups/{b['id']}/snooze", json={"until": "2030-02-01T08:00:00Z"}).status_code == 200

    def reasons(**query: Any) -> list[str]:
        response = tenant.get("/followups", query_string=query)
        assert response.status_code == 200, response.json
        return [f["reason"] for f in response.json["data"]]

    assert reasons() == ["c", "a", "d", "b"]  # in due order; the snooze moved b to February
    assert reasons(owner_id=rita["id"]) == ["c", "a"]
    assert reasons(person_id=ase["id"]) == ["a", "b"]
    assert reasons(status="open") == ["c", "a"]
    assert reasons(status=["snoozed", "cancelled"]) == ["d", "b"]
    assert reasons(due_from="2030-01-10T08:00:00Z", due_to="2030-01-15T08:00:00Z") == ["a"]  # [from, to)
    assert reasons(due_from="2030-01-15T09:00:00+01:00") == ["d", "b"]
    assert reasons(owner_id=otto["id"], status="open") == []
    assert {c["id"], a["id"]} == {f["id"] for f in tenant.get("/followups", query_string={
        "owner_id": rita["id"]}).json["data"]}


def test_list_paginates_in_due_order(tenant: Any) -> None:
    person = _person(tenant)
    start = datetime(2030, 3, 1, tzinfo=UTC)
    made = [_followup(tenant, person["id"], due_at=(start + timedelta(days=i % 3)).isoformat(),
                      reason=f"r{i}")["id"] for i in range(7)]
    seen: list[dict] = []
    cursor = None
    while True:
        body = tenant.get("/followups", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})}).json
        assert len(body["data"]) <= 3
        seen += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(f["id"] for f in seen) == sorted(made)
    assert [f["due_at"] for f in seen] == sorted(f["due_at"] for f in seen)


def test_list_query_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.get("/followups", query_string={
        "status": "late", "due_from": "monday", "owner_id": "rita", "person_id": "1", "limit": 0, "cursor": "x"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"status.0", "due_from", "owner_id", "person_id", "limit"}
    backwards = tenant.get("/followups", query_string={"due_from": "2030-02-01T00:00:00Z",
                                                       "due_to": "2030-01-01T00:00:00Z"})
    assert backwards.status_code == 422
    assert set(backwards.json["errors"]) == {"due_to"}


def test_complete_logs_a_touchpoint_resets_the_cadence_and_books_the_next(tenant: Any, session: Session) -> None:
    owner = _recruiter(tenant)
    person = _person(tenant, owner_id=owner["id"])
    role = _role(tenant)
    session.add(Cadence(tenant_id=tenant.id, person_id=uuid.UUID(person["id"]),
                        last_touch_at=datetime(2025, 1, 1, tzinfo=UTC)))
    session.commit()
    followup = _followup(tenant, person["id"], role_id=role["id"])

    response = tenant.post(f"/followups/{followup['id']}/complete", json={
        "kind": "call", "occurred_at": "2026-04-30T14:00:00+02:00", "summary": "Open to a chat in autumn",
        "next": {"due_at": "2030-09-01T08:00:00Z", "reason": "Autumn chat"}})
    assert response.status_code == 200, response.json
    done, touchpoint, following = response.json["followup"], response.json["touchpoint"], response.json["next"]
    assert done["status"] == "done"
    assert done["completed_at"] is not None
    assert done["touchpoint_id"] == touchpoint["id"]
    assert (touchpoint["kind"], touchpoint["summary"]) == ("call", "Open to a chat in autumn")
    assert touchpoint["recruiter_id"] == owner["id"]
    assert _when(touchpoint["occurred_at"]) == datetime(2026, 4, 30, 12, tzinfo=UTC)
    assert [t["id"] for t in tenant.get(f"/people/{person['id']}/touchpoints").json["data"]] == [touchpoint["id"]]
    assert following["status"] == "open"
    assert (following["person_id"], following["owner_id"], following["role_id"]) == (
        person["id"], owner["id"], role["id"])
    assert (following["reason"], _when(following["due_at"])) == ("Autumn chat", datetime(2030, 9, 1, 8, tzinfo=UTC))
    assert tenant.get(f"/followups/{done['id']}").json["status"] == "done"

    session.expire_all()
    cadence = session.scalars(select(Cadence).where(Cadence.person_id == uuid.UUID(person["id"]))).one()
    assert cadence.last_touch_at == datetime(2026, 4, 30, 12, tzinfo=UTC)


def test_complete_without_a_body_logs_a_message_now(tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    before = datetime.now(UTC)
    response = tenant.post(f"/followups/{followup['id']}/complete")
    assert response.status_code == 200, response.json
    assert response.json["touchpoint"]["kind"] == "message"
    assert before <= _when(response.json["touchpoint"]["occurred_at"]) <= datetime.now(UTC)
    assert response.json["next"] is None


def test_complete_validation_names_every_bad_field(tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    response = tenant.post(f"/followups/{followup['id']}/complete", json={
        "kind": "telepathy", "occurred_at": "noon", "summary": "x" * 5001, "next": {"due_at": "later"}})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"kind", "occurred_at", "summary", "next.due_at", "next.reason"}
    assert tenant.get(f"/followups/{followup['id']}").json["status"] == "open"


def test_snooze_by_preset_uses_calendar_months(tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    before = datetime.now(UTC)
    response = tenant.post(f"/followups/{followup['id']}/snooze", json={"preset": "2m", "note": "On leave"})
    after = datetime.now(UTC)
    assert response.status_code == 200, response.json
    snoozed = response.json
    assert snoozed["status"] == "snoozed"
    assert add_months(before, 2) <= _when(snoozed["snoozed_until"]) <= add_months(after, 2)
    assert snoozed["due_at"] == snoozed["snoozed_until"]
    assert snoozed["note"] == "On leave"

    week = tenant.post(f"/followups/{followup['id']}/snooze", json={"preset": "1w", "note": "Still away"}).json
    assert before + timedelta(weeks=1) <= _when(week["due_at"]) <= datetime.now(UTC) + timedelta(weeks=1)
    assert week["note"] == "On leave\nStill away"  # notes accumulate


def test_snooze_until_a_time(tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    response = tenant.post(f"/followups/{followup['id']}/snooze", json={"until": "2031-01-31T09:00:00+01:00"})
    assert response.status_code == 200, response.json
    assert _when(response.json["snoozed_until"]) == datetime(2031, 1, 31, 8, tzinfo=UTC)
    assert _when(response.json["due_at"]) == datetime(2031, 1, 31, 8, tzinfo=UTC)
    assert response.json["note"] == ""


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"preset", "until"}),
    ({"preset": "1m", "until": "2031-01-01T00:00:00Z"}, {"preset", "until"}),
    ({"until": "2001-01-01T00:00:00Z"}, {"until"}),
    ({"preset": "1y", "until": "tomorrow", "note": "x" * 2001, "why": "?"}, {"preset", "until", "note", "why"}),
])
def test_snooze_validation(tenant: Any, body: dict, fields: set[str]) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    response = tenant.post(f"/followups/{followup['id']}/snooze", json=body)
    assert response.status_code == 422
    assert set(response.json["errors"]) == fields


@pytest.mark.parametrize(("start", "months", "expected"), [
    (datetime(2030, 1, 31, 9, tzinfo=UTC), 1, datetime(2030, 2, 28, 9, tzinfo=UTC)),
    (datetime(2028, 1, 31, 9, tzinfo=UTC), 1, datetime(2028, 2, 29, 9, tzinfo=UTC)),
    (datetime(2030, 8, 31, 9, tzinfo=UTC), 6, datetime(2031, 2, 28, 9, tzinfo=UTC)),
    (datetime(2030, 11, 30, 9, tzinfo=UTC), 2, datetime(2031, 1, 30, 9, tzinfo=UTC)),
    (datetime(2030, 12, 15, 9, tzinfo=UTC), 1, datetime(2031, 1, 15, 9, tzinfo=UTC)),
])
def test_add_months_clamps_to_the_end_of_the_month(start: datetime, months: int, expected: datetime) -> None:
    assert add_months(start, months) == expected


def test_reschedule_reopens_a_snoozed_follow_up(tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    tenant.post(f"/followups/{followup['id']}/snooze", json={"preset": "1m"})
    response = tenant.post(f"/followups/{followup['id']}/reschedule", json={"due_at": "2030-06-01T10:00:00+02:00"})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "open"
    assert response.json["snoozed_until"] is None
    assert _when(response.json["due_at"]) == datetime(2030, 6, 1, 8, tzinfo=UTC)

    invalid = tenant.post(f"/followups/{followup['id']}/reschedule", json={"due_at": "2030-13-01", "x": 1})
    assert invalid.status_code == 422
    assert set(invalid.json["errors"]) == {"due_at", "x"}
    missing = tenant.post(f"/followups/{followup['id']}/reschedule", json={})
    assert set(missing.json["errors"]) == {"due_at"}


def test_reassign(tenant: Any, other_tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant, owner_id=_recruiter(tenant)["id"])["id"])
    otto = _recruiter(tenant, "otto@example.no")
    response = tenant.post(f"/followups/{followup['id']}/reassign", json={"owner_id": otto["id"]})
    assert response.status_code == 200, response.json
    assert response.json["owner_id"] == otto["id"]

    foreign = tenant.post(f"/followups/{followup['id']}/reassign", json={"owner_id": _recruiter(other_tenant)["id"]})
    assert foreign.status_code == 422
    assert foreign.json["errors"] == {"owner_id": ["Unknown id."]}
    invalid = tenant.post(f"/followups/{followup['id']}/reassign", json={"owner_id": None, "note": "x"})
    assert invalid.status_code == 422
    assert set(invalid.json["errors"]) == {"owner_id", "note"}
    assert tenant.get(f"/followups/{followup['id']}").json["owner_id"] == otto["id"]


def test_cancel_keeps_the_note(tenant: Any) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    response = tenant.post(f"/followups/{followup['id']}/cancel", json={"note": "Moved abroad"})
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["note"]) == ("cancelled", "Moved abroad")
    invalid = tenant.post(f"/followups/{_followup(tenant, followup['person_id'])['id']}/cancel",
                          json={"note": "x" * 2001, "reason": "x"})
    assert invalid.status_code == 422
    assert set(invalid.json["errors"]) == {"note", "reason"}


@pytest.mark.parametrize("finish", ["complete", "cancel"])
@pytest.mark.parametrize("action", ["complete", "snooze", "reschedule", "reassign", "cancel"])
def test_a_finished_follow_up_cannot_be_acted_on(tenant: Any, finish: str, action: str) -> None:
    followup = _followup(tenant, _person(tenant)["id"])
    body = {"complete": None, "snooze": {"preset": "1w"}, "reschedule": {"due_at": "2031-01-01T00:00:00Z"},
            "reassign": {"owner_id": _recruiter(tenant)["id"]}, "cancel": None}[action]
    assert tenant.post(f"/followups/{followup['id']}/{finish}").status_code == 200
    response = tenant.post(f"/followups/{followup['id']}/{action}", json=body)
    assert response.status_code == 409
    final = "done" if finish == "complete" else "cancelled"
    assert response.json["errors"] == {"status": [final]}
    assert final in response.json["message"]
    after = tenant.get(f"/followups/{followup['id']}").json
    assert (after["status"], after["owner_id"], after["due_at"]) == (final, None, followup["due_at"])


def test_another_tenants_follow_up_is_404_everywhere(tenant: Any, other_tenant: Any) -> None:
    theirs = _followup(other_tenant, _person(other_tenant)["id"])
    mine = _followup(tenant, _person(tenant)["id"])
    owner = _recruiter(tenant)
    path = f"/followups/{theirs['id']}"
    assert tenant.get(path).status_code == 404
    for action, body in [("complete", None), ("snooze", {"preset": "1w"}), ("reschedule", {"due_at": SOON}),
                         ("reassign", {"owner_id": owner["id"]}), ("cancel", None)]:
        response = tenant.post(f"{path}/{action}", json=body)
        assert response.status_code == 404, action
        assert response.json["code"] == 404
    assert other_tenant.get(path).json["status"] == "open"  # untouched
    assert [f["id"] for f in tenant.get("/followups").json["data"]] == [mine["id"]]
    assert tenant.get("/followups", query_string={"person_id": theirs["person_id"]}).json["data"] == []
    assert [f["id"] for f in other_tenant.get("/followups").json["data"]] == [theirs["id"]]


def test_every_write_is_audited_by_field_name(tenant: Any, session: Session) -> None:
    followup = _followup(tenant, _person(tenant)["id"], reason="Secret plans")
    fid = followup["id"]
    tenant.post(f"/followups/{fid}/snooze", json={"preset": "1w", "note": "Private matter"})
    tenant.post(f"/followups/{fid}/reschedule", json={"due_at": SOON})
    tenant.post(f"/followups/{fid}/reassign", json={"owner_id": _recruiter(tenant)["id"]})
    tenant.post(f"/followups/{fid}/complete", json={"summary": "Talked"})
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "followup",
                                                      AuditEvent.entity_id == uuid.UUID(fid))
                             .order_by(AuditEvent.at, AuditEvent.id)).all()
    assert [(e.action, e.details["fields"]) for e in events] == [
        ("create", ["due_at", "owner_id", "person_id", "reason"]),  # the owner defaulted from the person
        ("update", ["due_at", "note", "snoozed_until", "status"]),
        ("update", ["due_at", "snoozed_until", "status"]),
        ("update", ["owner_id"]),
        ("update", ["completed_at", "status", "touchpoint_id"]),
    ]
    assert all(e.tenant_id == tenant.id for e in events)
    assert "Secret" not in repr([e.details for e in events]) and "Private" not in repr([e.details for e in events])
