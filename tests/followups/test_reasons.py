"""A rule's reason is kept as a template and its parameters: whoever reads the follow-up — its owner in the
calendar and the digest, a colleague in the sidebar after a reassignment — reads it in their own language and
region, while the API and search keep the text in the tenant's language. Migration 0010 gives the rules'
follow-ups already stored their templates."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin import migrate
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.followups import reasons
from plugin.i18n import force_locale
from plugin.models import FollowUp, FollowUpStatus, Person, Recruiter, Role
from tests.migration_support import old_tenant
from tests.notify_helpers import Inbox, World, local_noon, run_tick, smtp_server, text_of, work
from tests.pages import make_recruiter
from tests.sidebar_support import open_sidebar

BASE = "http://brobygger.test"


def _region(app: Flask, recruiter_id: str, region: str | None) -> None:
    with get_state(app).sessions() as session:
        session.execute(update(Recruiter).where(Recruiter.id == uuid.UUID(recruiter_id)).values(region=region))
        session.commit()


def _calendar_descriptions(client: FlaskClient, tenant: Any, recruiter_id: str) -> list[str]:
    url = tenant.post(f"/recruiters/{recruiter_id}/calendar-token").json["url"]
    feed = Calendar.from_ical(client.get(url.removeprefix(BASE)).data)
    return [str(event["DESCRIPTION"]) for event in feed.walk("VEVENT")]


def test_a_reassigned_role_opening_reads_in_the_new_owners_language_and_region(
        app: Flask, client: FlaskClient, tenant: Any, session: Session) -> None:
    nora = make_recruiter(tenant, email="nora@acme.no", name="Nora", language="nb")
    uma = make_recruiter(tenant, email="uma@acme.no", name="Uma", language="en")
    george = make_recruiter(tenant, email="george@acme.no", name="George", language="en")
    _region(app, uma["id"], "US")
    person = tenant.create("/people", {"first_name": "Ada", "owner_id": nora["id"]})
    role = tenant.create("/roles", {"title": "Head of Data", "status": "confidential",
                                    "expected_opening_on": "2030-05-27"})
    tenant.create(f"/roles/{role['id']}/shortlist", {"person_id": person["id"]})
    [followup] = [f for f in tenant.walk("/followups") if f["kind"] == "role_opening"]
    stored = "Før stillingen Head of Data åpner (forventet 27. mai 2030)"
    assert followup["reason"] == stored  # the API: the tenant's language
    row = session.get(FollowUp, uuid.UUID(followup["id"]))
    assert row is not None and (row.reason_key, row.reason_params) == (
        "role_opening", {"title": "Head of Data", "date": "2030-05-27"})
    assert _calendar_descriptions(client, tenant, nora["id"]) == [stored]

    tenant.post(f"/followups/{followup['id']}/reassign", json={"owner_id": uma["id"]})
    assert _calendar_descriptions(client, tenant, uma["id"]) == [
        "Before the role Head of Data opens (expected May 27, 2030)"]
    tenant.post(f"/followups/{followup['id']}/reassign", json={"owner_id": george["id"]})
    assert _calendar_descriptions(client, tenant, george["id"]) == [
        "Before the role Head of Data opens (expected 27 May 2030)"]
    sidebar = open_sidebar(client, tenant, {"person_id": person["id"]}, sub="george@acme.no")[0]
    assert "Before the role Head of Data opens (expected 27 May 2030)" in sidebar.get_data(as_text=True)
    assert tenant.get(f"/followups/{followup['id']}").json["reason"] == stored

    tenant.patch(f"/roles/{role['id']}", json={"title": "Chief Data Officer"})  # the rule rewrites both forms
    assert _calendar_descriptions(client, tenant, george["id"]) == [
        "Before the role Chief Data Officer opens (expected 27 May 2030)"]
    assert tenant.get(f"/followups/{followup['id']}").json["reason"] == (
        "Før stillingen Chief Data Officer åpner (forventet 27. mai 2030)")


def test_a_privacy_task_reads_in_its_owners_language_whatever_the_persons(
        client: FlaskClient, tenant: Any) -> None:
    nora = make_recruiter(tenant, email="nora@acme.no", name="Nora", language="nb")
    person = tenant.create("/people", {"first_name": "Emily", "languages": ["en"], "data_source": "referral",
                                       "owner_id": nora["id"]})
    [task] = [f for f in tenant.walk("/followups", {"person_id": person["id"]}) if f["kind"] == "art14_notice"]
    assert task["reason"] == ("Send the privacy notice (GDPR art. 14): the data came from a person who "
                              "recommended you to us")  # stored in the person's language, with the notice
    sidebar = open_sidebar(client, tenant, {"person_id": person["id"]}, sub="nora@acme.no")[0]
    assert ("Send personverninformasjon (art. 14): opplysningene kom fra en person som anbefalte deg til oss"
            in sidebar.get_data(as_text=True))


def test_a_reason_typed_by_a_recruiter_is_shown_as_typed(app: Flask, session: Session, tenant: Any) -> None:
    person = tenant.create("/people", {"first_name": "Ola"})
    made = tenant.create("/followups", {"person_id": person["id"], "reason": "Spør om plattformteamet",
                                        "due_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()})
    row = session.get(FollowUp, uuid.UUID(made["id"]))
    assert row is not None and row.reason_key is None
    with app.app_context(), force_locale("en"):
        assert reasons.text(row) == "Spør om plattformteamet"
        row.reason_key, row.reason_params = "role_opening", {"title": "Head of Data"}  # a parameter missing
        assert reasons.text(row) == "Spør om plattformteamet"  # the stored words rather than an error


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


def test_the_digest_says_a_rules_reason_in_the_owners_language(app: Flask, session: Session, tenant: Any,
                                                               smtp: Inbox) -> None:
    world = World(session, tenant.id)
    emma = world.recruiter("Emma", language="en")
    person = world.person("Olga", "Owed", emma)
    row = world.followup(person, local_noon("Europe/Oslo", datetime.now(UTC), -1), "Ta kontakt og takk for møtet")
    row.kind, row.reason_key, row.reason_params = "connect_and_thank", "connect_and_thank", {}
    session.commit()
    run_tick(app)
    work(app)
    text = text_of(smtp.to(emma.email)[0])
    assert "Connect and thank after the meeting" in text and "Ta kontakt" not in text


def test_migration_0010_gives_the_rules_follow_ups_their_templates(fresh_database: Any) -> None:
    engine = make_engine(fresh_database("migrations_reasons"))
    try:
        migrate.upgrade(engine, "0009")
        with Session(engine) as session, session.begin():
            tenant_id = old_tenant(session)
            person = Person(tenant_id=tenant_id, first_name="Åse")
            role = Role(tenant_id=tenant_id, title="Head of Data", expected_opening_on=datetime(2030, 5, 27).date())
            session.add_all([person, role])
            session.flush()
            due = datetime(2030, 4, 15, 7, tzinfo=UTC)
            session.execute(FollowUp.__table__.insert(), [
                {"id": uuid.uuid4(), "tenant_id": tenant_id, "person_id": person.id, "kind": kind, "due_at": due,
                 "role_id": role.id if kind == "role_opening" else None, "reason": reason,
                 "status": FollowUpStatus.OPEN, "note": "", "created_at": due, "updated_at": due}
                for kind, reason in (("connect_and_thank", "Ta kontakt og takk for møtet"),
                                     ("role_opening", "Før stillingen Head of Data åpner (forventet 2030-05-27)"),
                                     ("manual", "Kaffe"))])
        migrate.upgrade(engine)
        with Session(engine) as session:
            found = {f.kind: (f.reason_key, f.reason_params) for f in session.scalars(select(FollowUp))}
        assert found == {"connect_and_thank": ("connect_and_thank", {}),
                         "role_opening": ("role_opening", {"title": "Head of Data", "date": "2030-05-27"}),
                         "manual": (None, None)}
        migrate.downgrade(engine, "0009")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
