"""The automatic rules, each switchable per tenant (see tenancy/settings.py):

- connect and thank: a logged meeting or interview gets a follow-up the next working day at 09:00 local
  time — after the meeting, never before it (the article: connect after a good meeting even when there is
  nothing to talk about);
- cadence proposal: a person the ATS turns from in process to passive after being met gets a proposed
  keep-in-touch cadence;
- role opening: each person shortlisted for an unadvertised role with an expected opening date gets a
  follow-up some weeks before it (be on the radar before the role opens).

Every rule is idempotent — running it twice creates nothing twice — and writes in the caller's
transaction; the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core import dates
from plugin.core.actors import Actor, audit
from plugin.followups import cadences, reasons
from plugin.i18n import force_locale, gettext
from plugin.models import (
    Cadence,
    FollowUp,
    FollowUpStatus,
    Origin,
    Person,
    Role,
    RoleStatus,
    ShortlistEntry,
    Tenant,
    Touchpoint,
    TouchpointKind,
)
from plugin.tenancy import settings as tenant_settings
from plugin.tenancy.settings import RuleSettings

RULES_ACTOR = Actor("system", "rules", Origin.SYSTEM)
CONNECT_AND_THANK = "connect_and_thank"
ROLE_OPENING = "role_opening"
THANK_KINDS = frozenset({TouchpointKind.MEETING, TouchpointKind.INTERVIEW})
# Touches the ATS reports late are history, not a prompt: only fresh ones earn a thank-you.
SYNC_FRESHNESS = timedelta(hours=48)
UNADVERTISED = frozenset({RoleStatus.ANTICIPATED, RoleStatus.CONFIDENTIAL})
LIVE = (FollowUpStatus.OPEN, FollowUpStatus.SNOOZED)


def _tenant(session: Session, tenant_id: uuid.UUID) -> tuple[Tenant, RuleSettings]:
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None, tenant_id
    return tenant, tenant_settings.rules_of(tenant.settings)


def _text(tenant: Tenant, message: str, **values: str) -> str:
    """A stored sentence in the tenant's language (the catalogue extracts `_text`'s second argument)."""
    with force_locale(tenant.default_language):
        return gettext(message, **values)


def _reason(tenant: Tenant, key: str, **params: str) -> dict[str, object]:
    """A follow-up's reason: its template and parameters (each reader sees it in their language), and the
    text in the tenant's language for search and the API."""
    return {"reason": reasons.stored(tenant.default_language, key, params), "reason_key": key,
            "reason_params": params}


def _add_followup(session: Session, tenant_id: uuid.UUID, **values: object) -> FollowUp:
    followup = FollowUp(tenant_id=tenant_id, status=FollowUpStatus.OPEN, **values)
    session.add(followup)
    session.flush()
    audit(session, tenant_id, RULES_ACTOR, "create", "followup", followup.id, ["kind", "reason", "due_at"])
    return followup


# --- connect and thank ------------------------------------------------------------------------------------

def _earns_thanks(touchpoint: Touchpoint, now: datetime) -> bool:
    """Meetings and interviews logged by a recruiter, or synced from the ATS within the last 48 hours."""
    if touchpoint.kind not in THANK_KINDS or touchpoint.origin == Origin.IMPORT:
        return False
    return touchpoint.origin != Origin.SYNC or now - SYNC_FRESHNESS <= touchpoint.occurred_at <= now


def after_touchpoints(session: Session, tenant_id: uuid.UUID, touchpoints: Sequence[Touchpoint],
                      now: datetime) -> list[FollowUp]:
    """Schedule a "connect and thank" follow-up after each meeting or interview among `touchpoints`.

    One per person and due time: two meetings with someone on the same day earn one thank-you, and a
    second run finds the first one's follow-up. Owner: the touchpoint's recruiter, else the person's owner.
    """
    eligible = [t for t in touchpoints if _earns_thanks(t, now)]
    if not eligible:
        return []
    tenant, settings = _tenant(session, tenant_id)
    if not settings.rule_connect_and_thank:
        return []
    person_ids = {t.person_id for t in eligible}
    owners = dict(session.execute(select(Person.id, Person.owner_id).where(
        Person.tenant_id == tenant_id, Person.id.in_(person_ids))).all())
    wanted: dict[tuple[uuid.UUID, datetime], uuid.UUID | None] = {}
    for touchpoint in eligible:
        due = dates.next_working_morning(touchpoint.occurred_at, tenant.time_zone,
                                            settings.skip_weekends_and_holidays)
        wanted.setdefault((touchpoint.person_id, due), touchpoint.recruiter_id or owners.get(touchpoint.person_id))
    have = set(session.execute(select(FollowUp.person_id, FollowUp.due_at).where(
        FollowUp.tenant_id == tenant_id, FollowUp.kind == CONNECT_AND_THANK, FollowUp.person_id.in_(person_ids),
        FollowUp.due_at.in_({due for _, due in wanted}))).all())
    reason = _reason(tenant, CONNECT_AND_THANK)
    return [_add_followup(session, tenant_id, person_id=person_id, owner_id=owner_id, kind=CONNECT_AND_THANK,
                          due_at=due, **reason)
            for (person_id, due), owner_id in wanted.items() if (person_id, due) not in have]


# --- cadence proposal -------------------------------------------------------------------------------------

def after_became_passive(session: Session, tenant_id: uuid.UUID, person_ids: Iterable[uuid.UUID]) -> list[Cadence]:
    """People met in an ATS process that ended without a hire: propose keeping in touch (default tier),
    unless they have a cadence of any status already."""
    person_ids = set(person_ids)
    if not person_ids:
        return []
    _, settings = _tenant(session, tenant_id)
    if not settings.rule_cadence_proposal:
        return []
    return cadences.propose(session, tenant_id, person_ids, settings, RULES_ACTOR)


# --- role opening -----------------------------------------------------------------------------------------

def opening_due(role: Role, tenant: Tenant, settings: RuleSettings, now: datetime) -> datetime | None:
    """When to contact the shortlist: lead weeks before the expected opening, at 09:00 local on a working
    day; the next working morning when that has passed. None when the rule does not apply to the role."""
    if not settings.rule_role_opening or role.status not in UNADVERTISED or role.expected_opening_on is None:
        return None
    skip = settings.skip_weekends_and_holidays
    day = dates.on_or_after(role.expected_opening_on - timedelta(weeks=settings.role_lead_weeks), skip)
    due = dates.at_local(day, tenant.time_zone)
    return due if due > now else dates.next_working_morning(now, tenant.time_zone, skip)


def refresh_role(session: Session, tenant_id: uuid.UUID, role: Role, now: datetime, *,
                 reschedule: bool = False) -> None:
    """Bring the role's "role opening" follow-ups in line with the role and its shortlist.

    Each shortlisted person (not marked do-not-contact) without one gets one, unless theirs was done
    already; open ones move to the new due time when `reschedule` (the expected date changed) — otherwise
    a recruiter's own rescheduling stands; people off the shortlist, and everyone when the role is
    advertised, filled, dropped or loses its date, have their live ones cancelled.
    """
    tenant, settings = _tenant(session, tenant_id)
    due = opening_due(role, tenant, settings, now)
    existing = list(session.scalars(select(FollowUp).where(
        FollowUp.tenant_id == tenant_id, FollowUp.role_id == role.id, FollowUp.kind == ROLE_OPENING)))
    live = {f.person_id: f for f in existing if f.status in LIVE}
    listed = {} if due is None else _shortlisted(session, tenant_id, role.id)
    for person_id, followup in live.items():
        if person_id not in listed:
            _cancel(session, tenant_id, followup, tenant)
    if due is None:
        return
    reason = _reason(tenant, ROLE_OPENING, title=role.title,
                     date=role.expected_opening_on.isoformat() if role.expected_opening_on else "")
    done = {f.person_id for f in existing if f.status == FollowUpStatus.DONE}
    for person_id, owner_id in listed.items():
        followup = live.get(person_id)
        if followup is not None:
            _keep_current(session, tenant_id, followup, reason, due if reschedule else None)
        elif person_id not in done:
            _add_followup(session, tenant_id, person_id=person_id, owner_id=role.owner_id or owner_id,
                          role_id=role.id, kind=ROLE_OPENING, due_at=due, **reason)


def _shortlisted(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID | None]:
    """{person id: owner id} of the role's shortlist, leaving out people who asked not to be contacted."""
    return dict(session.execute(
        select(Person.id, Person.owner_id).join(ShortlistEntry, ShortlistEntry.person_id == Person.id)
        .where(ShortlistEntry.tenant_id == tenant_id, ShortlistEntry.role_id == role_id,
               Person.tenant_id == tenant_id, Person.do_not_contact.is_(False))).all())


def _keep_current(session: Session, tenant_id: uuid.UUID, followup: FollowUp, reason: dict[str, object],
                  due: datetime | None) -> None:
    changed = []
    for name, value in reason.items():
        if getattr(followup, name) != value:
            setattr(followup, name, value)
            changed.append(name)
    if due is not None and followup.status == FollowUpStatus.OPEN and followup.due_at != due:
        followup.due_at = due
        changed.append("due_at")
    if changed:
        audit(session, tenant_id, RULES_ACTOR, "update", "followup", followup.id, changed)


def _cancel(session: Session, tenant_id: uuid.UUID, followup: FollowUp, tenant: Tenant) -> None:
    note = _text(tenant, "Cancelled: the person is off the shortlist, or the role no longer opens unadvertised.")
    followup.status = FollowUpStatus.CANCELLED
    followup.note = f"{followup.note}\n{note}" if followup.note else note
    audit(session, tenant_id, RULES_ACTOR, "update", "followup", followup.id, ["status", "note"])
