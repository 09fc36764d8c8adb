"""The per-recruiter calendar feed: made and revoked over the API, served at a secret URL, and read back
with the icalendar package (one event per open or snoozed follow-up, stable UIDs, UTC start times)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import Recruiter
from tests.pages import make_recruiter

BASE = "http://brobygger.test"


def _setup(tenant: Any) -> tuple[dict, dict[str, dict]]:
    kari = make_recruiter(tenant)
    per = make_recruiter(tenant, email="per@acme.no", name="Per")
    made = {}
    for name, owner, due in (("Olav", kari, datetime(2030, 3, 2, 8, 15, tzinfo=UTC)),
                             ("Tove", kari, datetime(2030, 3, 5, 13, 0, tzinfo=UTC)),
                             ("Done", kari, datetime(2030, 3, 6, 9, 0, tzinfo=UTC)),
                             ("Cancelled", kari, datetime(2030, 3, 6, 9, 0, tzinfo=UTC)),
                             ("Colleague", per, datetime(2030, 3, 6, 9, 0, tzinfo=UTC))):
        person = tenant.create("/people", {"first_name": name, "last_name": "Test"})
        made[name] = tenant.create("/followups", {"person_id": person["id"], "owner_id": owner["id"],
                                                  "reason": f"Coffee with {name}", "due_at": due.isoformat()})
    tenant.post(f"/followups/{made['Tove']['id']}/snooze", json={"preset": "1w"})
    tenant.post(f"/followups/{made['Done']['id']}/complete", json={"kind": "call"})
    tenant.post(f"/followups/{made['Cancelled']['id']}/cancel", json={})
    return kari, made


def _feed(client: FlaskClient, url: str) -> Any:
    return client.get(url.removeprefix(BASE))


def test_feed_has_one_event_per_live_follow_up(client: FlaskClient, tenant: Any, session: Session) -> None:
    kari, made = _setup(tenant)
    created = tenant.post(f"/recruiters/{kari['id']}/calendar-token")
    assert created.status_code == 201
    url = created.json["url"]
    assert url.startswith(f"{BASE}/calendar/") and url.endswith(".ics")
    token = url.removeprefix(f"{BASE}/calendar/").removesuffix(".ics")
    stored = session.scalars(select(Recruiter.calendar_token_hash).where(Recruiter.email == "kari@acme.no")).one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept

    response = _feed(client, url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    by_summary = {str(e["SUMMARY"]): e for e in events}
    assert sorted(by_summary) == ["Follow up: Olav Test", "Follow up: Tove Test"]
    olav = by_summary["Follow up: Olav Test"]
    assert olav.decoded("DTSTART") == datetime(2030, 3, 2, 8, 15, tzinfo=UTC)
    assert olav.decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(olav["DESCRIPTION"]) == "Coffee with Olav" and str(olav["URL"]) == f"{BASE}/queue"
    assert str(olav["UID"]) == f"{made['Olav']['id']}@brobygger"
    tove = by_summary["Follow up: Tove Test"]  # snoozed: at the time it comes due again
    snoozed_until = datetime.fromisoformat(tenant.get(f"/followups/{made['Tove']['id']}").json["snoozed_until"])
    assert tove.decoded("DTSTART") == snoozed_until.replace(microsecond=0)

    again = Calendar.from_ical(_feed(client, url).data)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in events]


def test_a_new_token_revokes_the_old_url_and_delete_revokes_all(client: FlaskClient, tenant: Any) -> None:
    kari, _ = _setup(tenant)
    old = tenant.post(f"/recruiters/{kari['id']}/calendar-token").json["url"]
    new = tenant.post(f"/recruiters/{kari['id']}/calendar-token").json["url"]
    assert old != new
    assert _feed(client, old).status_code == 404
    assert _feed(client, new).status_code == 200
    assert tenant.delete(f"/recruiters/{kari['id']}/calendar-token").status_code == 204
    assert _feed(client, new).status_code == 404
    assert client.get("/calendar/unknown-token.ics").status_code == 404


def test_a_deactivated_recruiters_feed_is_gone(client: FlaskClient, tenant: Any) -> None:
    kari, _ = _setup(tenant)
    url = tenant.post(f"/recruiters/{kari['id']}/calendar-token").json["url"]
    tenant.patch(f"/recruiters/{kari['id']}", json={"active": False})
    assert _feed(client, url).status_code == 404


def test_another_tenant_cannot_make_or_revoke_a_feed(client: FlaskClient, tenant: Any, other_tenant: Any) -> None:
    kari, _ = _setup(tenant)
    url = tenant.post(f"/recruiters/{kari['id']}/calendar-token").json["url"]
    assert other_tenant.post(f"/recruiters/{kari['id']}/calendar-token").status_code == 404
    assert other_tenant.delete(f"/recruiters/{kari['id']}/calendar-token").status_code == 404
    assert _feed(client, url).status_code == 200


def test_an_empty_feed_is_still_a_calendar(client: FlaskClient, tenant: Any) -> None:
    kari = make_recruiter(tenant)
    url = tenant.post(f"/recruiters/{kari['id']}/calendar-token").json["url"]
    calendar = Calendar.from_ical(_feed(client, url).data)
    assert calendar.walk("VEVENT") == [] and str(calendar["VERSION"]) == "2.0"
