"""The fast queue on the server: the next working day in "this week" (a Friday shows Monday), the totals in one
statement, the page's one-line rows and their markers, the JSON answers the page's script asks for, and undo
(ten seconds on a clock the test sets, the same recruiter only, the same tenant only, once, audited)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor
from plugin.extension import get_state
from plugin.followups import queue as queue_service
from plugin.followups import undo
from plugin.followups import views as queue_views
from plugin.models import (
    AuditEvent,
    Cadence,
    FollowUp,
    FollowUpStatus,
    Installation,
    Origin,
    Person,
    PersonLink,
    Tenant,
    Touchpoint,
    Vendor,
    WriteBack,
    utcnow,
)
from tests.pages import make_recruiter, post_form, section, sign_in

FRIDAY = datetime(2030, 1, 11, 10, 0, tzinfo=UTC)  # 11:00 in Oslo
JSON = {"Accept": "application/json"}


def _add_followup(session: Session, tenant_id: uuid.UUID, owner_id: uuid.UUID, name: str, due_at: datetime,
                  status: FollowUpStatus = FollowUpStatus.OPEN, **fields: Any) -> FollowUp:
    """Straight through the models: any due time, also one in the past (the API refuses those now)."""
    person = Person(tenant_id=tenant_id, first_name=name, last_name="Test", owner_id=owner_id)
    session.add(person)
    session.flush()
    followup = FollowUp(tenant_id=tenant_id, person_id=person.id, owner_id=owner_id, reason=f"Reason for {name}",
                        due_at=due_at, status=status, **fields)
    session.add(followup)
    session.commit()
    return followup


def _names(sections: list[queue_service.Section], name: str) -> list[str]:
    return [row.person.first_name for s in sections if s.name == name for row in s.rows]


# --- the next working day ------------------------------------------------------------------------------------

def _oslo(day: int, month: int = 1, hour: int = 9) -> datetime:
    """`hour` o'clock in Oslo on a day of 2030, as UTC."""
    return datetime(2030, month, day, hour, tzinfo=ZoneInfo("Europe/Oslo")).astimezone(UTC)


@pytest.fixture
def owner(session: Session, tenant: Any) -> uuid.UUID:
    recruiter = make_recruiter(tenant, email="fred@acme.no", name="Fred", time_zone="Europe/Oslo")
    return uuid.UUID(recruiter["id"])


def test_on_a_friday_this_week_holds_mondays_follow_ups(session: Session, tenant: Any, owner: uuid.UUID) -> None:
    for name, due in (("Saturday", _oslo(12)), ("Monday", _oslo(14)), ("MondayLate", _oslo(14, hour=23)),
                      ("Tuesday", _oslo(15, hour=0))):
        _add_followup(session, tenant.id, owner, name, due)
    filters = queue_service.Filters(owner_id=owner)

    def week(now: datetime) -> list[str]:
        return _names(queue_service.build(session, tenant.id, filters, now=now, time_zone="Europe/Oslo", limit=20),
                      "week")

    assert week(FRIDAY) == ["Saturday", "Monday", "MondayLate"]
    assert week(FRIDAY + timedelta(days=1)) == ["Monday", "MondayLate"]  # Saturday: Monday is next
    assert week(FRIDAY + timedelta(days=2)) == ["Monday", "MondayLate"]  # Sunday
    assert week(FRIDAY - timedelta(days=1)) == ["Saturday"]  # Thursday: Friday is next, inside the week
    edges = queue_service.edges_for(session, tenant.id, FRIDAY, "Europe/Oslo")
    assert edges.next_working_day == datetime(2030, 1, 14).date()
    assert queue_service.edges_for(session, tenant.id, FRIDAY - timedelta(days=1),
                                   "Europe/Oslo").next_working_day is None
    assert queue_service.counts(session, tenant.id, filters, now=FRIDAY, time_zone="Europe/Oslo")["week"] == 3


def test_before_easter_this_week_runs_to_the_tuesday_after(session: Session, tenant: Any, owner: uuid.UUID) -> None:
    """Maundy Thursday, Good Friday and Easter Monday are Norwegian holidays: from the Wednesday before Easter
    2030 (17 April) the next working day is Tuesday 23 April, and "this week" reaches it."""
    _add_followup(session, tenant.id, owner, "EasterTuesday", _oslo(23, month=4))
    _add_followup(session, tenant.id, owner, "Wednesday", _oslo(24, month=4))
    wednesday = _oslo(17, month=4, hour=10)
    sections = queue_service.build(session, tenant.id, queue_service.Filters(owner_id=owner), now=wednesday,
                                   time_zone="Europe/Oslo", limit=20)
    assert _names(sections, "week") == ["EasterTuesday"]
    # A tenant that works weekends and holidays sees its Thursday next, inside the week.
    session.get(Tenant, tenant.id).settings = {"skip_weekends_and_holidays": False}
    session.flush()
    sections = queue_service.build(session, tenant.id, queue_service.Filters(owner_id=owner), now=wednesday,
                                   time_zone="Europe/Oslo", limit=20)
    assert _names(sections, "week") == []


def test_totals_come_in_one_statement_and_match_the_sections(app: Flask, session: Session, tenant: Any,
                                                              owner: uuid.UUID) -> None:
    for i in range(4):
        _add_followup(session, tenant.id, owner, f"Late{i}", FRIDAY - timedelta(days=2 + i))
    _add_followup(session, tenant.id, owner, "Today", FRIDAY + timedelta(hours=2))
    _add_followup(session, tenant.id, owner, "Waking", FRIDAY + timedelta(days=1), FollowUpStatus.SNOOZED,
                  snoozed_until=FRIDAY + timedelta(days=1))
    filters = queue_service.Filters(owner_id=owner)
    statements: list[str] = []
    engine = get_state(app).engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        found = queue_service.load(session, tenant.id, filters, now=FRIDAY, time_zone="Europe/Oslo", limit=2)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert found.counts == {"overdue": 4, "today": 1, "week": 0, "losing_touch": 0, "waking_up": 1}
    assert len(_names(found.sections, "overdue")) == 2  # a page of two; the total says four
    counting = [s for s in statements if "count(" in s.lower()]
    assert len(counting) == 1
    # The page's statements: the tenant's rules, five section pages, people, touches, and the totals.
    assert len(statements) <= 10


# --- the page --------------------------------------------------------------------------------------------------

@pytest.fixture
def me(app: Flask, client: FlaskClient, tenant: Any) -> dict:
    recruiter = make_recruiter(tenant, time_zone="Europe/Oslo")
    sign_in(app, client, recruiter["id"])
    return recruiter


def _mine(session: Session, tenant: Any, me: dict, name: str, due_at: datetime, **fields: Any) -> FollowUp:
    return _add_followup(session, tenant.id, uuid.UUID(me["id"]), name, due_at, **fields)


def test_rows_are_one_line_with_counts_anchors_and_a_worded_overdue_marker(client: FlaskClient, session: Session,
                                                                            tenant: Any, me: dict) -> None:
    now = utcnow()
    for days in (3, 4, 5):
        _mine(session, tenant, me, f"Late{days}", now - timedelta(days=days))
    html = client.get("/queue").get_data(as_text=True)
    overdue = section(html, "overdue")
    assert len(re.findall(r'<tr class="row late"', overdue)) == 3
    assert 'id="c-overdue" data-count="overdue">3<' in overdue
    assert "Due 3 days ago" in overdue and "Reason for Late3" in overdue and "Kari Nordmann" in overdue
    for name in queue_service.SECTIONS:  # the landing page and the digest link to these
        assert f'<section id="{name}"' in html and f'href="#{name}"' in html
    assert 'data-queue-action="done"' in overdue and 'data-queue-action="snooze"' in overdue
    assert '<dialog id="keys"' in html and 'aria-keyshortcuts="?"' in html
    assert "Nothing due today." in section(html, "today")


def test_the_queue_reads_in_norwegian(app: Flask, client: FlaskClient, session: Session, tenant: Any) -> None:
    nora = make_recruiter(tenant, email="nora@acme.no", name="Nora", language="nb", time_zone="Europe/Oslo")
    sign_in(app, client, nora["id"])
    _add_followup(session, tenant.id, uuid.UUID(nora["id"]), "Ola", utcnow() - timedelta(days=3))
    html = client.get("/queue").get_data(as_text=True)
    overdue = section(html, "overdue")
    assert "Forfalt for 3 dager siden" in overdue and "Utsett 1 uke" in overdue and ">Valg<" in overdue
    assert ">Lenge siden sist</h2>" in html and ">Kommer tilbake snart</h2>" in html
    assert "Hurtigtaster" in html and "Angre det siste du merket ferdig eller utsatte" in html


def test_the_script_gets_json_and_can_undo(client: FlaskClient, session: Session, tenant: Any, me: dict) -> None:
    late = _mine(session, tenant, me, "Olav", utcnow() - timedelta(days=2))
    done = post_form(client, f"/queue/{late.id}/done", {"next": "/queue"}, headers=JSON)
    assert done.status_code == 200 and done.json["message"] == "Done: Reason for Olav"
    assert done.json["undo_url"] == f"/queue/{late.id}/undo"
    assert tenant.get(f"/followups/{late.id}").json["status"] == "done"

    again = post_form(client, f"/queue/{late.id}/done", {}, headers=JSON)  # a second `d` changes nothing
    assert again.status_code == 409 and set(again.json) == {"code", "status", "message", "errors"}
    assert session.scalar(select(func.count()).select_from(Touchpoint).where(
        Touchpoint.person_id == late.person_id)) == 1

    undone = post_form(client, done.json["undo_url"], {}, headers=JSON)
    assert undone.status_code == 200 and undone.json["message"] == "Undone: Reason for Olav is back in the queue."
    assert tenant.get(f"/followups/{late.id}").json["status"] == "open"
    twice = post_form(client, done.json["undo_url"], {}, headers=JSON)
    assert twice.status_code == 404 and twice.json["message"] == "There is nothing to undo."

    snoozed = post_form(client, f"/queue/{late.id}/snooze", {"preset": "1w"}, headers=JSON)
    assert snoozed.status_code == 200 and snoozed.json["message"].startswith("Snoozed until ")
    assert tenant.get(f"/followups/{late.id}").json["status"] == "snoozed"
    assert post_form(client, snoozed.json["undo_url"], {}, headers=JSON).status_code == 200
    back = tenant.get(f"/followups/{late.id}").json
    assert back["status"] == "open" and back["snoozed_until"] is None
    assert datetime.fromisoformat(back["due_at"]) == late.due_at

    refused = client.post(f"/queue/{late.id}/done", data={}, headers=JSON)  # no CSRF token
    assert refused.status_code == 400 and refused.json["code"] == 400
    assert post_form(client, f"/queue/{late.id}/snooze", {"preset": "3y"}, headers=JSON).json["code"] == 422
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == late.id,
                                                                   AuditEvent.action == "undo")))
    assert actions == ["undo", "undo"]


def test_undo_after_ten_seconds_is_refused(monkeypatch: pytest.MonkeyPatch, client: FlaskClient, session: Session,
                                           tenant: Any, me: dict) -> None:
    """The page's clock is set, never slept on: done at T, undo at T + 10 s works, at T + 10.001 s it does not."""
    moment = [utcnow()]
    monkeypatch.setattr(queue_views, "utcnow", lambda: moment[0])
    first = _mine(session, tenant, me, "Olav", moment[0] - timedelta(days=2))
    second = _mine(session, tenant, me, "Per", moment[0] - timedelta(days=2))

    post_form(client, f"/queue/{first.id}/done", {}, headers=JSON)
    moment[0] += undo.WINDOW
    assert post_form(client, f"/queue/{first.id}/undo", {}, headers=JSON).status_code == 200

    post_form(client, f"/queue/{second.id}/snooze", {"preset": "1m"}, headers=JSON)
    moment[0] += undo.WINDOW + timedelta(milliseconds=1)
    late = post_form(client, f"/queue/{second.id}/undo", {}, headers=JSON)
    assert late.status_code == 409
    assert late.json["message"] == "Too late to undo: that was more than 10 seconds ago."
    assert tenant.get(f"/followups/{second.id}").json["status"] == "snoozed"


def test_only_the_recruiter_who_acted_can_undo(app: Flask, client: FlaskClient, session: Session, tenant: Any,
                                               other_tenant: Any, me: dict) -> None:
    late = _mine(session, tenant, me, "Olav", utcnow() - timedelta(days=2))
    assert post_form(client, f"/queue/{late.id}/done", {}, headers=JSON).status_code == 200

    colleague = make_recruiter(tenant, email="per@acme.no", name="Per Kollega", is_admin=True)
    theirs = app.test_client()
    sign_in(app, theirs, colleague["id"])
    refused = post_form(theirs, f"/queue/{late.id}/undo", {}, headers=JSON)
    assert refused.status_code == 404 and refused.json["code"] == 404
    assert tenant.get(f"/followups/{late.id}").json["status"] == "done"

    rival = make_recruiter(other_tenant, email="x@rival.no", name="Rival")
    stranger = app.test_client()
    sign_in(app, stranger, rival["id"])
    assert post_form(stranger, f"/queue/{late.id}/undo", {}, headers=JSON).status_code == 404  # another tenant's id
    assert post_form(stranger, f"/queue/{late.id}/undo", {}).status_code == 404  # and as a page
    assert post_form(client, f"/queue/{late.id}/undo", {}, headers=JSON).status_code == 200  # still mine to undo


def test_without_script_the_forms_still_work_and_offer_undo(client: FlaskClient, session: Session, tenant: Any,
                                                            me: dict) -> None:
    late = _mine(session, tenant, me, "Olav", utcnow() - timedelta(days=2))
    response = post_form(client, f"/queue/{late.id}/done", {"next": "/queue?limit=5"})
    assert response.status_code == 302 and response.location == "/queue?limit=5"
    page = client.get("/queue?limit=5").get_data(as_text=True)
    assert "Done: Reason for Olav" in page and f'action="/queue/{late.id}/undo"' in page
    assert f'action="/queue/{late.id}/undo"' not in client.get("/queue").get_data(as_text=True)  # offered once
    back = post_form(client, f"/queue/{late.id}/undo", {"next": "/queue"})
    assert back.status_code == 302 and back.location == "/queue"
    assert f'data-row="{late.id}"' in section(client.get("/queue").get_data(as_text=True), "overdue")
    assert tenant.get(f"/followups/{late.id}").json["status"] == "open"


# --- undo, the service --------------------------------------------------------------------------------------

def test_undoing_a_completion_takes_back_its_touch_clock_follow_ups_and_write_backs(
        app: Flask, session: Session, redis: Redis, tenant: Any, owner: uuid.UUID) -> None:
    before = utcnow() - timedelta(days=40)
    late = _add_followup(session, tenant.id, owner, "Olav", utcnow() - timedelta(days=2))
    session.add(Cadence(tenant_id=tenant.id, person_id=late.person_id, max_days=180, last_touch_at=before))
    installation = Installation(tenant_id=tenant.id, vendor=Vendor.GREENHOUSE, name="GH", base_url="http://gh.test",
                                credentials_encrypted="-", webhook_secret_encrypted="-", settings={"write_back": True})
    session.add(installation)
    session.flush()
    session.add(PersonLink(tenant_id=tenant.id, person_id=late.person_id, installation_id=installation.id, ats_id="7"))
    session.commit()
    actor, now = Actor("recruiter", str(owner), Origin.SIDEBAR), utcnow()

    completion = undo.complete(session, redis, tenant.id, late.id, {"kind": "meeting", "summary": "Lunsj"}, actor, now)
    person_id = late.person_id
    thanks = session.scalars(select(FollowUp).where(FollowUp.person_id == person_id, FollowUp.id != late.id)).all()
    assert len(thanks) == 1  # a meeting earns a thank-you follow-up (the connect-and-thank rule)
    assert session.scalar(select(func.count()).select_from(WriteBack).where(WriteBack.person_id == person_id)) == 1
    assert session.scalar(select(Cadence.last_touch_at).where(Cadence.person_id == person_id)) > before

    assert undo.undo(session, redis, tenant.id, late.id, actor, now + timedelta(seconds=3))[0] == "done"
    session.expire_all()
    followup = session.get(FollowUp, late.id)
    assert followup.status == FollowUpStatus.OPEN and followup.completed_at is None and followup.touchpoint_id is None
    assert session.get(Touchpoint, completion.touchpoint.id) is None
    assert session.scalar(select(Cadence.last_touch_at).where(Cadence.person_id == person_id)) == before
    assert session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.person_id == person_id)) == 1
    assert session.scalar(select(func.count()).select_from(WriteBack).where(WriteBack.person_id == person_id)) == 0
    audited = set(session.execute(select(AuditEvent.action, AuditEvent.entity_type).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action.in_(["undo", "delete"]))).all())
    assert audited == {("undo", "followup"), ("delete", "touchpoint"), ("delete", "followup")}


def test_undo_is_judged_on_the_clock_given_and_refuses_a_changed_follow_up(
        session: Session, redis: Redis, tenant: Any, owner: uuid.UUID) -> None:
    actor, now = Actor("recruiter", str(owner), Origin.API), utcnow()
    waking = _add_followup(session, tenant.id, owner, "Vilde", now + timedelta(days=1), FollowUpStatus.SNOOZED,
                           snoozed_until=now + timedelta(days=1))
    undo.snooze(session, redis, tenant.id, waking.id, {"preset": "1w"}, actor, now)
    assert undo.pending(redis, tenant.id, waking.id, actor, now + undo.WINDOW) == "snooze"
    assert undo.pending(redis, tenant.id, waking.id, actor, now + undo.WINDOW + timedelta(microseconds=1)) is None
    with pytest.raises(undo.TooLate):
        undo.undo(session, redis, tenant.id, waking.id, actor, now + timedelta(seconds=11))
    with pytest.raises(undo.NothingToUndo):  # someone else's action is not yours to undo
        undo.undo(session, redis, tenant.id, waking.id, Actor("recruiter", str(uuid.uuid4()), Origin.API), now)

    # Rescheduled in between (by anyone): the snooze it would undo is gone, so nothing is undone.
    undo.snooze(session, redis, tenant.id, waking.id, {"preset": "1m"}, actor, now)
    session.execute(FollowUp.__table__.update().where(FollowUp.id == waking.id).values(
        status=FollowUpStatus.OPEN, snoozed_until=None))
    session.commit()
    session.expire_all()  # as a new request's session would read it
    with pytest.raises(undo.ChangedSince):
        undo.undo(session, redis, tenant.id, waking.id, actor, now + timedelta(seconds=1))

    # Undone at once, a snooze of a snoozed follow-up comes back as it was: snoozed until the day before.
    session.execute(FollowUp.__table__.update().where(FollowUp.id == waking.id).values(
        status=FollowUpStatus.SNOOZED, snoozed_until=now + timedelta(days=1), due_at=now + timedelta(days=1)))
    session.commit()
    session.expire_all()
    undo.snooze(session, redis, tenant.id, waking.id, {"preset": "2m"}, actor, now)
    undo.undo(session, redis, tenant.id, waking.id, actor, now + timedelta(seconds=2))
    session.expire_all()
    restored = session.get(FollowUp, waking.id)
    assert restored.status == FollowUpStatus.SNOOZED
    assert restored.snoozed_until == restored.due_at == now + timedelta(days=1)


def test_another_tenants_follow_up_is_a_404_for_undo(session: Session, redis: Redis, tenant: Any,
                                                     other_tenant: Any, owner: uuid.UUID) -> None:
    actor, now = Actor("recruiter", str(owner), Origin.API), utcnow()
    late = _add_followup(session, tenant.id, owner, "Olav", now - timedelta(days=1))
    undo.complete(session, redis, tenant.id, late.id, {"kind": "message", "summary": ""}, actor, now)
    with pytest.raises(undo.NotFoundError) as refused:
        undo.undo(session, redis, other_tenant.id, late.id, actor, now)
    assert not isinstance(refused.value, undo.NothingToUndo)  # the id itself is unknown there
