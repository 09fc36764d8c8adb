"""The privacy tasks an owner gets, as follow-ups: when a person is collected from anyone but themselves,
an art. 14 notice task due `art14_notice_days` (default 21) after collection, well inside the one month
of art. 14(3)(a); and (`consent.py`) a consent renewal task before consent ends."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.dates import add_months
from plugin.core.lookup import get_live_person
from plugin.models import FollowUp, FollowUpStatus, LawfulBasis, Origin, Person, Tenant, utcnow, uuid7
from plugin.privacy import texts
from plugin.privacy.notice import compose, is_first_hand, owner_emails, source_category
from plugin.tenancy import tenants
from plugin.tenancy.settings import PrivacySettings, privacy_of

ART14 = "art14_notice"
CONSENT_RENEWAL = "consent_renewal"
PRIVACY_ACTOR = Actor("system", "privacy", Origin.SYSTEM)
LIVE = (FollowUpStatus.OPEN, FollowUpStatus.SNOOZED)


def on_created(session: Session, tenant_id: uuid.UUID, people: Sequence[Person],
               now: datetime | None = None) -> None:
    """What a new person needs at once, in the caller's transaction: a consent expiry when consent is the
    basis, and the art. 14 notice task when someone else told us about them. Idempotent."""
    if not people:
        return
    tenant = tenants.get(session, tenant_id)
    settings = privacy_of(tenant.settings)
    for person in people:
        if person.lawful_basis == LawfulBasis.CONSENT and person.consent_expires_at is None:
            person.consent_expires_at = add_months(person.collected_at or (now or utcnow()), settings.consent_months)
    schedule_notices(session, tenant, [p for p in people if needs_notice(p)], settings)


def needs_notice(person: Person) -> bool:
    return person.art14_notice_sent_at is None and person.anonymised_at is None and not is_first_hand(person)


def schedule_notices(session: Session, tenant: Tenant, people: Sequence[Person],
                     settings: PrivacySettings | None = None) -> list[FollowUp]:
    """One notice task per person, ever (a cancelled one counts: the owner decided); one query."""
    if not people:
        return []
    settings = settings or privacy_of(tenant.settings)
    have = set(session.scalars(select(FollowUp.person_id).where(
        FollowUp.tenant_id == tenant.id, FollowUp.kind == ART14,
        FollowUp.person_id.in_([p.id for p in people]))))
    created = []
    owners = owner_emails(session, people)  # before the loop: no query inside it, so no flush per person
    for person in people:
        if person.id in have:
            continue
        found = compose(tenant, person, owners.get(person.owner_id))
        category = source_category(person.data_source)
        reason = texts.notice_task_reason(found.language, texts.source_text(found.language, category,
                                                                           person.data_source))
        due = (person.collected_at or utcnow()) + timedelta(days=settings.art14_notice_days)
        created.append(add_task(session, tenant.id, person, ART14, due, reason[:2000],
                                 f"{found.subject}\n\n{found.text}",
                                 _source_params(category, person.data_source)))
    return created


def _source_params(category: str, detail: str) -> dict[str, Any]:
    """The notice task's template parameters: the source's category, and its words only where the reason
    shows them (so that scrubbing the reason's text scrubs everything that names anyone; see traces.py)."""
    if category in ("referral", "linkedin"):
        return {"source_category": category}
    return {"source_category": category, "source_detail": detail}


def add_task(session: Session, tenant_id: uuid.UUID, person: Person, kind: str, due: datetime, reason: str,
              note: str = "", reason_params: dict[str, Any] | None = None) -> FollowUp:
    """A privacy task for the person's owner; `reason` as stored (the person's language), and the template's
    parameters so that the owner reads it in theirs (followups/reasons.py, keyed by the task's kind)."""
    followup = FollowUp(id=uuid7(), tenant_id=tenant_id, person_id=person.id, owner_id=person.owner_id, kind=kind,
                        reason=reason, note=note, due_at=due, status=FollowUpStatus.OPEN,
                        reason_key=kind if reason_params is not None else None, reason_params=reason_params)
    session.add(followup)
    audit(session, tenant_id, PRIVACY_ACTOR, "create", "followup", followup.id, ["kind", "reason", "due_at"])
    return followup


def mark_notice_sent(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor,
                     at: datetime | None = None) -> Person:
    """Record that the art. 14 notice went out; its task is done."""
    person = get_live_person(session, tenant_id, person_id)
    at = at or utcnow()
    person.art14_notice_sent_at = at
    complete_tasks(session, tenant_id, person.id, ART14, at)
    audit(session, tenant_id, actor, "update", "person", person.id, ["art14_notice_sent_at"])
    session.commit()
    return person


def complete_tasks(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, kind: str, at: datetime) -> None:
    session.execute(update(FollowUp).where(
        FollowUp.tenant_id == tenant_id, FollowUp.person_id == person_id, FollowUp.kind == kind,
        FollowUp.status.in_(LIVE)).values(status=FollowUpStatus.DONE, completed_at=at)
        .execution_options(synchronize_session="fetch"))

