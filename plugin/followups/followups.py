"""Follow-ups: schedule a touch, then complete, snooze, reschedule, reassign or cancel it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.ats import writeback
from plugin.core import guards
from plugin.core.actors import Actor, audit
from plugin.core.dates import add_months
from plugin.core.lookup import check_owned, get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import ConflictError
from plugin.models import FollowUp, FollowUpStatus, Person, Recruiter, Role, Touchpoint, utcnow
from plugin.people import people

# Only these can still be acted on; done and cancelled are history.
LIVE = (FollowUpStatus.OPEN, FollowUpStatus.SNOOZED)


def _utc(moment: datetime) -> datetime:
    """Normalise at assignment, so a write's response shows UTC just as a later read does."""
    return moment.astimezone(UTC)


@dataclass
class Completion:
    followup: FollowUp
    touchpoint: Touchpoint
    next: FollowUp | None


def preset_until(preset: str, now: datetime) -> datetime:
    """`<n>w` is n weeks, `<n>m` is n calendar months after `now`."""
    count, unit = int(preset[:-1]), preset[-1]
    return now + timedelta(weeks=count) if unit == "w" else add_months(now, count)


def _schedule(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> FollowUp:
    """Insert a follow-up whose references are already checked; the caller commits."""
    followup = FollowUp(tenant_id=tenant_id, kind="manual", status=FollowUpStatus.OPEN,
                        **{**data, "due_at": _utc(data["due_at"])})
    session.add(followup)
    session.flush()
    audit(session, tenant_id, actor, "create", "followup", followup.id, data)
    return followup


def create(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> FollowUp:
    """Schedule a touch, due today or later; without an explicit owner it goes to whoever owns the person."""
    check_owned(session, Person, tenant_id, data["person_id"], "person_id")
    check_owned(session, Recruiter, tenant_id, data.get("owner_id"), "owner_id")
    check_owned(session, Role, tenant_id, data.get("role_id"), "role_id")
    if "owner_id" not in data:
        owner_id = session.scalar(select(Person.owner_id).where(Person.tenant_id == tenant_id,
                                                               Person.id == data["person_id"]))
        data = {**data, "owner_id": owner_id}
    guards.due_from_today(session, tenant_id, data["due_at"], actor, owner_id=data["owner_id"])
    followup = _schedule(session, tenant_id, data, actor)
    session.commit()
    return followup


def get(session: Session, tenant_id: uuid.UUID, followup_id: uuid.UUID) -> FollowUp:
    return get_owned(session, FollowUp, tenant_id, followup_id, "follow-up")


def _live(session: Session, tenant_id: uuid.UUID, followup_id: uuid.UUID, action: str) -> FollowUp:
    followup = get(session, tenant_id, followup_id)
    if followup.status not in LIVE:
        raise ConflictError(f"Cannot {action} a follow-up that is {followup.status}.",
                            {"status": [str(followup.status)]})
    return followup


def _append_note(followup: FollowUp, note: str | None) -> None:
    """Notes accumulate, so a snooze does not wipe out why the last one happened."""
    if note:
        followup.note = f"{followup.note}\n{note}" if followup.note else note


def search(session: Session, tenant_id: uuid.UUID, *, owner_id: uuid.UUID | None = None,
           person_id: uuid.UUID | None = None, status: list[str] | None = None, due_from: datetime | None = None,
           due_to: datetime | None = None, limit: int, cursor: str | None = None) -> Page:
    """Follow-ups in due order; `due_from` is inclusive and `due_to` exclusive, so ranges tile."""
    query = select(FollowUp).where(FollowUp.tenant_id == tenant_id)
    if owner_id:
        query = query.where(FollowUp.owner_id == owner_id)
    if person_id:
        query = query.where(FollowUp.person_id == person_id)
    if status:
        query = query.where(FollowUp.status.in_(status))
    if due_from:
        query = query.where(FollowUp.due_at >= due_from)
    if due_to:
        query = query.where(FollowUp.due_at < due_to)
    return paginate(session, query, [FollowUp.due_at, FollowUp.id], limit, cursor)


def complete(session: Session, tenant_id: uuid.UUID, followup_id: uuid.UUID, data: dict[str, Any],
             actor: Actor) -> Completion:
    """Done means a touch happened: log it (resetting the cadence clock) and optionally book the next one,
    due today or later."""
    followup = _live(session, tenant_id, followup_id, "complete")
    if data.get("next"):
        guards.due_from_today(session, tenant_id, data["next"]["due_at"], actor, owner_id=followup.owner_id,
                              field="next.due_at")
    touchpoint = people.add_touchpoint(session, tenant_id, followup.person_id, {
        "kind": data["kind"], "occurred_at": _utc(data.get("occurred_at") or utcnow()), "summary": data["summary"],
        "recruiter_id": followup.owner_id}, actor)
    followup.status = FollowUpStatus.DONE
    followup.completed_at = utcnow()
    followup.touchpoint_id = touchpoint.id
    audit(session, tenant_id, actor, "update", "followup", followup.id, ["status", "completed_at", "touchpoint_id"])
    summary = f" {data['summary']}" if data.get("summary") else ""
    writeback.request(session, tenant_id, followup.person_id, "note",
                      f"Brobygger: follow-up done ({followup.reason}).{summary}")
    following = None
    if data.get("next"):
        following = _schedule(session, tenant_id, {
            "person_id": followup.person_id, "owner_id": followup.owner_id, "role_id": followup.role_id,
            **data["next"]}, actor)
    session.commit()
    return Completion(followup, touchpoint, following)


def snooze(session: Session, tenant_id: uuid.UUID, followup_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> FollowUp:
    """Push the touch to a later time (a preset or an explicit one, after now); it comes due again then."""
    followup = _live(session, tenant_id, followup_id, "snooze")
    if "until" in data:
        guards.ends_after_now(data["until"])
    until = _utc(data["until"]) if "until" in data else preset_until(data["preset"], utcnow())
    followup.status = FollowUpStatus.SNOOZED
    followup.snoozed_until = until
    followup.due_at = until
    _append_note(followup, data.get("note"))
    audit(session, tenant_id, actor, "update", "followup", followup.id,
          ["status", "snoozed_until", "due_at", *(["note"] if data.get("note") else [])])
    session.commit()
    return followup


def reschedule(session: Session, tenant_id: uuid.UUID, followup_id: uuid.UUID, due_at: datetime,
               actor: Actor) -> FollowUp:
    """Set a new due time, today or later; a snoozed follow-up becomes plainly open again."""
    followup = _live(session, tenant_id, followup_id, "reschedule")
    guards.due_from_today(session, tenant_id, due_at, actor, owner_id=followup.owner_id)
    followup.due_at = _utc(due_at)
    followup.status = FollowUpStatus.OPEN
    followup.snoozed_until = None
    audit(session, tenant_id, actor, "update", "followup", followup.id, ["due_at", "status", "snoozed_until"])
    session.commit()
    return followup


def reassign(session: Session, tenant_id: uuid.UUID, followup_id: uuid.UUID, owner_id: uuid.UUID,
             actor: Actor) -> FollowUp:
    followup = _live(session, tenant_id, followup_id, "reassign")
    check_owned(session, Recruiter, tenant_id, owner_id, "owner_id")
    followup.owner_id = owner_id
    audit(session, tenant_id, actor, "update", "followup", followup.id, ["owner_id"])
    session.commit()
    return followup


def cancel(session: Session, tenant_id: uuid.UUID, followup_id: uuid.UUID, note: str | None,
           actor: Actor) -> FollowUp:
    """Drop a touch that is no longer wanted; the row stays as history."""
    followup = _live(session, tenant_id, followup_id, "cancel")
    followup.status = FollowUpStatus.CANCELLED
    _append_note(followup, note)
    audit(session, tenant_id, actor, "update", "followup", followup.id, ["status", *(["note"] if note else [])])
    session.commit()
    return followup
