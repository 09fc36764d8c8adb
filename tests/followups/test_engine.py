"""The follow-up engine: notices created once from the database, snoozes that wake up, and digest
e-mails delivered exactly once across a double tick, a Redis flush and a failing SMTP server (a worker
killed mid-send is the drill in tests/drills/test_kill_worker.py). Real database, real Redis, real RQ
workers and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from plugin.core.actors import Actor
from plugin.extension import get_state
from plugin.followups import deliveries, followups, notices
from plugin.followups import jobs as notify
from plugin.models import Delivery, FollowUp, FollowUpStatus, Person, Recruiter, ReferralStatus, Tenant, utcnow
from tests.notify_helpers import Inbox, World, local_noon, run_tick, smtp_server, text_of, work


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


@pytest.fixture
def world(session: Any, tenant: Any) -> World:
    return World(session, tenant.id)


def _collect(app: Flask, now: datetime) -> notices.Counts:
    """Both collections a tick enqueues (follow-ups every minute, people hourly), added up."""
    state = get_state(app)
    with state.sessions() as session:
        minute, hourly = notices.collect(session, now), notices.collect_people(session, now)
    return notices.Counts(**{k: v + hourly.as_dict()[k] for k, v in minute.as_dict().items()})


def _age(world: World, delivery_id: uuid.UUID, **columns: timedelta) -> None:
    """Move a delivery's clock back, as if that much time had passed (claims, retry pauses)."""
    row = world.session.get(Delivery, delivery_id)
    assert row is not None
    world.session.execute(update(Delivery).where(Delivery.id == delivery_id).values(
        {name: getattr(row, name) - delta for name, delta in columns.items()}))
    world.session.commit()


# Notices

def test_notices_are_created_once_with_keys_that_name_the_moment(app: Flask, world: World) -> None:
    now = utcnow()
    me = world.recruiter("Nora Notice")
    due = world.followup(world.person("Due", "Soon", me), now + timedelta(hours=3), "Call")
    world.followup(world.person("Far", "Away", me), now + timedelta(days=20), "Later")
    world.followup(world.person("No", "Owner", None), now, "Nobody's")
    losing_person = world.person("Lost", "Touch", me)
    cadence = world.cadence(losing_person, now - timedelta(days=181, hours=1), max_days=181)
    quiet = world.person("Do", "Not", me)
    quiet.do_not_contact = True
    world.cadence(quiet, now - timedelta(days=300))

    first = _collect(app, now)
    assert (first.due, first.losing_touch) == (1, 1)
    again = _collect(app, now)
    assert again.as_dict() == notices.Counts().as_dict()  # a second tick creates nothing
    assert {n.key for n in world.notices()} == {
        notices.due_key(due.id, me.id, due.due_at),
        notices.losing_key(cadence.id, me.id, cadence.last_touch_at)}  # SQL builds the keys Python does

    due.due_at = now + timedelta(hours=5)  # rescheduled: news again
    world.session.commit()
    assert _collect(app, now).due == 1
    assert len(world.notices(kind="due")) == 2


def test_the_tick_window_misses_old_backlog_and_the_digest_sweep_catches_it(app: Flask, world: World) -> None:
    """Ticks look only near `now` (fast at any table size); the sweep before a digest is complete."""
    now = utcnow()
    me = world.recruiter("Sam Sweep")
    old = world.followup(world.person("Old", "Backlog", me), now - timedelta(days=40), "Long overdue")
    assert _collect(app, now).due == 0
    with get_state(app).sessions() as session:
        recruiter = session.get(type(me), me.id)
        assert notices.sweep(session, recruiter, now, now + timedelta(hours=1)).due == 1
    assert [n.subject_id for n in world.notices(kind="due")] == [old.id]


def test_referral_changes_notify_both_keepers_once(app: Flask, world: World) -> None:
    now = utcnow()
    keeper, owner = world.recruiter("Kim Keeper"), world.recruiter("Oda Owner")
    referral = world.referral(world.person("Ref", "Errer", keeper), world.person("Re", "Ferred", owner),
                              ReferralStatus.CONTACTED, now - timedelta(minutes=3))
    world.referral(world.person("New", "Referrer", keeper), world.person("Just", "Received", owner),
                   ReferralStatus.RECEIVED, now - timedelta(minutes=3))
    assert _collect(app, now).referral_status == 2
    assert _collect(app, now).referral_status == 0
    assert {n.recruiter_id for n in world.notices(kind="referral_status")} == {keeper.id, owner.id}
    assert {n.subject_id for n in world.notices(kind="referral_status")} == {referral.id}


# Snoozes

@pytest.mark.parametrize("preset", ["1w", "2w", "1m", "3m"])
def test_snooze_presets_give_a_wake_up_notice_days_before_and_open_again_after(
        app: Flask, world: World, preset: str) -> None:
    me = world.recruiter("Snorre Snooze")
    followup = world.followup(world.person("Sleepy", "Head", me), utcnow(), "Check in after the reorganisation")
    before = utcnow()
    snoozed = followups.snooze(world.session, world.tenant_id, followup.id, {"preset": preset}, Actor.system())
    until = snoozed.snoozed_until
    assert until is not None
    assert followups.preset_until(preset, before) <= until <= followups.preset_until(preset, utcnow())

    assert _collect(app, until - timedelta(days=3, minutes=5)).waking_up == 0  # default: 3 days before
    assert _collect(app, until - timedelta(days=3) + timedelta(minutes=1)).waking_up == 1
    assert _collect(app, until - timedelta(days=1)).waking_up == 0  # once
    [wake] = world.notices(kind="waking_up")
    assert (wake.recruiter_id, wake.key) == (me.id, notices.wake_key(followup.id, me.id, until))

    after = _collect(app, until + timedelta(minutes=1))
    world.session.expire_all()
    row = world.session.get(FollowUp, followup.id)
    assert row is not None and row.status == FollowUpStatus.OPEN and after.woken == 1
    assert after.due == 1  # due again now that it is awake
    assert [n.key for n in world.notices(kind="due")] == [notices.due_key(followup.id, me.id, until)]


def test_wake_notice_days_comes_from_the_tenant(app: Flask, world: World) -> None:
    world.session.get(Tenant, world.tenant_id).settings = {"wake_notice_days": 7}
    world.session.commit()
    me = world.recruiter("Wilma Week")
    now = utcnow()
    until = now + timedelta(days=6, hours=12)  # inside 7 days, not inside the default 3
    world.followup(world.person("Wakes", "InSix", me), until, "Back from travel", status=FollowUpStatus.SNOOZED,
                   snoozed_until=until)
    assert _collect(app, now).waking_up == 1


def test_the_minute_pass_wakes_snoozes_entering_the_horizon_and_the_sweep_the_rest(app: Flask, world: World) -> None:
    """The minute pass looks at snoozes that came within the notice horizon in the last day (so a million
    follow-ups cost it a day's worth of rows); the recruiter's digest sweep catches a snooze set closer."""
    me = world.recruiter("Sara Sweep")
    now = utcnow()
    close = now + timedelta(hours=30)  # snoozed to end in 30 hours: inside 3 days since more than a day
    world.followup(world.person("Kort", "Snooze", me), close, "Soon back", status=FollowUpStatus.SNOOZED,
                   snoozed_until=close)
    assert _collect(app, now).waking_up == 0
    with get_state(app).sessions() as session:
        recruiter = session.get(Recruiter, me.id)
        assert notices.sweep(session, recruiter, now, now + timedelta(hours=12)).waking_up == 1


def _last_changed(world: World, model: type, row_id: uuid.UUID, at: datetime) -> None:
    """Date a row's updated_at back, as if nobody had touched it since `at`."""
    world.session.execute(update(model).where(model.id == row_id).values(updated_at=at))
    world.session.commit()


def test_told_the_previous_pass_the_minute_reads_the_windows_new_edge_and_what_changed(
        app: Flask, world: World) -> None:
    """With the previous pass's minute the window is not read again: only the follow-ups time moved into it
    since then, and those changed since shortly before it. Without it, the whole window is read."""
    me = world.recruiter("Mona Mark")
    now = utcnow().replace(second=0, microsecond=0)
    previous = now - timedelta(minutes=1)
    long_ago = now - timedelta(days=10)
    seen = world.followup(world.person("Sett", "Før", me), now + timedelta(hours=3), "In the window already")
    entered = world.followup(world.person("Ny", "Kant", me), now + notices.WINDOW - timedelta(seconds=30),
                             "Came within a day of now this minute")
    rescheduled = world.followup(world.person("Flytta", "Nett", me), now + timedelta(hours=5), "Moved just now")
    snoozed_until = now + timedelta(days=3) - timedelta(seconds=30)  # the tenant's 3 days' notice starts now
    waking = world.followup(world.person("Våkner", "Snart", me), snoozed_until, "Back in three days",
                            status=FollowUpStatus.SNOOZED, snoozed_until=snoozed_until)
    for row in (seen, entered, waking):
        _last_changed(world, FollowUp, row.id, long_ago)
    _last_changed(world, FollowUp, rescheduled.id, previous - timedelta(seconds=20))

    with get_state(app).sessions() as session:
        counts = notices.collect(session, now, previous)
    assert (counts.due, counts.waking_up) == (2, 1)
    assert {n.subject_id for n in world.notices()} == {entered.id, rescheduled.id, waking.id}
    with get_state(app).sessions() as session:  # unknown previous pass: the whole window
        assert notices.collect(session, now).due == 1
    assert seen.id in {n.subject_id for n in world.notices(kind="due")}


def test_the_pass_keeps_its_minute_in_redis_and_reads_everything_when_it_is_lost(app: Flask, world: World) -> None:
    state = get_state(app)
    me = world.recruiter("Rita Redis")
    now = utcnow().replace(second=0, microsecond=0)
    row = world.followup(world.person("Gammel", "Rad", me), now + timedelta(hours=2), "Unchanged for long")
    _last_changed(world, FollowUp, row.id, now - timedelta(days=10))
    with app.app_context():
        state.redis.set(notify.PASS_MARK, (now - timedelta(minutes=1)).isoformat())
        assert notify.collect(now.isoformat(timespec="minutes"))["due"] == 0  # not on the window's new edge
        assert state.redis.get(notify.PASS_MARK).decode() == now.isoformat()
        later = now + timedelta(minutes=5)
        state.redis.set(notify.PASS_MARK, later.isoformat())  # a later minute's pass ran first: read everything
        assert notify.collect(now.isoformat(timespec="minutes"))["due"] == 1
        assert state.redis.get(notify.PASS_MARK).decode() == later.isoformat()  # the mark never goes back
        world.session.execute(update(FollowUp).where(FollowUp.id == row.id).values(due_at=row.due_at + timedelta(
            minutes=1), updated_at=now - timedelta(days=10)))
        world.session.commit()
        state.redis.delete(notify.PASS_MARK)  # Redis lost it: the whole window again
        assert notify.collect(now.isoformat(timespec="minutes"))["due"] == 1


def test_digest_rows_told_the_previous_pass_look_only_at_whose_time_came_or_who_changed(
        app: Flask, world: World) -> None:
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 10:00 in Oslo
    early, changed, due = (world.recruiter(name, digest_time=at) for name, at in (
        ("Eli Early", "07:00"), ("Carl Changed", "07:00"), ("Dina Due", "10:00")))
    for recruiter, at in ((early, now - timedelta(days=3)), (changed, now - timedelta(minutes=2)),
                          (due, now - timedelta(days=3))):
        _last_changed(world, Recruiter, recruiter.id, at)
    with get_state(app).sessions() as session:
        deliveries.create_digests(session, now, previous=now - timedelta(minutes=1))
    assert {d.recruiter_id for d in world.deliveries()} == {changed.id, due.id}
    with get_state(app).sessions() as session:  # without the previous pass: everyone whose time has passed
        deliveries.create_digests(session, now)
    assert {d.recruiter_id for d in world.deliveries()} == {early.id, changed.id, due.id}


# Exactly once

def _overdue(world: World, name: str = "Ola Once") -> tuple[Any, Person]:
    me = world.recruiter(name)
    person = world.person("Petter", "Overdue", me)
    world.followup(person, local_noon("Europe/Oslo", utcnow(), -1), "Thank for the coffee")
    return me, person


def test_a_double_tick_sends_one_email(app: Flask, world: World, smtp: Inbox) -> None:
    _overdue(world)
    now = utcnow()
    first = run_tick(app, now)
    second = run_tick(app, now)
    assert any(j.startswith("collect-") for j in first) and second == []
    run_tick(app, now + timedelta(minutes=1))  # the next minute's tick finds its row taken
    work(app)
    run_tick(app, now + timedelta(minutes=2))
    work(app)

    [delivery] = world.deliveries()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert len(smtp.messages) == 1 and smtp.with_id(delivery.message_id)
    with app.app_context():  # a second run of the job finds the row sent and does nothing
        assert notify.send_delivery(str(delivery.id)) == "nothing to do: sent"
    assert len(smtp.messages) == 1


def test_after_a_redis_flush_the_next_tick_enqueues_from_the_database(app: Flask, world: World,
                                                                       smtp: Inbox) -> None:
    _overdue(world)
    now = utcnow()
    with app.app_context():
        notify.collect(now.isoformat(timespec="minutes"))  # the row exists, its send job is queued...
    get_state(app).redis.flushdb()  # ...and lost
    [delivery] = world.deliveries()
    assert delivery.status == "pending"

    added = run_tick(app, now + timedelta(minutes=1))
    assert deliveries.job_id(delivery.id, 0) in added
    work(app)
    get_state(app).redis.flushdb()
    assert not any(j.startswith("delivery-") for j in run_tick(app, now + timedelta(minutes=2)))
    work(app)

    [delivery] = world.deliveries()
    assert delivery.status == "sent"
    assert len(smtp.messages) == 1


@pytest.mark.slow
def test_a_failing_smtp_server_is_retried_then_failed_and_nothing_is_lost(app: Flask, world: World,
                                                                          smtp: Inbox) -> None:
    me, person = _overdue(world)
    smtp.failing = True
    run_tick(app)
    work(app)
    [delivery] = world.deliveries()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "SMTP server 127.0.0.1" in (delivery.last_error or "")
    assert delivery.due_at > utcnow()  # a pause before the retry...
    assert not any(j.startswith("delivery-") for j in run_tick(app))  # ...which the tick respects

    for attempt in range(2, deliveries.MAX_ATTEMPTS + 1):
        _age(world, delivery.id, due_at=timedelta(hours=2))
        assert deliveries.job_id(delivery.id, attempt - 1) in run_tick(app)
        work(app)
        [delivery] = world.deliveries()
        assert delivery.attempts == attempt
    assert delivery.status == "failed" and delivery.last_error
    assert not any(j.startswith("delivery-") for j in run_tick(app))
    assert smtp.messages == []
    assert all(n.digested_at is None for n in world.notices(recruiter_id=me.id))  # still to be told

    smtp.failing = False
    run_tick(app, utcnow() + timedelta(days=1))  # tomorrow's digest carries what failed today
    work(app)
    [message] = smtp.messages
    assert person.full_name in text_of(message)
    assert [d.status for d in world.deliveries()] == ["failed", "sent"]
