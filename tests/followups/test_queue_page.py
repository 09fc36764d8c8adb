"""The follow-up queue: sections at a chosen moment (service), and the page with its actions, CSRF
refusal, filters, pagination, local times and tenant walls (page, with times relative to the real clock)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from plugin.core.dates import add_months
from plugin.extension import get_state
from plugin.followups import cadences
from plugin.followups import queue as queue_service
from plugin.models import (
    Cadence,
    FollowUp,
    FollowUpStatus,
    Person,
    Recruiter,
    Role,
    ShortlistEntry,
    Tenant,
    Touchpoint,
    TouchpointKind,
    utcnow,
)
from tests import past
from tests.pages import make_recruiter, post_form, section, sign_in

NOW = datetime(2030, 1, 9, 10, 0, tzinfo=UTC)  # a Wednesday; 11:00 in Oslo


class World:
    """Rows made straight through the models, so any status and time can be set up."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session, self.tenant_id = session, tenant_id
        self.me = self.recruiter("me@acme.no")
        self.colleague = self.recruiter("colleague@acme.no")

    def recruiter(self, email: str) -> Recruiter:
        recruiter = Recruiter(tenant_id=self.tenant_id, email=email, name=email.split("@")[0], time_zone="Europe/Oslo")
        self.session.add(recruiter)
        self.session.flush()
        return recruiter

    def person(self, name: str, owner: Recruiter | None = None, **fields: Any) -> Person:
        person = Person(tenant_id=self.tenant_id, first_name=name, owner_id=(owner or self.me).id, **fields)
        self.session.add(person)
        self.session.flush()
        return person

    def followup(self, name: str, due_at: datetime, status: FollowUpStatus = FollowUpStatus.OPEN,
                 owner: Recruiter | None = None, **fields: Any) -> FollowUp:
        followup = FollowUp(tenant_id=self.tenant_id, person_id=self.person(name).id, owner_id=(owner or self.me).id,
                            reason=f"Reason for {name}", due_at=due_at, status=status, **fields)
        self.session.add(followup)
        self.session.flush()
        return followup

    def cadence(self, name: str, last_touch_at: datetime, max_days: int = 180, **fields: Any) -> Cadence:
        person = self.person(name, **fields)
        cadence = Cadence(tenant_id=self.tenant_id, person_id=person.id, ideal_days=90, max_days=max_days,
                          last_touch_at=last_touch_at, status="active")
        self.session.add(cadence)
        self.session.flush()
        return cadence


def _names(section: queue_service.Section) -> list[str]:
    return [row.person.first_name for row in section.rows]


def _build(world: World, **kw: Any) -> dict[str, queue_service.Section]:
    filters = queue_service.Filters(owner_id=kw.pop("owner_id", world.me.id), role_id=kw.pop("role_id", None),
                                    tag=kw.pop("tag", None))
    sections = queue_service.build(world.session, world.tenant_id, filters, now=kw.pop("now", NOW),
                                   time_zone=kw.pop("time_zone", "Europe/Oslo"), limit=kw.pop("limit", 20), **kw)
    return {s.name: s for s in sections}


@pytest.fixture
def world(session: Session, tenant: Any) -> World:
    return World(session, tenant.id)


def test_sections_hold_the_right_follow_ups_at_a_chosen_moment(world: World) -> None:
    snoozed = FollowUpStatus.SNOOZED
    world.followup("Overdue", datetime(2030, 1, 8, 22, 30, tzinfo=UTC))  # 23:30 on the 8th in Oslo
    world.followup("EarlyToday", datetime(2030, 1, 8, 23, 30, tzinfo=UTC))  # 00:30 on the 9th in Oslo
    world.followup("LateToday", datetime(2030, 1, 9, 22, 30, tzinfo=UTC))
    world.followup("Sunday", datetime(2030, 1, 13, 22, 0, tzinfo=UTC))  # 23:00 Sunday: still this week
    world.followup("NextMonday", datetime(2030, 1, 13, 23, 30, tzinfo=UTC))
    world.followup("Woken", NOW - timedelta(hours=1), snoozed, snoozed_until=NOW - timedelta(hours=1))
    world.followup("Waking", NOW + timedelta(days=2), snoozed, snoozed_until=NOW + timedelta(days=2))
    world.followup("Sleeping", NOW + timedelta(days=5), snoozed, snoozed_until=NOW + timedelta(days=5))
    world.followup("Finished", NOW - timedelta(days=3), FollowUpStatus.DONE)
    world.followup("Cancelled", NOW - timedelta(days=3), FollowUpStatus.CANCELLED)
    world.followup("Colleagues", NOW - timedelta(days=3), owner=world.colleague)
    world.cadence("Silent", NOW - timedelta(days=200))
    world.cadence("Recent", NOW - timedelta(days=100))
    world.cadence("Unreachable", NOW - timedelta(days=400), do_not_contact=True)
    world.cadence("NotMine", NOW - timedelta(days=400), owner=world.colleague)

    sections = _build(world)
    assert _names(sections["overdue"]) == ["Overdue"]
    assert _names(sections["today"]) == ["EarlyToday", "Woken", "LateToday"]
    assert _names(sections["week"]) == ["Sunday"]
    assert _names(sections["losing_touch"]) == ["Silent"]
    assert _names(sections["waking_up"]) == ["Waking"]
    assert _names(_build(world, owner_id=world.colleague.id)["overdue"]) == ["Colleagues"]
    # The same day is another day in another zone: in Tokyo (UTC+9) 23:30 UTC on the 8th is already the 9th.
    tokyo = _build(world, time_zone="Asia/Tokyo")
    assert "Overdue" in _names(tokyo["today"]) and "LateToday" in _names(tokyo["week"])


def test_losing_touch_matches_the_cadence_service(world: World) -> None:
    for days in (200, 181, 365, 30):
        world.cadence(f"P{days}", NOW - timedelta(days=days))
    world.session.commit()
    expected = [p.full_name for p in cadences.losing_touch(world.session, world.tenant_id, world.me.id, now=NOW,
                                                           limit=50).items]
    assert _names(_build(world)["losing_touch"]) == expected == ["P365", "P200", "P181"]


def test_wake_notice_days_is_the_tenants_setting(world: World) -> None:
    world.followup("InFive", NOW + timedelta(days=5), FollowUpStatus.SNOOZED, snoozed_until=NOW + timedelta(days=5))
    assert _names(_build(world)["waking_up"]) == []
    world.session.get(Tenant, world.tenant_id).settings = {"wake_notice_days": 7}
    world.session.flush()
    assert _names(_build(world)["waking_up"]) == ["InFive"]


def test_filters_by_role_and_tag(world: World) -> None:
    role = Role(tenant_id=world.tenant_id, title="Head of Data")
    world.session.add(role)
    world.session.flush()
    world.followup("ForRole", NOW - timedelta(days=2), role_id=role.id)
    tagged = world.followup("Tagged", NOW - timedelta(days=2))
    world.session.get(Person, tagged.person_id).tags = ["python", "data"]
    silent = world.cadence("SilentTagged", NOW - timedelta(days=300))
    world.session.get(Person, silent.person_id).tags = ["python"]
    world.session.add(ShortlistEntry(tenant_id=world.tenant_id, role_id=role.id, person_id=silent.person_id))
    world.cadence("SilentPlain", NOW - timedelta(days=300))
    world.session.flush()

    by_role = _build(world, role_id=role.id)
    assert _names(by_role["overdue"]) == ["ForRole"]
    assert _names(by_role["losing_touch"]) == ["SilentTagged"]
    by_tag = _build(world, tag="python")
    assert _names(by_tag["overdue"]) == ["Tagged"]
    assert _names(by_tag["losing_touch"]) == ["SilentTagged"]
    assert _names(_build(world, tag="pyth")["overdue"]) == []  # whole tags only


def test_sections_page_on_their_own_keysets(world: World) -> None:
    for day in range(5):
        world.followup(f"Old{day}", NOW - timedelta(days=10 - day))
    first = _build(world, limit=2)["overdue"]
    assert _names(first) == ["Old0", "Old1"] and first.next_cursor
    second = _build(world, limit=2, cursors={"overdue": first.next_cursor})["overdue"]
    third = _build(world, limit=2, cursors={"overdue": second.next_cursor})["overdue"]
    assert _names(second) == ["Old2", "Old3"] and _names(third) == ["Old4"] and third.next_cursor is None


def test_a_page_costs_a_fixed_number_of_queries(app: Flask, world: World) -> None:
    role = Role(tenant_id=world.tenant_id, title="Role")
    world.session.add(role)
    world.session.flush()

    def fill(count: int) -> None:
        for i in range(count):
            followup = world.followup(f"N{count}-{i}", NOW - timedelta(days=2, minutes=i), role_id=role.id)
            world.session.add(_touch(world, followup.person_id, i))
            world.cadence(f"L{count}-{i}", NOW - timedelta(days=300 + i))
        world.session.commit()

    def count_queries() -> int:
        statements: list[str] = []
        engine = get_state(app).engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            _build(world, limit=50)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    fill(2)
    few = count_queries()
    fill(12)
    assert sum(len(s.rows) for s in _build(world, limit=50).values()) == 28
    assert count_queries() == few <= 10


def _touch(world: World, person_id: uuid.UUID, i: int) -> Touchpoint:
    return Touchpoint(tenant_id=world.tenant_id, person_id=person_id, kind=TouchpointKind.CALL,
                      occurred_at=NOW - timedelta(days=30 + i))


# --- the page, with follow-ups made through the API relative to the real clock ---------------------------------


@pytest.fixture
def me(app: Flask, client: FlaskClient, tenant: Any) -> dict:
    recruiter = make_recruiter(tenant, time_zone="Europe/Oslo")
    sign_in(app, client, recruiter["id"])
    return recruiter


def _person(tenant: Any, name: str, owner: dict, **fields: Any) -> dict:
    return tenant.create("/people", {"first_name": name, "last_name": "Test", "owner_id": owner["id"], **fields})


def _followup(tenant: Any, name: str, owner: dict, due_at: datetime, **fields: Any) -> dict:
    person = _person(tenant, name, owner)
    return past.followup(tenant, {"person_id": person["id"], "owner_id": owner["id"],  # overdue ones too
                                  "reason": f"Reason for {name}", "due_at": due_at.isoformat(), **fields})


def _today_start(zone: str) -> datetime:
    local = utcnow().astimezone(ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def test_page_shows_the_sections(client: FlaskClient, tenant: Any, me: dict, session: Session) -> None:
    now = utcnow()
    start = _today_start("Europe/Oslo")
    _followup(tenant, "Olav", me, now - timedelta(days=3))
    _followup(tenant, "Tove", me, start + (now - start) / 2)
    waking = _followup(tenant, "Vilde", me, now + timedelta(days=1))
    tenant.post(f"/followups/{waking['id']}/snooze", json={"until": (now + timedelta(days=2)).isoformat()})
    silent = _person(tenant, "Sindre", me)
    session.add(Cadence(tenant_id=tenant.id, person_id=uuid.UUID(silent["id"]), max_days=180,
                        last_touch_at=now - timedelta(days=200)))
    session.commit()
    tenant.post(f"/people/{silent['id']}/touchpoints", json={"kind": "meeting",
                                                             "occurred_at": (now - timedelta(days=200)).isoformat()})
    page = client.get("/queue")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Olav Test" in section(html, "overdue") and "Reason for Olav" in section(html, "overdue")
    assert "Tove Test" in section(html, "today")
    assert "Vilde Test" in section(html, "waking_up")
    losing = section(html, "losing_touch")
    assert "Sindre Test" in losing and "No touch for 200 days" in losing and "meeting" in losing
    assert "Nothing more this week." in section(html, "week") or "Test" in section(html, "week")
    assert 'src="/static/queue.js"' in html and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert 'target="_blank"' in section(html, "overdue")  # open the sidebar in a new tab


def test_what_people_write_is_escaped_in_the_rows(app: Flask, client: FlaskClient, tenant: Any, me: dict) -> None:
    """The rows are written with autoescape off (for speed): names, reasons, role titles and owners must still
    come out as text."""
    owner = make_recruiter(tenant, "ulla@acme.no", '<u>Ulla</u> "O"')
    role = tenant.create("/roles", {"title": "<i>Rolle</i> & co"})
    person = _person(tenant, '<b>Bo</b> "Q"', owner)
    due_at = (utcnow() - timedelta(days=2)).isoformat()
    past.followup(tenant, {"person_id": person["id"], "owner_id": owner["id"], "role_id": role["id"],
                           "reason": '"><script>alert(1)</script>', "due_at": due_at})
    html = section(client.get(f"/queue?owner={owner['id']}").get_data(as_text=True), "overdue")
    for raw in ("<script>", "<b>Bo</b>", "<i>Rolle</i>", "<u>Ulla</u>"):
        assert raw not in html
    assert '&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;' in html and "&lt;i&gt;Rolle&lt;/i&gt; &amp; co" in html
    assert "&lt;b&gt;Bo&lt;/b&gt; &#34;Q&#34; Test" in html and "&lt;u&gt;Ulla&lt;/u&gt; &#34;O&#34;" in html
    assert 'title="Open &lt;b&gt;Bo&lt;/b&gt; &#34;Q&#34; Test in the sidebar"' in html


def _ids(html: str) -> list[str]:
    return re.findall(r'data-row="([0-9a-f-]+)"', html)


def test_done_logs_a_touchpoint_and_returns_to_the_page(client: FlaskClient, tenant: Any, me: dict) -> None:
    followup = _followup(tenant, "Olav", me, utcnow() - timedelta(days=3))
    back = "/queue?tag=&owner=" + me["id"]
    response = post_form(client, f"/queue/{followup['id']}/done", {"next": back})
    assert response.status_code == 302 and response.location == back
    assert tenant.get(f"/followups/{followup['id']}").json["status"] == "done"
    touches = tenant.get(f"/people/{followup['person_id']}/touchpoints").json["data"]
    assert [t["kind"] for t in touches] == ["message"]
    page = client.get(back).get_data(as_text=True)
    assert "Done: Reason for Olav" in page and followup["id"] not in _ids(page)


def test_snooze_presets_and_reschedule(client: FlaskClient, tenant: Any, me: dict) -> None:
    week = _followup(tenant, "Una", me, utcnow() - timedelta(days=1))
    month = _followup(tenant, "Mons", me, utcnow() - timedelta(days=1))
    before = utcnow()
    assert post_form(client, f"/queue/{week['id']}/snooze", {"preset": "1w", "next": "/queue"}).status_code == 302
    assert post_form(client, f"/queue/{month['id']}/snooze", {"preset": "1m", "next": "/queue"}).status_code == 302
    snoozed = tenant.get(f"/followups/{week['id']}").json
    assert snoozed["status"] == "snoozed"
    until = datetime.fromisoformat(snoozed["snoozed_until"])
    assert before + timedelta(weeks=1) <= until <= utcnow() + timedelta(weeks=1)
    month_until = datetime.fromisoformat(tenant.get(f"/followups/{month['id']}").json["snoozed_until"])
    assert add_months(before, 1) <= month_until <= add_months(utcnow(), 1)
    assert post_form(client, f"/queue/{week['id']}/snooze", {"preset": "3y"}).status_code == 422

    response = post_form(client, f"/queue/{week['id']}/reschedule", {"date": "2031-06-02", "time": "08:30",
                                                                     "next": "/queue?limit=5"})
    assert response.status_code == 302 and response.location == "/queue?limit=5"
    moved = tenant.get(f"/followups/{week['id']}").json
    assert moved["status"] == "open"
    assert datetime.fromisoformat(moved["due_at"]) == datetime(2031, 6, 2, 6, 30, tzinfo=UTC)  # 08:30 in Oslo, summer
    assert post_form(client, f"/queue/{week['id']}/reschedule", {"date": "June"}).status_code == 422


def test_foreign_next_goes_back_to_the_queue(client: FlaskClient, tenant: Any, me: dict) -> None:
    followup = _followup(tenant, "Olav", me, utcnow() - timedelta(days=3))
    response = post_form(client, f"/queue/{followup['id']}/snooze", {"preset": "1w", "next": "//evil.example/x"})
    assert response.location == "/queue"


def test_posts_without_the_csrf_token_are_refused(client: FlaskClient, tenant: Any, me: dict) -> None:
    followup = _followup(tenant, "Olav", me, utcnow() - timedelta(days=3))
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post(f"/queue/{followup['id']}/done", data=data).status_code == 400
        assert client.post(f"/queue/{followup['id']}/snooze", data={**data, "preset": "1w"}).status_code == 400
    assert tenant.get(f"/followups/{followup['id']}").json["status"] == "open"


def test_filters_and_pagination_on_the_page(client: FlaskClient, tenant: Any, me: dict) -> None:
    colleague = make_recruiter(tenant, email="per@acme.no", name="Per Kollega")
    role = tenant.create("/roles", {"title": "Head of Data"})
    now = utcnow()
    for i in range(3):
        _followup(tenant, f"Mine{i}", me, now - timedelta(days=10 - i))
    _followup(tenant, "ForRole", me, now - timedelta(days=2), role_id=role["id"])
    _followup(tenant, "Theirs", colleague, now - timedelta(days=2))
    tagged = _followup(tenant, "Tagged", me, now - timedelta(days=2))
    tenant.patch(f"/people/{tagged['person_id']}", json={"tags": ["python"]})

    first = client.get("/queue?limit=2").get_data(as_text=True)
    overdue = section(first, "overdue")
    assert "Mine0" in overdue and "Mine1" in overdue and "Mine2" not in overdue
    more = re.search(r'href="([^"]*overdue_cursor=[^"]*)" rel="next"', overdue).group(1).replace("&amp;", "&")
    second = section(client.get(more).get_data(as_text=True), "overdue")
    assert "Mine2" in second and "Mine0" not in second and "First page" in second

    by_owner = section(client.get(f"/queue?owner={colleague['id']}").get_data(as_text=True), "overdue")
    assert "Theirs" in by_owner and "Mine0" not in by_owner
    by_role = section(client.get(f"/queue?role={role['id']}").get_data(as_text=True), "overdue")
    assert "ForRole" in by_role and "Mine0" not in by_role and "Head of Data" in by_role
    by_tag = section(client.get("/queue?tag=python").get_data(as_text=True), "overdue")
    assert "Tagged" in by_tag and "Mine0" not in by_tag
    assert client.get(f"/queue?owner={uuid.uuid4()}").status_code == 404
    assert client.get("/queue?role=not-an-id").status_code == 404


def test_times_are_shown_in_the_recruiters_zone(app: Flask, client: FlaskClient, tenant: Any) -> None:
    recruiter = make_recruiter(tenant, email="aroha@acme.no", name="Aroha", time_zone="Pacific/Auckland")
    sign_in(app, client, recruiter["id"])
    due = (utcnow() - timedelta(days=5)).replace(second=0, microsecond=0)
    _followup(tenant, "Olav", recruiter, due)
    html = client.get("/queue").get_data(as_text=True)
    local = due.astimezone(ZoneInfo("Pacific/Auckland"))
    overdue = section(html, "overdue")
    # The sidebar's date (British English: "30 Nov 2026"), the local time on hover; UTC only for machines.
    assert f">{local.day} {local:%b %Y}</time>" in overdue and f", {local:%H:%M}" in overdue
    assert f"{due:%H:%M}" not in re.sub(r'datetime="[^"]*"', "", overdue)
    assert "Times in Pacific/Auckland" in html


def test_another_tenants_follow_up_is_a_404(client: FlaskClient, tenant: Any, other_tenant: Any, me: dict) -> None:
    stranger = make_recruiter(other_tenant, email="x@rival.no", name="Rival")
    theirs = _followup(other_tenant, "Secret", stranger, utcnow() - timedelta(days=1))
    for action, data in (("done", {}), ("snooze", {"preset": "1w"}), ("reschedule", {"date": "2031-01-01"})):
        assert post_form(client, f"/queue/{theirs['id']}/{action}", data).status_code == 404
    assert client.get(f"/queue/people/{theirs['person_id']}/sidebar").status_code == 404
    assert client.get(f"/queue?owner={stranger['id']}").status_code == 404
    assert other_tenant.get(f"/followups/{theirs['id']}").json["status"] == "open"


def test_open_sidebar_signs_a_launch_for_the_recruiter(client: FlaskClient, tenant: Any, me: dict) -> None:
    followup = _followup(tenant, "Olav", me, utcnow() - timedelta(days=1))
    response = client.get(f"/queue/people/{followup['person_id']}/sidebar")
    assert response.status_code == 302 and "/sidebar/launch?jwt=" in response.location
    sidebar = client.get(response.location, follow_redirects=True)  # the launch, then the sidebar page
    assert sidebar.status_code == 200 and "Olav Test" in sidebar.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/queue")
    assert response.status_code == 302 and response.location.endswith("/login")


def test_texts_come_out_in_the_recruiters_language(app: Flask, client: FlaskClient, tenant: Any) -> None:
    recruiter = make_recruiter(tenant, email="nora@acme.no", name="Nora", language="nb")
    sign_in(app, client, recruiter["id"])
    page = client.get("/queue").get_data(as_text=True)
    assert '<html lang="nb">' in page
    assert "<h1>Oppfølgingskø</h1>" in page and ">Forfalt</h2>" in page and ">Denne uken</h2>" in page
