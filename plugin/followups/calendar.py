"""Each recruiter's calendar feed (ICS): every open or snoozed follow-up they own, behind a secret URL.

Only the SHA-256 of the URL's secret is stored (on the recruiter), so a database leak reveals no feed;
a new token replaces the hash, which revokes the old URL at once. Event UIDs are the follow-ups' ids, so
a calendar that polls the feed updates its events instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.followups import reasons
from plugin.followups.followups import LIVE
from plugin.i18n import gettext
from plugin.models import FollowUp, Person, Recruiter

EVENT_LENGTH = timedelta(minutes=15)
UID_DOMAIN = "brobygger"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID,
              actor: Actor | None = None) -> str:
    """A fresh feed secret; shown once, since only its hash is kept. Any older URL stops working."""
    recruiter = get_owned(session, Recruiter, tenant_id, recruiter_id, "recruiter")
    token = secrets.token_urlsafe(32)
    recruiter.calendar_token_hash = _hash(token)
    audit(session, tenant_id, actor or Actor.system(), "update", "recruiter", recruiter.id, ["calendar_token"])
    session.commit()
    return token


def revoke(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID, actor: Actor | None = None) -> None:
    recruiter = get_owned(session, Recruiter, tenant_id, recruiter_id, "recruiter")
    recruiter.calendar_token_hash = None
    audit(session, tenant_id, actor or Actor.system(), "update", "recruiter", recruiter.id, ["calendar_token"])
    session.commit()


def recruiter_for(session: Session, token: str) -> Recruiter | None:
    """The active recruiter whose feed this token opens, or None (unknown, replaced or revoked)."""
    if not token:
        return None
    return session.scalars(select(Recruiter).where(Recruiter.calendar_token_hash == _hash(token),
                                                   Recruiter.active.is_(True))).first()


def feed(session: Session, recruiter: Recruiter, queue_url: str, summary: str = "Follow up: {name}") -> bytes:
    """The recruiter's live follow-ups as an iCalendar document, one VEVENT each, times in UTC;
    `summary` is the (translated) event title with a `{name}` placeholder. Call it in the recruiter's
    locale: the calendar's name and the reasons are written in it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Brobygger//Follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", gettext("Brobygger follow-ups"))
    rows = session.execute(
        select(FollowUp, Person).join(Person, Person.id == FollowUp.person_id)
        .options(lazyload(Person.emails), lazyload(Person.ats_links))
        .where(FollowUp.tenant_id == recruiter.tenant_id, FollowUp.owner_id == recruiter.id,
               FollowUp.status.in_(LIVE))
        .order_by(FollowUp.due_at, FollowUp.id))
    for followup, person in rows:
        calendar.add_component(_event(followup, summary.format(name=person.full_name), queue_url))
    return calendar.to_ical()


def _event(followup: FollowUp, summary: str, queue_url: str) -> Event:
    event = Event()
    event.add("uid", f"{followup.id}@{UID_DOMAIN}")
    event.add("dtstamp", followup.updated_at)
    event.add("dtstart", followup.due_at)
    event.add("dtend", followup.due_at + EVENT_LENGTH)
    event.add("summary", summary)
    event.add("description", reasons.text(followup))
    event.add("url", queue_url)
    return event
