"""Keep-in-touch cadences: the clock per person that any touch resets, its state, and who is losing touch.

A cadence is due `ideal_days` after the last touch and losing touch after `max_days`. Every path that
records a touch (the API and sidebar, follow-up completion, the ATS sync, imports) calls `touched`, which
moves the clock forward only, in one UPDATE for any number of people — the fix for clocks that silently
failed to reset after a logged call in other tools.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.core.pagination import Page, paginate
from plugin.core.sql import epoch_days
from plugin.errors import ConflictError, InvalidError, NotFoundError
from plugin.models import Cadence, Person, Recruiter, Touchpoint, utcnow
from plugin.tenancy import settings as tenant_settings
from plugin.tenancy.settings import RuleSettings

ACTIVE, PROPOSED, PAUSED = "active", "proposed", "paused"
CUSTOM_TIER = "custom"  # the tier of a cadence given in explicit days
_BATCH = 500  # people per UPDATE in `touched`: keeps the statement's parameters well inside every limit


class State(StrEnum):
    NO_TOUCH_YET = "no_touch_yet"
    ON_TRACK = "on_track"
    DUE = "due"  # past the ideal interval
    LOSING_TOUCH = "losing_touch"  # past the maximum interval


@dataclass(frozen=True)
class CadenceView:
    """A cadence with its state at one moment: what the API and the sidebar show."""

    person_id: uuid.UUID
    tier: str
    ideal_days: int
    max_days: int
    status: str
    last_touch_at: datetime | None
    state: State
    days_since_touch: int | None
    due_at: datetime | None
    losing_touch_at: datetime | None


@dataclass(frozen=True)
class LosingTouch:
    person_id: uuid.UUID
    full_name: str
    tier: str
    max_days: int
    last_touch_at: datetime
    days_since_touch: int
    losing_touch_at: datetime


def view(cadence: Cadence, now: datetime) -> CadenceView:
    """The cadence's state at `now`: due from the ideal interval on, losing touch from the maximum on."""
    last = cadence.last_touch_at
    if last is None:
        return CadenceView(cadence.person_id, cadence.tier, cadence.ideal_days, cadence.max_days, cadence.status,
                           None, State.NO_TOUCH_YET, None, None, None)
    due_at = last + timedelta(days=cadence.ideal_days)
    losing_at = last + timedelta(days=cadence.max_days)
    state = State.LOSING_TOUCH if now >= losing_at else State.DUE if now >= due_at else State.ON_TRACK
    return CadenceView(cadence.person_id, cadence.tier, cadence.ideal_days, cadence.max_days, cadence.status, last,
                       state, max(0, (now - last).days), due_at, losing_at)


def find(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Cadence | None:
    return session.scalars(select(Cadence).where(Cadence.tenant_id == tenant_id,
                                                 Cadence.person_id == person_id)).first()


def get(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, now: datetime | None = None) -> CadenceView:
    return view(_existing(session, tenant_id, person_id), now or utcnow())


def _existing(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Cadence:
    get_owned(session, Person, tenant_id, person_id, "person")
    cadence = find(session, tenant_id, person_id)
    if cadence is None:
        raise NotFoundError(f"The person {person_id} has no cadence yet.")
    return cadence


def _last_touches(session: Session, tenant_id: uuid.UUID, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Each person's latest touch, so a new cadence starts from the last meeting rather than from nothing."""
    rows = session.execute(select(Touchpoint.person_id, func.max(Touchpoint.occurred_at)).where(
        Touchpoint.tenant_id == tenant_id, Touchpoint.person_id.in_(set(person_ids))).group_by(Touchpoint.person_id))
    return dict(rows.all())


def _days(data: dict[str, Any], settings: RuleSettings) -> tuple[str, int, int]:
    """(tier, ideal, max) from a tier name, explicit days, or a tier with either day count overridden."""
    if data.get("tier"):
        ideal, maximum = settings.tier(data["tier"])
        tier = data["tier"]
    elif "ideal_days" in data and "max_days" in data:
        ideal, maximum, tier = data["ideal_days"], data["max_days"], CUSTOM_TIER
    else:
        raise InvalidError("Give a tier, or both ideal_days and max_days.",
                           {"tier": ["Required unless ideal_days and max_days are given."]})
    ideal, maximum = data.get("ideal_days", ideal), data.get("max_days", maximum)
    if ideal > maximum:
        raise InvalidError("The ideal interval cannot be longer than the maximum.",
                           {"ideal_days": ["Must not exceed max_days."]})
    return tier, ideal, maximum


def set_for_person(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, data: dict[str, Any],
                   actor: Actor, now: datetime | None = None) -> CadenceView:
    """Set a person's rhythm by tier or explicit days; setting it is also accepting it (status active
    unless `paused` is asked for). A new cadence starts from the person's latest touch."""
    get_owned(session, Person, tenant_id, person_id, "person")
    tier, ideal, maximum = _days(data, tenant_settings.load_rules(session, tenant_id))
    cadence = find(session, tenant_id, person_id)
    action = "update"
    if cadence is None:
        cadence = Cadence(tenant_id=tenant_id, person_id=person_id,
                          last_touch_at=_last_touches(session, tenant_id, [person_id]).get(person_id))
        session.add(cadence)
        action = "create"
    cadence.tier, cadence.ideal_days, cadence.max_days = tier, ideal, maximum
    cadence.status = data.get("status", ACTIVE)
    session.flush()
    audit(session, tenant_id, actor, action, "cadence", cadence.id, ["tier", "ideal_days", "max_days", "status"])
    session.commit()
    return view(cadence, now or utcnow())


def accept(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor,
           now: datetime | None = None) -> CadenceView:
    """Make a proposed cadence active; accepting an active one again changes nothing."""
    cadence = _existing(session, tenant_id, person_id)
    if cadence.status == PAUSED:
        raise ConflictError("The cadence is paused; set it again to resume it.", {"status": [PAUSED]})
    if cadence.status == PROPOSED:
        cadence.status = ACTIVE
        audit(session, tenant_id, actor, "update", "cadence", cadence.id, ["status"])
        session.commit()
    return view(cadence, now or utcnow())


def pause(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor,
          now: datetime | None = None) -> CadenceView:
    """Stop counting a person as due or losing touch (the clock still records touches)."""
    cadence = _existing(session, tenant_id, person_id)
    if cadence.status != PAUSED:
        cadence.status = PAUSED
        audit(session, tenant_id, actor, "update", "cadence", cadence.id, ["status"])
        session.commit()
    return view(cadence, now or utcnow())


def propose(session: Session, tenant_id: uuid.UUID, person_ids: Iterable[uuid.UUID], settings: RuleSettings,
            actor: Actor) -> list[Cadence]:
    """Proposed cadences in the default tier for those of `person_ids` without any; the caller commits."""
    wanted = set(person_ids)
    if not wanted:
        return []
    have = set(session.scalars(select(Cadence.person_id).where(Cadence.tenant_id == tenant_id,
                                                               Cadence.person_id.in_(wanted))))
    missing = sorted(wanted - have)
    if not missing:
        return []
    last = _last_touches(session, tenant_id, missing)
    ideal, maximum = settings.tier(settings.default_tier)
    created = [Cadence(tenant_id=tenant_id, person_id=person_id, tier=settings.default_tier, ideal_days=ideal,
                       max_days=maximum, status=PROPOSED, last_touch_at=last.get(person_id))
               for person_id in missing]
    session.add_all(created)
    session.flush()
    for cadence in created:
        audit(session, tenant_id, actor, "create", "cadence", cadence.id, ["tier", "status"])
    return created


def touched(session: Session, tenant_id: uuid.UUID, touches: Mapping[uuid.UUID, datetime]) -> int:
    """Reset the clocks of many people at once: `{person_id: occurred_at}`; a clock only moves forward,
    so logging an older touch never makes someone look more neglected. Returns how many clocks moved."""
    moved = 0
    items = list(touches.items())
    for start in range(0, len(items), _BATCH):
        moved += _touch_batch(session, tenant_id, dict(items[start:start + _BATCH]))
    return moved


def _touch_batch(session: Session, tenant_id: uuid.UUID, touches: dict[uuid.UUID, datetime]) -> int:
    column_type = Cadence.__table__.c.last_touch_at.type
    new_time = case(*[(Cadence.person_id == person_id, literal(at, column_type))
                      for person_id, at in touches.items()], else_=Cadence.last_touch_at)
    statement = (update(Cadence)
                 .where(Cadence.tenant_id == tenant_id, Cadence.person_id.in_(set(touches)),
                        or_(Cadence.last_touch_at.is_(None), Cadence.last_touch_at < new_time))
                 .values(last_touch_at=new_time)
                 .execution_options(synchronize_session="fetch"))
    return session.execute(statement).rowcount or 0  # type: ignore[attr-defined]


def losing_touch(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID, *, now: datetime | None = None,
                 limit: int, cursor: str | None = None) -> Page:
    """The recruiter's people whose active cadence is past its maximum, longest silence first.

    Two queries per page: the cadences (driven by the people-by-owner index, joined on the unique
    person id of cadences) and the names of that page's people.
    """
    get_owned(session, Recruiter, tenant_id, recruiter_id, "recruiter")
    now = now or utcnow()
    now_days = now.timestamp() / 86400
    query = (select(Cadence).join(Person, Person.id == Cadence.person_id)
             .where(Person.tenant_id == tenant_id, Person.owner_id == recruiter_id, Person.do_not_contact.is_(False),
                    Cadence.tenant_id == tenant_id, Cadence.status == ACTIVE, Cadence.last_touch_at < now,
                    epoch_days(Cadence.last_touch_at) + Cadence.max_days <= now_days))
    page = paginate(session, query, [Cadence.last_touch_at, Cadence.id], limit, cursor)
    names = {person_id: f"{first} {last}".strip() for person_id, first, last in session.execute(
        select(Person.id, Person.first_name, Person.last_name).where(
            Person.tenant_id == tenant_id, Person.id.in_([c.person_id for c in page.items])))}
    return Page([_losing(cadence, names[cadence.person_id], now) for cadence in page.items], page.next_cursor)


def _losing(cadence: Cadence, full_name: str, now: datetime) -> LosingTouch:
    state = view(cadence, now)
    assert state.last_touch_at and state.losing_touch_at and state.days_since_touch is not None
    return LosingTouch(cadence.person_id, full_name, cadence.tier, cadence.max_days, state.last_touch_at,
                       state.days_since_touch, state.losing_touch_at)
