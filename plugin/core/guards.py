"""What recruiters type, held to the product's rules in one place: names are trimmed and never blank, and
dates are checked against "today" — a follow-up is due today or later, a touch happened today or earlier,
a snooze ends after now.

"Today" is a day in someone's time zone: the acting recruiter's (sidebar, pages); when no recruiter acts
(an API key, a job), the recruiter the row belongs to (the follow-up's owner, the touch's recruiter), else
the tenant's. A follow-up due at 09:00 today and scheduled at 15:00 is due today, which is what the
recruiter means, so follow-ups and touches are judged by the day; a snooze that ends before now would
put nothing off, so it is judged by the moment.

A refused date is a `DateRuleError`: the API shows its English message under the field's name; pages
and the sidebar say the `rule` in the user's language, without field names.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin import error_texts
from plugin.core.actors import Actor
from plugin.core.dates import local_day
from plugin.errors import InvalidError
from plugin.models import Recruiter, Tenant, utcnow

DUE_PAST = "due_past"  # a follow-up due on a day before today
TOUCH_FUTURE = "touch_future"  # a touch on a day after today
SNOOZE_PAST = "snooze_past"  # a snooze that ends at or before now


class DateRuleError(InvalidError):
    """A date the rules refuse; `rule` is one of DUE_PAST, TOUCH_FUTURE, SNOOZE_PAST."""

    def __init__(self, message: str, errors: Mapping[str, list[str]] | None = None, *, rule: str = "") -> None:
        super().__init__(message, errors)
        self.rule = rule


def _refuse(rule: str, field: str, message: str) -> DateRuleError:
    return DateRuleError(message, {field: [message]}, rule=rule)


def said(rule: str) -> str:
    """What a page or the sidebar tells the recruiter about a refused date: what to do, in the active locale."""
    return error_texts.date_rule(rule)


def squeeze(text: str) -> str:
    """`text` trimmed, each run of white space inside it one space (white space as str.isspace() has it,
    the same set as `core.schemas.NOT_BLANK`): '  Kari \\t Nordmann ' is 'Kari Nordmann', '\\u3000' is ''."""
    return " ".join(text.split())


def zone_for(session: Session, tenant_id: uuid.UUID, actor: Actor, recruiter_id: uuid.UUID | None = None) -> str:
    """The time zone "today" is read in: the acting recruiter's, else `recruiter_id`'s, else the tenant's."""
    for candidate in (_acting_recruiter(actor), recruiter_id):
        if candidate is not None:
            zone = session.scalar(select(Recruiter.time_zone).where(Recruiter.tenant_id == tenant_id,
                                                                     Recruiter.id == candidate))
            if zone:
                return zone
    return session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)) or "UTC"


def _acting_recruiter(actor: Actor) -> uuid.UUID | None:
    if actor.type != "recruiter" or not actor.id:
        return None
    try:
        return uuid.UUID(actor.id)
    except ValueError:
        return None


def due_from_today(session: Session, tenant_id: uuid.UUID, due_at: datetime, actor: Actor, *,
                   owner_id: uuid.UUID | None, field: str = "due_at", now: datetime | None = None) -> None:
    """A follow-up is due today or on a later day."""
    zone = zone_for(session, tenant_id, actor, owner_id)
    today = local_day(now or utcnow(), zone)
    if local_day(due_at, zone) < today:
        raise _refuse(DUE_PAST, field, f"Must be today or a later day; today is {today} in {zone}.")


def happened_by_today(session: Session, tenant_id: uuid.UUID, occurred_at: datetime, actor: Actor, *,
                      recruiter_id: uuid.UUID | None, field: str = "occurred_at",
                      now: datetime | None = None) -> None:
    """A touch is something that happened: today or on an earlier day (to plan one, schedule a follow-up)."""
    zone = zone_for(session, tenant_id, actor, recruiter_id)
    today = local_day(now or utcnow(), zone)
    if local_day(occurred_at, zone) > today:
        raise _refuse(TOUCH_FUTURE, field, f"Must be today or an earlier day; today is {today} in {zone}. "
                                                 "A touch that is still to come is a follow-up.")


def ends_after_now(until: datetime, *, field: str = "until", now: datetime | None = None) -> None:
    """A snooze puts a follow-up off until later; one ending now or before would put nothing off."""
    if until <= (now or utcnow()):
        raise _refuse(SNOOZE_PAST, field, "Must be in the future.")
