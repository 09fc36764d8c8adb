"""GDPR for passive candidates: the art. 14 notice, consent renewal, retention on a frozen clock, the consent
page, the privacy settings and the export."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from plugin.extension import get_state
from plugin.models import (
    AuditEvent,
    Fingerprint,
    FollowUp,
    Person,
    PersonEmail,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    Touchpoint,
    TouchpointKind,
)
from plugin.privacy import consent, retention, tasks
from plugin.reports import figures
from plugin.reports.figures import parse_month

T0 = datetime(2024, 1, 15, 10, tzinfo=UTC)


def _recruiter(tenant: Any, email: str = "kari@acme.no") -> str:
    return tenant.create("/recruiters", {"email": email, "name": "Kari Rekrutterer"})["id"]


def _person(tenant: Any, **extra: Any) -> dict:
    body = {"first_name": "Ola", "last_name": "Nordmann", "emails": ["ola@example.no"], "data_source": "referral",
            "languages": ["nb"], **extra}
    return tenant.create("/people", body)


def _followups(app: Flask, person_id: Any, kind: str) -> list[FollowUp]:
    with get_state(app).sessions() as session:
        return list(session.scalars(select(FollowUp).where(FollowUp.person_id == uuid.UUID(str(person_id)),
                                                           FollowUp.kind == kind).order_by(FollowUp.due_at)))


def _old_month_report(app: Flask, tenant_id: uuid.UUID) -> dict:
    with get_state(app).sessions() as session:
        data = figures.build(session, tenant_id, parse_month("2024-02"), now=datetime(2026, 6, 1, tzinfo=UTC))
    return {k: v for k, v in data.items() if k != "generated_at"}


def _seed_referrals(app: Flask, tenant_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """The person referred someone and was referred, both in February 2024: what the old report counts."""
    with get_state(app).sessions() as session:
        other = Person(tenant_id=tenant_id, first_name="Kari", last_name="Referert", data_source="manual")
        outsider = Reference(tenant_id=tenant_id, kind=ReferenceKind.OUTSIDER, name="Per Tipser")
        mine = Reference(tenant_id=tenant_id, kind=ReferenceKind.CANDIDATE, person_id=person_id,
                         note="Ola tipser ofte")
        session.add_all([other, outsider, mine])
        session.flush()
        feb = datetime(2024, 2, 10, 12, tzinfo=UTC)
        session.add_all([
            Referral(tenant_id=tenant_id, reference_id=mine.id, person_id=other.id, channel=ReferralChannel.EVENT,
                     prompted=False, note="Ola anbefalte Kari", referred_at=feb, status_changed_at=feb),
            Referral(tenant_id=tenant_id, reference_id=outsider.id, person_id=person_id,
                     channel=ReferralChannel.PHONE, prompted=True, note="Om Ola Nordmann", referred_at=feb,
                     status_changed_at=feb),
            Touchpoint(tenant_id=tenant_id, person_id=person_id, kind=TouchpointKind.MEETING, occurred_at=feb,
                       summary="Lunsj med Ola"),
        ])
        session.commit()


def test_full_lifecycle_on_a_frozen_clock(app: Flask, tenant: Any) -> None:
    """collect → notice due → notice sent → renewal prompt → expiry → grace → anonymised; the old report holds."""
    owner = _recruiter(tenant)
    person = _person(tenant, owner_id=owner, lawful_basis="consent", collected_at=T0.isoformat(),
                     linkedin_url="https://www.linkedin.com/in/ola-nordmann")
    pid = uuid.UUID(person["id"])
    expires = datetime(2025, 1, 15, 10, tzinfo=UTC)
    assert person["consent_expires_at"] == expires.isoformat()  # the tenant's 12 months

    # Collected from someone else: the owner gets a notice task, due well inside the month, text ready.
    [notice] = _followups(app, pid, tasks.ART14)
    assert notice.due_at == T0 + timedelta(days=21) and str(notice.owner_id) == owner
    assert "artikkel 14" in notice.note and "Datatilsynet" in notice.note and "anbefalte deg" in notice.note
    assert "Ola" not in notice.note  # the text names no one
    assert tenant.post(f"/people/{pid}/art14-sent", json={"sent_at": (T0 + timedelta(days=3)).isoformat()}
                       ).status_code == 200
    [notice] = _followups(app, pid, tasks.ART14)
    assert notice.status == "done"
    assert tenant.get(f"/people/{pid}").json["art14_notice_sent_at"] == (T0 + timedelta(days=3)).isoformat()

    _seed_referrals(app, tenant.id, pid)
    report_before = _old_month_report(app, tenant.id)
    assert report_before["referrals"]["total"]["current"] == 2

    state = get_state(app)

    def daily(now: datetime) -> retention.DailyResult:
        with state.sessions() as session:
            return retention.run_daily(session, tenant.id, now)

    assert daily(expires - timedelta(days=40)).renewal_prompts == 0
    assert daily(expires - timedelta(days=20)).renewal_prompts == 1
    assert daily(expires - timedelta(days=19)).renewal_prompts == 0  # once per expiry
    [prompt] = _followups(app, pid, tasks.CONSENT_RENEWAL)
    assert prompt.due_at == expires - timedelta(days=30) and "15 January 2025" in prompt.reason

    after_expiry = expires + timedelta(days=1)
    assert daily(after_expiry).anonymised == 0  # in the grace period: shown, not yet anonymised
    with state.sessions() as session:
        [pending] = retention.will_be_anonymised(session, tenant.id, after_expiry)
    assert (pending.person_id, pending.reason, pending.anonymise_at) == (pid, "consent_expired",
                                                                          expires + timedelta(days=7))
    assert tenant.get(f"/people/{pid}").json["first_name"] == "Ola"
    status = tenant.get(f"/people/{pid}/retention").json  # the real clock: long past this expiry
    assert (status["reason"], status["lapses_at"], status["will_be_anonymised"]) == (
        "consent_expired", expires.isoformat(), True)

    assert daily(expires + timedelta(days=8)).anonymised == 1
    assert daily(expires + timedelta(days=9)).anonymised == 0
    with state.sessions() as session:
        row = session.get(Person, pid)
        assert row is not None and row.anonymised_at == expires + timedelta(days=8)
        assert (row.first_name, row.last_name, row.linkedin_url, row.emails) == ("Anonymised", "", None, [])
        assert {f.kind for f in session.scalars(select(Fingerprint))} == {"email", "linkedin"}
        assert [r.note for r in session.scalars(select(Referral))] == ["", ""]
        assert all(t.summary == "" for t in session.scalars(select(Touchpoint).where(Touchpoint.person_id == pid)))
    assert _old_month_report(app, tenant.id) == report_before


def test_legitimate_interest_lapses_after_the_retention_period_since_the_last_touch(app: Flask, tenant: Any) -> None:
    person = _person(tenant, collected_at=T0.isoformat())
    pid = uuid.UUID(person["id"])
    touched = T0 + timedelta(days=100)
    assert tenant.post(f"/people/{pid}/touchpoints", json={"kind": "call", "occurred_at": touched.isoformat()}
                       ).status_code == 201
    state = get_state(app)
    lapse = touched.replace(year=touched.year + 2)  # 24 months after the last touch
    with state.sessions() as session:
        assert retention.will_be_anonymised(session, tenant.id, lapse - timedelta(days=1)) == []
        [soon] = retention.will_be_anonymised(session, tenant.id, lapse - timedelta(days=1), within_days=14)
        assert (soon.reason, soon.lapsed_at, soon.anonymise_at) == ("retention_expired", lapse,
                                                                    lapse + timedelta(days=7))
        assert len(retention.will_be_anonymised(session, tenant.id, lapse + timedelta(days=1))) == 1
        assert retention.run_daily(session, tenant.id, lapse + timedelta(days=6)).anonymised == 0
        assert retention.run_daily(session, tenant.id, lapse + timedelta(days=7)).anonymised == 1


def test_first_hand_people_get_no_notice_and_settings_change_the_rules(app: Flask, tenant: Any) -> None:
    typed = _person(tenant, data_source="manual", emails=["selv@example.no"])
    assert _followups(app, typed["id"], tasks.ART14) == []
    assert tenant.patch("/privacy/settings", json={"consent_months": 24, "art14_notice_days": 10}).status_code == 200
    assert tenant.get("/privacy/settings").json["data"]["consent_months"] == 24
    bad = tenant.patch("/privacy/settings", json={"art14_notice_days": 45, "nope": 1})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"art14_notice_days", "nope"}
    person = _person(tenant, emails=["ny@example.no"], lawful_basis="consent", collected_at=T0.isoformat())
    assert person["consent_expires_at"] == datetime(2026, 1, 15, 10, tzinfo=UTC).isoformat()
    [notice] = _followups(app, person["id"], tasks.ART14)
    assert notice.due_at == T0 + timedelta(days=10)


def test_notice_text_in_the_persons_language(tenant: Any) -> None:
    english = _person(tenant, languages=["en"], emails=["sam@example.com"], data_source="LinkedIn")
    notice = tenant.get(f"/people/{english['id']}/art14-notice").json
    assert notice["language"] == "en" and "Article 14" in notice["text"] and "LinkedIn" in notice["text"]
    assert "Datatilsynet" in notice["text"] and "Acme AS" in notice["subject"]
    norsk = tenant.get(f"/people/{_person(tenant)['id']}/art14-notice").json
    assert norsk["language"] == "nb" and "innsyn" in norsk["text"]


def _link(tenant: Any, person_id: str, **body: Any) -> str:
    response = tenant.post(f"/people/{person_id}/consent-link", json=body)
    assert response.status_code == 201, response.json
    return response.json["url"].removeprefix("http://brobygger.test")


def test_consent_page_accepts_once_in_the_persons_language(app: Flask, client: Any, tenant: Any) -> None:
    person = _person(tenant, lawful_basis="consent")
    url = _link(tenant, person["id"])
    page = client.get(url)
    assert page.status_code == 200 and 'lang="nb"' in page.text and "Forny samtykket i 12 måneder" in page.text
    assert "Ola" not in page.text and "ola@example.no" not in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"

    done = client.post(url, data={"action": "extend"})
    assert done.status_code == 200 and "Takk!" in done.text
    expires = datetime.fromisoformat(tenant.get(f"/people/{person['id']}").json["consent_expires_at"])
    assert expires - datetime.now(UTC) > timedelta(days=700)  # extended: 24 months
    assert client.post(url, data={"action": "accept"}).status_code == 410
    assert client.get(url).status_code == 410
    assert client.get(url[:-3] + "abc").status_code == 404
    with get_state(app).sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.actor_type == consent.DATA_SUBJECT)).one()
    assert event.details == {"fields": ["consent_expires_at", "lawful_basis"]}


def test_consent_page_erasure_and_emailed_link(app: Flask, client: Any, tenant: Any) -> None:
    person = _person(tenant, lawful_basis="consent", languages=["en"])
    response = tenant.post(f"/people/{person['id']}/consent-link", json={"send_email": True})
    assert response.json["emailed"] is True and response.json["language"] == "en"
    outbox = get_state(app).instance_path / "outbox"
    [path] = list(outbox.glob("*.eml"))
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "ola@example.no"
    body = mail.get_body().get_content()  # type: ignore[union-attr]
    url = re.search(r"http://brobygger\.test(/privacy/consent/\S+)", body).group(1)  # type: ignore[union-attr]
    assert "Renew my consent" in client.get(url).text
    assert "has been erased" in client.post(url, data={"action": "erase"}).text
    with get_state(app).sessions() as session:
        row = session.get(Person, uuid.UUID(person["id"]))
        assert row is not None and row.anonymised_at is not None and row.first_name == "Anonymised"
        assert session.scalars(select(PersonEmail)).all() == []
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.actor_type == consent.DATA_SUBJECT)))
    assert actions == {"anonymise", "erase"}


def test_export_holds_everything_about_the_person_and_is_audited(tenant: Any) -> None:
    person = _person(tenant, linkedin_url="https://www.linkedin.com/in/ola")
    pid = person["id"]
    tenant.post(f"/people/{pid}/touchpoints", json={"kind": "meeting", "occurred_at": "2024-03-01T10:00:00Z",
                                                   "summary": "Kaffe"})
    tipper = tenant.create("/people", {"first_name": "Tipser", "data_source": "manual"})
    assert tenant.post("/referrals", json={"person_id": pid, "channel": "phone", "prompted": False,
                                           "referrer": {"kind": "candidate", "person_id": tipper["id"]}}
                       ).status_code == 201
    data = tenant.get(f"/people/{pid}/export").json
    assert data["person"]["first_name"] == "Ola" and [e["email"] for e in data["emails"]] == ["ola@example.no"]
    assert [t["summary"] for t in data["touchpoints"] if t["summary"]] == ["Kaffe"]
    assert len(data["referrals_received"]) == 1 and data["referrals_given"] == []
    assert {f["kind"] for f in data["followups"]} >= {tasks.ART14}
    assert {e["action"] for e in data["audit_events"]} >= {"create"}
    given = tenant.get(f"/people/{tipper['id']}/export").json
    assert len(given["referrals_given"]) == 1 and len(given["reference"]) == 1
    audit = tenant.get("/audit", query_string={"person_id": pid, "entity": "person"}).json["data"]
    assert audit[0]["action"] == "export" and audit[0]["surface"] == "api"


def test_cron_enqueues_the_daily_retention_job_once_a_day(app: Flask, tenant: Any) -> None:
    from rq import SimpleWorker

    from plugin.cron import tick

    state = get_state(app)
    now = datetime.now(UTC).replace(hour=3, minute=0, second=0, microsecond=0)
    job_id = f"privacy-{tenant.id}-{now:%Y%m%d}"
    with app.app_context():
        assert job_id in tick(now)
        assert job_id not in tick(now)  # still queued: the same id is not added twice
        SimpleWorker([state.queue], connection=state.redis).work(burst=True)
        assert state.queue.fetch_job(job_id).return_value() == {"renewal_prompts": 0, "anonymised": 0}
        assert job_id not in tick(now + timedelta(hours=2))  # done today
        assert f"privacy-{tenant.id}-{now + timedelta(days=1):%Y%m%d}" in tick(now + timedelta(days=1))
