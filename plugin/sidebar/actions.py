"""The sidebar's quick actions, as calls to the ordinary services (which check tenancy, the rules on dates
and names, audit and commit).

Every action acts on the one person the sidebar token names; a follow-up id from the body must belong
to that person, so a token for one person can never touch another's rows.

A double click, or a request the browser sends again, must not log a touch twice. The page disables a
form's buttons while its request is in flight, and the server does not rely on that: each action is
claimed in Redis under a digest of who sends it, on whom, and its fields (`claim`, one SET NX, so two
requests racing each other cannot both win) for DUPLICATE_WINDOW seconds; an identical action within the
window is answered, not done again. A digest rather than a key the page makes: it needs nothing from the
page (a page loaded before a deploy, a second tab, a retried request are covered too), and two different
touches in a row — another summary, another kind — are never taken for one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.ats import sync
from plugin.core.actors import Actor, audit
from plugin.core.dates import add_months
from plugin.core.lookup import get_owned
from plugin.core.signed import claim_once, release_claim
from plugin.errors import InvalidError, NotFoundError
from plugin.followups import followups
from plugin.models import FollowUp, Installation, Person, Recruiter, ReferenceKind, Referral, utcnow
from plugin.people import people, referrals, roles
from plugin.security import Vault

DUE_TIME = time(9, 0)  # a scheduled touch is due at 09:00 on its day, in the recruiter's time zone
PRESET_MONTHS = {"1m": 1, "3m": 3, "6m": 6}
DUPLICATE_WINDOW = 10  # seconds: a double click, or a retry of a request that seemed to hang


def claim(redis: Redis, tenant_id: uuid.UUID, recruiter_id: uuid.UUID, subject: object, action: str,
          data: dict[str, Any]) -> str | None:
    """Claim this action for DUPLICATE_WINDOW seconds: the claim's key, or None when the same recruiter sent
    the same action with the same fields on the same subject within the window."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    key = f"sidebar-action:{tenant_id}:{recruiter_id}:{subject}:{action}:{digest}"
    return key if claim_once(redis, key, DUPLICATE_WINDOW) else None


def unclaim(redis: Redis, key: str) -> None:
    """The action was refused or failed: the same one may be sent again at once."""
    release_claim(redis, key)


def _zone(recruiter: Recruiter) -> ZoneInfo:
    return ZoneInfo(recruiter.time_zone or "UTC")


def _local_moment(recruiter: Recruiter, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=_zone(recruiter))


def due_for(recruiter: Recruiter, preset: str | None, due_on: date | None, now: datetime | None = None) -> datetime:
    """09:00 local on the chosen day: `due_on`, or today plus a preset (1w, or 1, 3 or 6 calendar months)."""
    today = (now or utcnow()).astimezone(_zone(recruiter))
    if due_on is None:
        start = _local_moment(recruiter, today.date(), DUE_TIME)
        return followups.preset_until("1w", start) if preset == "1w" else add_months(
            start, PRESET_MONTHS[str(preset)])
    return _local_moment(recruiter, due_on, DUE_TIME)


def log_touch(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, me: Recruiter, data: dict[str, Any],
              actor: Actor) -> None:
    """Today's touch happened now; an earlier day's at noon; a later day's is refused by the service."""
    day = data.get("occurred_on")
    now = utcnow()
    local_today = now.astimezone(_zone(me)).date()
    occurred = now if day is None or day == local_today else _local_moment(me, day, time(12, 0))
    people.log_touchpoint(session, tenant_id, person_id, {"kind": data["kind"], "summary": data["summary"],
                                                          "occurred_at": occurred, "recruiter_id": me.id}, actor)


def schedule(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, me: Recruiter, data: dict[str, Any],
             actor: Actor) -> FollowUp:
    """Scheduled from the sidebar, the touch is the signed-in recruiter's to make."""
    return followups.create(session, tenant_id, {
        "person_id": person_id, "reason": data["reason"].strip(), "owner_id": me.id,
        "due_at": due_for(me, data.get("preset"), data.get("due_on"))}, actor)


def _own_followup(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, followup_id: uuid.UUID) -> FollowUp:
    followup = get_owned(session, FollowUp, tenant_id, followup_id, "follow-up")
    if followup.person_id != person_id:
        raise NotFoundError(f"No follow-up with id {followup_id}.")
    return followup


def snooze(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> FollowUp:
    followup = _own_followup(session, tenant_id, person_id, data["followup_id"])
    return followups.snooze(session, tenant_id, followup.id, {"preset": data["preset"]}, actor)


def complete(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, data: dict[str, Any],
             actor: Actor) -> None:
    followup = _own_followup(session, tenant_id, person_id, data["followup_id"])
    followups.complete(session, tenant_id, followup.id, {"kind": data["kind"], "summary": data["summary"]}, actor)


def log_referral(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, me: Recruiter,
                 data: dict[str, Any], actor: Actor) -> tuple[Referral, bool]:
    """The referral, and True when it is new; False when this referrer's referral of the person was logged
    before (merged)."""
    if data["referrer_is_me"]:
        referrer: dict[str, Any] = {"kind": ReferenceKind.EMPLOYEE.value, "recruiter_id": me.id}
    else:
        referrer = {"kind": data["referrer_kind"], "name": data["referrer_name"],
                    **({"email": data["referrer_email"]} if data.get("referrer_email") else {})}
    return referrals.create(session, tenant_id, {
        "person_id": person_id, "referrer": referrer, "channel": data["channel"], "prompted": data["prompted"],
        "note": data["note"]}, actor)


def shortlist(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, data: dict[str, Any],
              actor: Actor) -> None:
    roles.add_to_shortlist(session, tenant_id, data["role_id"], {"person_id": person_id, "note": data["note"]}, actor)


def start_tracking(session: Session, vault: Vault, tenant_id: uuid.UUID, me: Recruiter, ctx: dict[str, Any],
                   actor: Actor) -> uuid.UUID:
    """Pull an ATS candidate Brobygger does not know yet through the tenant's installation of that ATS,
    and give the relationship to the recruiter who asked (when nobody owns it yet)."""
    vendor, candidate_id = str(ctx.get("vendor", "")), str(ctx.get("candidate_id", ""))
    installation = session.scalars(select(Installation).where(
        Installation.tenant_id == tenant_id, Installation.vendor == vendor, Installation.active.is_(True))
        .order_by(Installation.created_at)).first()
    if installation is None or not candidate_id:
        raise InvalidError(f"This tenant has no active {vendor or 'ATS'} connection to pull the candidate from.",
                           {"vendor": ["No active installation."]})
    person_id = sync.ensure_tracked(session, vault, installation, candidate_id)
    person = get_owned(session, Person, tenant_id, person_id, "person")
    if person.owner_id is None:
        person.owner_id = me.id
        audit(session, tenant_id, actor, "update", "person", person.id, ["owner_id"])
        session.commit()
    return person_id

