"""The demo tenant: what `seed-demo` writes, that a second run adds nothing, `--reset` starts over, and the
demo sidebar opens on it. Every check reads the real database the fixtures provide."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin import create_app
from plugin.demo import builder as demo
from plugin.demo.data import DEMO_TENANT_NAME
from plugin.extension import get_state
from plugin.models import (
    ApiKey,
    Cadence,
    FollowUp,
    FollowUpStatus,
    Person,
    PipelineStatus,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    ReferralStatus,
    Role,
    RoleStatus,
    ShortlistEntry,
    Tenant,
    Touchpoint,
    TouchpointKind,
)
from plugin.tenancy import tenants
from tests.helpers import ROOT

# A fixed Wednesday morning, so that "today", "overdue" and "upcoming" do not depend on when the suite runs.
NOW = datetime(2026, 3, 18, 9, 45, tzinfo=UTC)
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def seeded(app: Flask, session: Session) -> demo.SeedResult:
    return demo.seed(session, get_state(app).vault, now=NOW)


def _rows(session: Session, model: Any, tenant_id: uuid.UUID) -> list[Any]:
    return list(session.scalars(select(model).where(model.tenant_id == tenant_id)))


def test_seed_creates_the_demo_tenant_quickly(session: Session, seeded: demo.SeedResult) -> None:
    tenant = session.get(Tenant, seeded.tenant_id)
    assert tenant is not None and tenant.name == DEMO_TENANT_NAME
    assert "https://app.greenhouse.io" in tenant.ats_origins
    assert _rows(session, ApiKey, tenant.id), "tenants.create gives the demo an initial API key"
    assert seeded.created
    assert seeded.seconds < 5
    assert seeded.people == 150
    assert 3 <= seeded.recruiters <= 4
    assert 3 * 150 <= seeded.touchpoints <= 10 * 150 + 100
    assert 55 <= seeded.referrals <= 65
    assert seeded.summary().startswith(f"Demo tenant {DEMO_TENANT_NAME} seeded in ")
    assert f"{seeded.people} people, {seeded.touchpoints} touchpoints" in seeded.summary()


def test_recruiters_speak_norwegian_and_english(session: Session, seeded: demo.SeedResult) -> None:
    recruiters = _rows(session, Recruiter, seeded.tenant_id)
    assert {r.language for r in recruiters} == {"nb", "en"}
    assert {r.time_zone for r in recruiters} == {"Europe/Oslo", "Europe/London"}


def test_people_are_believable_and_their_emails_unique(session: Session, seeded: demo.SeedResult) -> None:
    people = _rows(session, Person, seeded.tenant_id)
    assert any(set("æøåÆØÅ") & set(p.full_name) for p in people)
    assert {"Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø", "London", "Stockholm"} <= {p.location for p in people}
    statuses = Counter(p.status for p in people)
    assert statuses[PipelineStatus.PASSIVE] > len(people) / 2
    assert statuses[PipelineStatus.IN_PROCESS] and statuses[PipelineStatus.HIRED]
    assert all(p.owner_id and p.employer and p.title and p.languages for p in people)
    assert all(1 <= len(p.work_history) <= 3 and p.work_history[0]["employer"] == p.employer for p in people)
    assert {"met at event", "LinkedIn", "referral", "Greenhouse"} <= {p.data_source for p in people}
    assert any(p.consent_expires_at for p in people) and sum(bool(p.linkedin_url) for p in people) > 75

    emails = [e for p in people for e in p.email_addresses]
    assert sum(bool(p.emails) for p in people) >= 0.8 * len(people)
    assert len(emails) == len(set(emails))
    assert all(e == e.lower() for e in emails)
    reserved = ("example.com", "example.net", "example.org")  # RFC 2606: a demo never mails a real inbox
    assert all(e.endswith(".example") or e.split("@")[1] in reserved for e in emails)


def test_touchpoints_cover_eighteen_months_and_reset_the_cadence(session: Session, seeded: demo.SeedResult) -> None:
    touches = _rows(session, Touchpoint, seeded.tenant_id)
    times = [t.occurred_at for t in touches]
    assert max(times) - min(times) >= timedelta(days=17 * 30)
    assert NOW - timedelta(days=18 * 31) <= min(times) and max(times) <= NOW
    assert {t.kind for t in touches} == set(TouchpointKind)
    assert all(t.summary for t in touches)
    per_person = Counter(t.person_id for t in touches)
    assert len(per_person) == seeded.people and min(per_person.values()) >= 3

    latest: dict[uuid.UUID, datetime] = {}
    for t in touches:
        latest[t.person_id] = max(latest.get(t.person_id, t.occurred_at), t.occurred_at)
    cadences = _rows(session, Cadence, seeded.tenant_id)
    assert len(cadences) >= 0.8 * seeded.people
    assert all(c.last_touch_at == latest[c.person_id] and c.ideal_days < c.max_days for c in cadences)


def test_followups_in_every_status_and_queue_state(session: Session, seeded: demo.SeedResult) -> None:
    followups = _rows(session, FollowUp, seeded.tenant_id)
    assert {f.status for f in followups} == set(FollowUpStatus)
    assert all(f.reason.strip() for f in followups)
    assert any(f.role_id for f in followups)

    today = NOW.astimezone(OSLO).date()
    open_days = [f.due_at.astimezone(OSLO).date() for f in followups if f.status == FollowUpStatus.OPEN]
    assert any(d < today for d in open_days), "overdue"
    assert any(d == today for d in open_days), "due today"
    assert any(d > today for d in open_days), "upcoming"

    touches = {t.id: t for t in _rows(session, Touchpoint, seeded.tenant_id)}
    for f in followups:
        if f.status == FollowUpStatus.DONE:
            touch = touches[f.touchpoint_id]
            assert touch.person_id == f.person_id and f.completed_at == touch.occurred_at >= f.due_at
        if f.status == FollowUpStatus.SNOOZED:
            assert f.snoozed_until > NOW

    # The recruiter /demo/sidebar signs in as (first by e-mail) sees a full queue of their own.
    first = min(_rows(session, Recruiter, seeded.tenant_id), key=lambda r: r.email)
    mine = [f for f in followups if f.owner_id == first.id and f.status == FollowUpStatus.OPEN]
    assert {(f.due_at.astimezone(OSLO).date() > today) - (f.due_at.astimezone(OSLO).date() < today)
            for f in mine} == {-1, 0, 1}


def test_roles_are_mostly_unadvertised_with_shortlists(session: Session, seeded: demo.SeedResult) -> None:
    roles = _rows(session, Role, seeded.tenant_id)
    assert {r.status for r in roles} == set(RoleStatus)
    unadvertised = [r for r in roles if r.status in (RoleStatus.ANTICIPATED, RoleStatus.CONFIDENTIAL)]
    assert len(unadvertised) > len(roles) / 3
    assert all(r.expected_opening_on and r.expected_opening_on > NOW.date() for r in unadvertised)
    sizes = Counter(e.role_id for e in _rows(session, ShortlistEntry, seeded.tenant_id))
    assert all(2 <= sizes[r.id] <= 6 for r in roles)


def test_references_of_every_kind(session: Session, seeded: demo.SeedResult) -> None:
    references = _rows(session, Reference, seeded.tenant_id)
    assert {r.kind for r in references} == set(ReferenceKind)
    employees = [r for r in references if r.kind == ReferenceKind.EMPLOYEE]
    assert any(r.recruiter_id for r in employees) and any(r.person_id for r in employees)
    outsiders = [r for r in references if r.kind == ReferenceKind.OUTSIDER]
    assert all(r.name and r.person_id is None and r.recruiter_id is None for r in outsiders)
    assert any(r.email for r in outsiders) and any(r.email is None for r in outsiders)


def test_referrals_prompted_and_unprompted_with_top_references(session: Session, seeded: demo.SeedResult) -> None:
    referrals = _rows(session, Referral, seeded.tenant_id)
    references = {r.id: r for r in _rows(session, Reference, seeded.tenant_id)}
    assert {r.prompted for r in referrals} == {True, False}
    assert {r.channel for r in referrals} == set(ReferralChannel)
    assert {r.status for r in referrals} == set(ReferralStatus)
    assert any(r.role_id for r in referrals) and any(r.job_ref for r in referrals)
    assert any(r.role_id is None and r.job_ref is None for r in referrals)
    assert all(references[r.reference_id].person_id != r.person_id for r in referrals), "no self-referral"
    times = [r.referred_at for r in referrals]
    assert NOW - timedelta(days=18 * 31) <= min(times) and max(times) <= NOW
    assert max(times) - min(times) >= timedelta(days=15 * 30)

    unprompted = Counter(r.reference_id for r in referrals if not r.prompted)
    top = unprompted.most_common(3)
    assert all(count >= 5 for _, count in top), "a few active top references recommend us unasked"
    assert sum(count for _, count in top) > sum(r.prompted is False for r in referrals) / 3


def test_a_second_seed_creates_nothing(app: Flask, session: Session, seeded: demo.SeedResult) -> None:
    again = demo.seed(session, get_state(app).vault)
    assert not again.created
    assert again.tenant_id == seeded.tenant_id
    assert again.counts() == seeded.counts()
    assert "already seeded" in again.summary()
    assert len(session.scalars(select(Tenant).where(Tenant.name == DEMO_TENANT_NAME)).all()) == 1


def test_reset_recreates_the_same_demo(app: Flask, session: Session, seeded: demo.SeedResult) -> None:
    names = sorted(p.full_name for p in _rows(session, Person, seeded.tenant_id))
    fresh = demo.seed(session, get_state(app).vault, reset=True, now=NOW)
    assert fresh.created and fresh.tenant_id != seeded.tenant_id
    assert session.get(Tenant, seeded.tenant_id) is None
    assert _rows(session, Person, seeded.tenant_id) == []
    assert fresh.counts() == seeded.counts()
    assert sorted(p.full_name for p in _rows(session, Person, fresh.tenant_id)) == names


def test_an_empty_demo_tenant_left_by_an_interrupted_seed_is_replaced(app: Flask, session: Session) -> None:
    leftover = tenants.create(session, get_state(app).vault, DEMO_TENANT_NAME).tenant.id
    result = demo.seed(session, get_state(app).vault, now=NOW)
    assert result.created and result.people == 150
    assert session.get(Tenant, leftover) is None


def test_a_failing_reset_leaves_the_old_demo_untouched(app: Flask, session: Session, seeded: demo.SeedResult,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real_batches = demo._Builder.batches

    def failing_batches(self: Any) -> Iterator[Any]:
        for number, batch in enumerate(real_batches(self)):
            if number == 2:
                raise RuntimeError("disk full")
            yield batch

    monkeypatch.setattr(demo._Builder, "batches", failing_batches)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.seed(session, get_state(app).vault, reset=True, now=NOW)
    demo_tenants = session.scalars(select(Tenant).where(Tenant.name == DEMO_TENANT_NAME)).all()
    assert [t.id for t in demo_tenants] == [seeded.tenant_id]
    assert len(_rows(session, Person, seeded.tenant_id)) == seeded.people


def test_now_must_be_timezone_aware(app: Flask, session: Session) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        demo.seed(session, get_state(app).vault, now=datetime(2026, 3, 18, 9, 45))


def test_cli_seed_demo(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["brobygger", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert f"Demo tenant {DEMO_TENANT_NAME} seeded in " in first.output
    assert "150 people" in first.output

    second = runner.invoke(args=["brobygger", "seed-demo"])
    assert second.exit_code == 0, second.output
    assert "already seeded" in second.output

    reset = runner.invoke(args=["brobygger", "seed-demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert "seeded in " in reset.output


@pytest.fixture
def demo_app(app: Flask, app_config: dict[str, Any]) -> Iterator[Flask]:
    """A second app on the same database with BROBYGGER_DEMO on; `app` empties the tables afterwards."""
    demo_app = create_app({**app_config, "BROBYGGER_DEMO": True})
    yield demo_app
    get_state(demo_app).engine.dispose()


def test_demo_sidebar_opens_on_the_showcase_person(demo_app: Flask, seeded: demo.SeedResult) -> None:
    response = demo_app.test_client().get("/demo/sidebar", follow_redirects=True)
    assert response.status_code == 200, response.text
    page = response.text
    assert "Solveig Ødegård" in page
    assert "Senior dataingeniør, energihandel" in page  # her next follow-up: a role not yet advertised
    assert "uoppfordret" in page  # who referred her ("unprompted": the demo recruiter reads Norwegian)


def test_demo_queue_signs_in_the_demo_recruiter(demo_app: Flask, seeded: demo.SeedResult) -> None:
    from urllib.parse import urlsplit

    client = demo_app.test_client()
    handoff = client.get("/demo/queue")
    assert handoff.status_code == 302
    link = urlsplit(handoff.headers["Location"])  # a sign-in link on BASE_URL, as e-mailed links are
    assert link.path.startswith("/login/")
    response = client.get(link.path, follow_redirects=True)
    assert response.status_code == 200, response.text
    assert response.request.path == "/queue"
    assert "Ane Løvås" in response.text


def test_demo_shortcuts_do_not_exist_outside_the_demo(client: Any, seeded: demo.SeedResult) -> None:
    assert client.get("/demo/queue").status_code == 404
    assert client.get("/demo/sidebar").status_code == 404


WITHOUT_FAKER = """
import importlib, pkgutil, sys
sys.modules["faker"] = None  # as if the `demo` extra were not installed
import plugin
from plugin import create_app, migrate
from plugin.config import ConfigError
from plugin.demo import builder
from plugin.extension import get_state
for module in pkgutil.walk_packages(plugin.__path__, "plugin."):
    if ".migrations." not in module.name and module.name != "plugin.__main__":
        importlib.import_module(module.name)
app = create_app({"BROBYGGER_DATABASE_URL": f"sqlite:///{sys.argv[1]}/demo.db", "INSTANCE_PATH": sys.argv[1],
                  "BROBYGGER_REDIS_URL": sys.argv[2]})
state = get_state(app)
migrate.upgrade(state.engine)
with app.app_context(), state.sessions() as session:
    try:
        builder.seed(session, state.vault)
    except ConfigError as exc:
        print(exc)
"""


def test_only_the_demo_needs_faker(tmp_path: Path, redis_url: str) -> None:
    """Every module imports and the app starts without Faker; seeding the demo says what to install."""
    result = subprocess.run([sys.executable, "-c", WITHOUT_FAKER, str(tmp_path), redis_url], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "the demo needs Faker: pip install 'brobygger[demo]'"


def test_the_demo_recruiter_has_a_message_to_read_and_one_to_finish(session: Session,
                                                                     seeded: demo.SeedResult) -> None:
    from plugin.messages import messages, tone

    found = demo.demo_recruiter(session)
    assert found is not None
    _tenant, ane = found
    waiting = messages.to_review(session, seeded.tenant_id, ane)
    assert len(waiting) == 1 and waiting[0].important and waiting[0].author_id != ane.id
    assert tone.check(waiting[0].body, "nb").score < 80  # something for the second reader to catch
    drafts = messages.of_author(session, seeded.tenant_id, ane)
    assert [m.status for m in drafts] == ["draft"] and drafts[0].reason == ""
