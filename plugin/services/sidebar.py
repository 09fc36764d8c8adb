"""What the sidebar shows for one person, read in a fixed, small number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import FollowUp, FollowUpStatus, Person, Recruiter, Reference, Referral, Touchpoint
from .lookup import get_owned

TIMELINE_LENGTH = 25


@dataclass
class SidebarView:
    person: Person
    owner: Recruiter | None
    next_followup: FollowUp | None
    touchpoints: list[Touchpoint]
    referred_by: list[tuple[Referral, Reference]]


def view(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> SidebarView:
    person = get_owned(session, Person, tenant_id, person_id, "person")
    owner = session.get(Recruiter, person.owner_id) if person.owner_id else None
    next_followup = session.scalars(
        select(FollowUp).where(FollowUp.tenant_id == tenant_id, FollowUp.person_id == person_id,
                               FollowUp.status.in_([FollowUpStatus.OPEN, FollowUpStatus.SNOOZED]))
        .order_by(FollowUp.due_at).limit(1)).first()
    touchpoints = list(session.scalars(
        select(Touchpoint).where(Touchpoint.tenant_id == tenant_id, Touchpoint.person_id == person_id)
        .order_by(Touchpoint.occurred_at.desc()).limit(TIMELINE_LENGTH)))
    referred_by: list[Any] = [tuple(row) for row in session.execute(
        select(Referral, Reference).join(Reference, Reference.id == Referral.reference_id)
        .where(Referral.tenant_id == tenant_id, Referral.person_id == person_id)
        .order_by(Referral.referred_at))]
    return SidebarView(person, owner, next_followup, touchpoints, referred_by)


def reference_name(session: Session, reference: Reference) -> str:
    if reference.name:
        return reference.name
    if reference.person_id:
        person = session.get(Person, reference.person_id)
        return person.full_name if person else "—"
    recruiter = session.get(Recruiter, reference.recruiter_id) if reference.recruiter_id else None
    return recruiter.name if recruiter else "—"
