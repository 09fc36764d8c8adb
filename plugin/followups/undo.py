"""Undo: the queue's completion or snooze of a follow-up taken back by the recruiter who made it, for ten seconds.

The queue acts at once on a key press, so a slip must cost nothing. What an action replaced (status, due and
snooze times; for a completion also the touch it logged, the cadence clock that touch moved, and the
follow-ups and ATS write-backs it made) is kept in Redis under the follow-up, with the recruiter and the
moment: ids, statuses and times, nothing about the person. The ten seconds are judged by the clock the
caller passes in; Redis keeps a record a little longer only to answer "too late" rather than "nothing to
undo". Losing Redis loses the chance to undo, nothing else.

An undo takes its record once (a second `u` finds nothing), refuses when the follow-up has changed since,
and is audited like any other change. A write-back the worker has already sent stays in the ATS: only
pending ones are withdrawn.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.errors import ConflictError, NotFoundError
from plugin.followups import followups
from plugin.models import Cadence, FollowUp, FollowUpStatus, Touchpoint, WriteBack

log = logging.getLogger(__name__)

WINDOW = timedelta(seconds=10)
KEEP_SECONDS = 60
# Delete the record only if it is still the one read: a newer action on the follow-up keeps its own.
_TAKE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class NothingToUndo(NotFoundError):
    """No action of this recruiter on this follow-up is waiting to be undone (or it was undone already)."""


class TooLate(ConflictError):
    pass


class ChangedSince(ConflictError):
    pass


def _key(tenant_id: uuid.UUID, followup_id: uuid.UUID) -> str:
    return f"brobygger:undo:{tenant_id}:{followup_id}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _before(followup: FollowUp, actor: Actor, action: str, now: datetime) -> dict[str, Any]:
    return {"action": action, "actor": f"{actor.type}:{actor.id}", "at": now.isoformat(),
            "status": str(followup.status), "due_at": _iso(followup.due_at),
            "snoozed_until": _iso(followup.snoozed_until)}


def _ids(session: Session, model: type[FollowUp] | type[WriteBack], tenant_id: uuid.UUID,
         person_id: uuid.UUID) -> set[uuid.UUID]:
    return set(session.scalars(select(model.id).where(model.tenant_id == tenant_id, model.person_id == person_id)))


def _remember(redis: Redis, tenant_id: uuid.UUID, followup_id: uuid.UUID, record: dict[str, Any]) -> None:
    """After the action committed: without Redis the action stands, only its undo is lost."""
    try:
        redis.set(_key(tenant_id, followup_id), json.dumps(record), ex=KEEP_SECONDS)
    except RedisError as exc:
        log.warning("undo record for follow-up %s not kept: %s", followup_id, type(exc).__name__)


def _recall(redis: Redis, key: str) -> tuple[bytes | None, dict[str, Any] | None]:
    """The raw record and its contents; (None, None) when there is none or Redis cannot be reached."""
    try:
        raw = redis.get(key)
    except RedisError:
        return None, None
    return raw, json.loads(raw) if raw else None


def complete(session: Session, redis: Redis, tenant_id: uuid.UUID, followup_id: uuid.UUID, data: dict[str, Any],
             actor: Actor, now: datetime) -> followups.Completion:
    """`followups.complete`, remembered so that `undo` can take it back."""
    followup = followups.get(session, tenant_id, followup_id)
    record = _before(followup, actor, "done", now)
    person_id = followup.person_id
    cadence = session.scalar(select(Cadence).where(Cadence.tenant_id == tenant_id, Cadence.person_id == person_id))
    record["cadence_at"] = _iso(cadence.last_touch_at) if cadence else None
    had_followups, had_writebacks = (_ids(session, FollowUp, tenant_id, person_id),
                                     _ids(session, WriteBack, tenant_id, person_id))
    completion = followups.complete(session, tenant_id, followup_id, data, actor)
    record["touchpoint_id"] = str(completion.touchpoint.id)
    record["made"] = sorted(str(i) for i in _ids(session, FollowUp, tenant_id, person_id) - had_followups)
    record["writebacks"] = sorted(str(i) for i in _ids(session, WriteBack, tenant_id, person_id) - had_writebacks)
    _remember(redis, tenant_id, followup_id, record)
    return completion


def snooze(session: Session, redis: Redis, tenant_id: uuid.UUID, followup_id: uuid.UUID, data: dict[str, Any],
           actor: Actor, now: datetime) -> FollowUp:
    """`followups.snooze`, remembered so that `undo` can take it back."""
    record = _before(followups.get(session, tenant_id, followup_id), actor, "snooze", now)
    followup = followups.snooze(session, tenant_id, followup_id, data, actor)
    record["until"] = _iso(followup.snoozed_until)
    _remember(redis, tenant_id, followup_id, record)
    return followup


def pending(redis: Redis, tenant_id: uuid.UUID, followup_id: uuid.UUID, actor: Actor, now: datetime) -> str | None:
    """The action ("done", "snooze") this actor may still undo on the follow-up at `now`, or None."""
    _raw, record = _recall(redis, _key(tenant_id, followup_id))
    if not record or record["actor"] != f"{actor.type}:{actor.id}" or now - _moment(record["at"]) > WINDOW:
        return None
    return str(record["action"])


def undo(session: Session, redis: Redis, tenant_id: uuid.UUID, followup_id: uuid.UUID, actor: Actor,
         now: datetime) -> tuple[str, FollowUp]:
    """Take back the actor's last completion or snooze of the follow-up, if made at most WINDOW before `now`.

    Another tenant's follow-up is a 404 like an unknown one, and so is an action of someone else."""
    followup = followups.get(session, tenant_id, followup_id)
    key = _key(tenant_id, followup_id)
    raw, record = _recall(redis, key)
    if not record or record["actor"] != f"{actor.type}:{actor.id}":
        raise NothingToUndo("There is nothing to undo for this follow-up.")
    if now - _moment(record["at"]) > WINDOW:
        raise TooLate(f"An action can be undone for {WINDOW.seconds} seconds only.")
    if not _as_left(followup, record):
        raise ChangedSince("The follow-up has changed since; nothing was undone.")
    if not redis.eval(_TAKE, 1, key, raw):
        raise NothingToUndo("There is nothing to undo for this follow-up.")
    fields = ["status", "due_at", "snoozed_until"]
    if record["action"] == "done":
        _take_back_completion(session, tenant_id, followup, record, actor)
        fields += ["completed_at", "touchpoint_id"]
    followup.status = FollowUpStatus(record["status"])
    followup.due_at = _moment(record["due_at"]) or followup.due_at
    followup.snoozed_until = _moment(record["snoozed_until"])
    audit(session, tenant_id, actor, "undo", "followup", followup.id, fields)
    session.commit()
    return str(record["action"]), followup


def _as_left(followup: FollowUp, record: dict[str, Any]) -> bool:
    """The follow-up is still as the action left it (nobody has moved it on since)."""
    if record["action"] == "done":
        return followup.status == FollowUpStatus.DONE and str(followup.touchpoint_id) == record["touchpoint_id"]
    return followup.status == FollowUpStatus.SNOOZED and _iso(followup.snoozed_until) == record["until"]


def _take_back_completion(session: Session, tenant_id: uuid.UUID, followup: FollowUp, record: dict[str, Any],
                          actor: Actor) -> None:
    """Remove the touch the completion logged (and its cadence reset), the follow-ups it booked that are still
    open, and its write-backs the worker has not sent."""
    followup.completed_at = None
    followup.touchpoint_id = None
    touch = session.scalar(select(Touchpoint).where(Touchpoint.tenant_id == tenant_id,
                                                    Touchpoint.id == uuid.UUID(record["touchpoint_id"])))
    if touch is not None:
        cadence = session.scalar(select(Cadence).where(Cadence.tenant_id == tenant_id,
                                                       Cadence.person_id == touch.person_id))
        if cadence is not None and cadence.last_touch_at == touch.occurred_at:  # no later touch moved it on
            cadence.last_touch_at = _moment(record["cadence_at"])
        session.delete(touch)
        audit(session, tenant_id, actor, "delete", "touchpoint", touch.id)
    for made in session.scalars(select(FollowUp).where(
            FollowUp.tenant_id == tenant_id, FollowUp.id.in_([uuid.UUID(i) for i in record["made"]]),
            FollowUp.status == FollowUpStatus.OPEN)):
        session.delete(made)
        audit(session, tenant_id, actor, "delete", "followup", made.id)
    if record["writebacks"]:
        session.execute(delete(WriteBack).where(
            WriteBack.tenant_id == tenant_id, WriteBack.id.in_([uuid.UUID(i) for i in record["writebacks"]]),
            WriteBack.status == "pending", WriteBack.attempts == 0))
